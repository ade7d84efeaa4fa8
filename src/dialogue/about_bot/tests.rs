use super::*;

#[test]
fn questions_about_the_bot_are_recognised_in_both_languages() {
    for text in [
        "wait, are you actually a bot?",
        "Did the phone company build you themselves?",
        "so what's your name",
        "Can you change things on my account or only answer questions?",
        "what can you help me with then?",
        "do u speak spanish",
        "can we chat in mandarin instead",
        "can you respond in traditional chinese pls",
        "你是不是机器人",
        "你是红隼自己开发的吗",
        "你能做什么呢？",
        "你听得懂粤语吗",
        "我英文不好，你能全程用中文回我吗",
        "你支持哪些语言",
        "r u some kind of chatbot or what",
        "你该不会是机器人吧",
        "did kestrel make you or some other company",
        "did google make you?",
        "哪家公司做的你",
        "是哪家公司开发的这个助手",
        "jqr吗",
        "机器人？",
        "是AI吗",
    ] {
        assert!(asks_about_the_bot(text), "{text}");
    }
}

#[test]
fn questions_to_the_operator_with_you_in_them_are_not_about_the_bot() {
    for text in [
        "what can you do about this charge on my bill?",
        "can you send me a paper bill",
        "what do you do if my phone is stolen abroad",
        "who is this charge from on my statement",
        "do you have staff who speak chinese",
        "lol can u write my essay on the french revolution",
        "can I get my bill in english",
        "你们能做什么来补偿我",
        "你们支持英文账单吗",
        "你会什么时候给我发货",
        "你记得帮我查一下订单",
        "你能说清楚一点吗",
        "你说的是什么程序",
        "有没有会说粤语的客服",
        "is this automated payment set up right?",
        "你们是不是自动扣费的",
        "did the shop make you pay for the sim",
        "does the upgrade make you sign a new contract",
        "what would make you refund me",
    ] {
        assert!(!asks_about_the_bot(text), "{text}");
    }
}
