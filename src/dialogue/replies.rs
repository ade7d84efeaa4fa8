//! The bot's own words, in English and Chinese. Answers come from the knowledge base; these are
//! the short replies around them.

use crate::tickets::EscalationReason;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// Chinese when the message has any CJK character, English otherwise.
    pub fn detect(text: &str) -> Lang {
        if text.chars().any(crate::nlu::features::is_cjk) {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The language of a code the widget sends (`en` or `zh`); `None` for anything else.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

pub fn smalltalk(intent: &str, lang: Lang) -> &'static str {
    match (intent, lang) {
        ("greeting", Lang::En) => "Hello! How can I help you today?",
        ("greeting", Lang::Zh) => "您好！请问有什么可以帮您？",
        ("thanks", Lang::En) => "You're welcome! Is there anything else I can help with?",
        ("thanks", Lang::Zh) => "不客气！还有其他可以帮您的吗？",
        ("goodbye", Lang::En) => "Thanks for contacting us. Goodbye!",
        ("goodbye", Lang::Zh) => "感谢您的咨询，再见！",
        ("bot_identity", Lang::En) => {
            "I'm the operator's virtual assistant, an automated program rather than a person. I can answer questions about bills, payments, plans, roaming, SIM and eSIM, phones, coverage, home internet and your account. If you'd rather talk to a person, just say so or press \"talk to a person\"."
        }
        ("bot_identity", Lang::Zh) => {
            "我是运营商的虚拟助手（自动回复程序），不是真人。我可以解答账单、缴费、套餐、漫游、SIM卡和eSIM、手机、信号覆盖、家庭宽带和账户方面的问题。如需人工服务，请直接告诉我或点击“转人工”。"
        }
        (_, Lang::En) => "How can I help you today?",
        (_, Lang::Zh) => "请问有什么可以帮您？",
    }
}

pub fn escalated(reason: EscalationReason, lang: Lang) -> &'static str {
    match (reason, lang) {
        (EscalationReason::ExplicitRequest, Lang::En) => {
            "Of course. I'm passing you to a member of our support team; they will reply here."
        }
        (EscalationReason::ExplicitRequest, Lang::Zh) => {
            "好的，正在为您转接人工客服，客服人员会在这里回复您。"
        }
        (EscalationReason::OutOfScope, Lang::En) => {
            "I'm not sure I can help with that, so I'm passing your question to a member of our support team."
        }
        (EscalationReason::OutOfScope, Lang::Zh) => "这个问题我可能无法解答，已为您转给人工客服。",
        (EscalationReason::RepeatedFailure, Lang::En) => {
            "Sorry I couldn't sort this out. I'm passing you to a member of our support team."
        }
        (EscalationReason::RepeatedFailure, Lang::Zh) => "抱歉没能帮您解决，正在为您转接人工客服。",
        (EscalationReason::NegativeSentiment, Lang::En) => {
            "I'm sorry about this. I'm passing you to a member of our support team right away."
        }
        (EscalationReason::NegativeSentiment, Lang::Zh) => {
            "非常抱歉给您带来不便，正在为您优先转接人工客服。"
        }
        (EscalationReason::TenantRule, Lang::En) => {
            "A member of our support team will take it from here; they will reply in this chat."
        }
        (EscalationReason::TenantRule, Lang::Zh) => "接下来将由人工客服为您服务，请在此等候回复。",
        (EscalationReason::Sensitive, Lang::En) => {
            "I'm sorry you're dealing with this. It needs a person, so I'm passing you to a member of our support team now; they will reply here."
        }
        (EscalationReason::Sensitive, Lang::Zh) => {
            "很抱歉您遇到这样的情况。这件事需要人工处理，正在为您优先转接客服人员，请在这里等候回复。"
        }
    }
}

/// Added to a hand-over that cites an article: what to read while waiting for a person.
pub fn while_you_wait(title: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("While you wait, this article may help: \u{201c}{title}\u{201d}."),
        Lang::Zh => format!("等待期间，这篇文章或许能帮到您：《{title}》。"),
    }
}

/// The reply to a message outside what the bot covers: what it can help with, and a person on offer.
pub fn decline(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Sorry, that's outside what I can help with. I can answer questions about your bills and payments, plans, roaming, SIM and eSIM, phones, coverage, home internet and your account. If you'd like to talk to a person, just say so."
        }
        Lang::Zh => {
            "抱歉，这个问题超出了我能帮忙的范围。我可以解答账单和缴费、套餐、漫游、SIM卡和eSIM、手机、信号覆盖、家庭宽带和账户方面的问题。如需人工服务，请直接告诉我。"
        }
    }
}

/// The reply to a request for help that names no subject: what the bot can help with, and a
/// person on offer.
pub fn what_for(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Of course. What do you need help with? I can answer questions about your bills and payments, plans, roaming, SIM and eSIM, phones, coverage, home internet and your account. If you'd rather talk to a person, just say so."
        }
        Lang::Zh => {
            "好的，请问您需要什么帮助？我可以解答账单和缴费、套餐、漫游、SIM卡和eSIM、手机、信号覆盖、家庭宽带和账户方面的问题。如需人工服务，请直接告诉我。"
        }
    }
}

/// The reply to "that didn't help": sorry, more detail please, and a person on offer.
pub fn did_not_help(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Sorry that didn't help. Could you tell me a bit more about what you need? Or, if you'd like, I can pass you to a member of our support team: just say \"talk to a person\"."
        }
        Lang::Zh => "抱歉没能帮到您。能再具体说说您需要什么吗？如需人工服务，回复“转人工”即可。",
    }
}

/// The reply to a message that points back at a problem without naming it ("it's that problem
/// again"): the bot sees this conversation only, so it asks, and offers a person who can look
/// at the customer's history.
pub fn which_problem(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Sorry, I'm not sure which problem you mean: I can't see earlier conversations. Could you tell me in a few words what's happening? Or, if you'd like, a member of our support team can look at your history: just say \"talk to a person\"."
        }
        Lang::Zh => {
            "抱歉，我不太确定您说的是哪个问题：我看不到之前的对话。能简单说说现在是什么情况吗？如需人工客服查看您的历史记录，回复“转人工”即可。"
        }
    }
}

/// The reply to a "no" to the offer of a person: the conversation goes on with the bot.
pub fn carry_on(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "All right. Is there anything else I can help you with? You can also ask your question another way."
        }
        Lang::Zh => "好的。还有什么可以帮您的吗？也可以换个说法再问一次。",
    }
}

/// Added to the escalation reply when nobody can take the conversation now (outside business
/// hours, or no agent online): the ticket waits in the queue.
pub fn offline(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Our team is offline right now. Your conversation is saved as a ticket and a person will reply here as soon as someone is available."
        }
        Lang::Zh => "人工客服暂时不在线。您的对话已保存为工单，客服人员上线后会在这里回复您。",
    }
}

/// A clarifying question between two articles, by their titles.
pub fn clarify_between(first: &str, second: &str, lang: Lang) -> String {
    match lang {
        Lang::En => {
            format!("Just to be sure, which of these do you mean: \"{first}\" or \"{second}\"?")
        }
        Lang::Zh => format!("请确认一下，您想问的是“{first}”还是“{second}”？"),
    }
}

/// "I don't know" when the best articles came close: offers them, and a person.
pub fn not_sure_between(first: &str, second: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "I'm not sure I have the answer to exactly that. Is it one of these: \"{first}\" or \"{second}\"? If not, say \"talk to a person\" and I'll pass you to our support team."
        ),
        Lang::Zh => format!(
            "这个问题我不太确定有现成的答案。您想问的是“{first}”还是“{second}”？都不是的话，回复“转人工”，我为您转接人工客服。"
        ),
    }
}

/// A clarifying question when no two articles match: English names the two intents; a Chinese
/// customer is not shown the intents' English names, only asked for more detail.
pub fn clarify(first: &str, second: &str, lang: Lang) -> String {
    match lang {
        Lang::En => {
            let (first, second) = (humanize(first), humanize(second));
            format!("Just to be sure: is your question about {first} or {second}?")
        }
        Lang::Zh => "请再具体说说您想了解什么，我好为您找到准确的答案。".to_string(),
    }
}

pub fn no_answer(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Sorry, I couldn't find an answer to that. Could you say it another way?",
        Lang::Zh => "抱歉，没有找到相关答案。能换一种说法吗？",
    }
}

/// No article covers the question (the best hit was judged not to answer it): the bot does not
/// guess, and offers a person.
pub fn no_article(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "I'm sorry, I don't know the answer to that and I don't want to guess. Would you like me to pass you to a member of our support team? Just say \"talk to a person\"."
        }
        Lang::Zh => {
            "抱歉，这个问题我不太清楚，不想给您错误的信息。需要为您转接人工客服吗？回复“转人工”即可。"
        }
    }
}

fn humanize(intent: &str) -> String {
    intent.replace('_', " ")
}
