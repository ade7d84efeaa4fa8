//! The bot's judgment over real HTTP with the real classifier, escalation scorer and knowledge
//! base: sensitive situations go to a person first, anger the way people write it, declines
//! for messages outside the bot's domain, honest answers about the bot, "is anyone there?" as a
//! request for a person; and the escalation eval's library core on a small labelled set.

use crate::common;

use std::path::Path;

use common::desk::spawn_desk;
use common::escalation::escalation_model_dir;
use switchboard::config::Settings;
use switchboard::escalation::eval::{self, Bot, Dialogue, Row, report};
use switchboard::escalation::judge::Judge;
use switchboard::escalation::scorer::EscalationModel;
use switchboard::nlu::Classifier;

/// The escalated event's evidence of a conversation.
async fn evidence(app: &common::TestApp, id: &str) -> String {
    let events = app.transcript(id).await["events"].clone();
    let escalated = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "escalated")
        .cloned()
        .expect("an escalated event");
    escalated["evidence"]
        .as_str()
        .expect("evidence")
        .to_string()
}

/// Says each of `texts` as the first message of its own conversation; each is handed over as an
/// explicit request.
async fn each_is_a_request_for_a_person(app: &common::TestApp, texts: &[&str]) {
    for text in texts {
        let id = app.new_conversation().await;
        let reply = app.say(&id, text).await;
        assert_eq!(reply["escalation_reason"], "explicit_request", "{reply}");
    }
}

#[tokio::test]
async fn a_fraud_victim_is_handed_over_as_sensitive_ahead_of_everyone_else() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let waiting = app.new_conversation().await;
    app.say(&waiting, "I want to talk to a real person please")
        .await;
    let id = app.new_conversation().await;
    let text = "my phone lost signal last night and this morning my savings account was emptied, \
                I never asked for a new sim";
    let reply = app.say(&id, text).await;
    assert_eq!(reply["escalation_reason"], "sensitive", "{reply}");
    assert!(
        reply["text"].as_str().unwrap().contains("person"),
        "{reply}"
    );
    let evidence = evidence(&app, &id).await;
    assert!(evidence.starts_with("sensitive score"), "{evidence}");
    assert!(evidence.contains("fraud"), "{evidence}");
    let queue = alice.queue().await;
    assert_eq!(queue["items"][0]["id"], id.as_str(), "{queue}");
    assert_eq!(queue["items"][0]["priority"], 4);
}

#[tokio::test]
async fn saying_whose_account_it_is_stays_with_the_bot_and_the_danger_told_next_goes_to_a_person() {
    let app = spawn_desk(|_| {}).await;
    for [question, whose, danger] in [
        [
            "can I remove a line from my family plan?",
            "it's my line, the account is my husband's",
            "I'm leaving him and I don't want him to see my location or my calls anymore",
        ],
        [
            "家庭套餐能删一条线吗",
            "是我的号，账户是我老公的",
            "我要离开他，不想让他再看到我的位置和通话记录",
        ],
    ] {
        let id = app.new_conversation().await;
        app.say(&id, question).await;
        let reply = app.say(&id, whose).await;
        assert_ne!(reply["action"], "escalated", "{whose}: {reply}");
        let reply = app.say(&id, danger).await;
        assert_eq!(reply["escalation_reason"], "sensitive", "{danger}: {reply}");
    }
}

#[tokio::test]
async fn a_bereavement_in_chinese_is_sensitive_and_answered_in_chinese() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let reply = app
        .say(&id, "我外公上个月去世了，他的号码还一直在扣费，怎么停掉")
        .await;
    assert_eq!(reply["escalation_reason"], "sensitive", "{reply}");
    assert!(reply["text"].as_str().unwrap().contains("人工"), "{reply}");
    assert!(evidence(&app, &id).await.contains("bereavement"));
}

#[tokio::test]
async fn a_sensitive_hand_over_cites_the_article_to_read_while_waiting() {
    let app = spawn_desk(|_| {}).await;
    for (text, article, words) in [
        (
            "someone stole my phone at the bar last night, how do I stop them using my number?",
            "sim-lost-stolen-block",
            "While you wait",
        ),
        (
            "我爸上个月去世了，他的手机号怎么处理？",
            "bereavement-account-zh",
            "等待期间",
        ),
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, text).await;
        assert_eq!(reply["escalation_reason"], "sensitive", "{reply}");
        assert_eq!(reply["sources"][0]["id"], article, "{reply}");
        assert!(reply["text"].as_str().unwrap().contains(words), "{reply}");
        assert_eq!(reply["ticket_status"], "escalated", "{reply}");
    }
}

#[tokio::test]
async fn sarcasm_about_an_outage_is_anger_and_the_evidence_shows_the_score() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let reply = app
        .say(
            &id,
            "wow, superb reliability kestrel, fourth day without broadband. when is it coming back?",
        )
        .await;
    assert_eq!(reply["escalation_reason"], "negative_sentiment", "{reply}");
    let evidence = evidence(&app, &id).await;
    assert!(evidence.starts_with("anger score"), "{evidence}");
}

#[tokio::test]
async fn a_regulator_threat_in_chinese_is_anger() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let reply = app
        .say(&id, "多扣的钱再不退回来，我明天就打电话去工信部投诉你们")
        .await;
    assert_eq!(reply["escalation_reason"], "negative_sentiment", "{reply}");
}

#[tokio::test]
async fn an_out_of_domain_question_is_declined_and_a_second_one_is_handed_over() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let first = app
        .say(&id, "what's the best way to cook salmon in the oven?")
        .await;
    assert_eq!(first["action"], "declined", "{first}");
    assert_eq!(first["ticket_status"], "open");
    assert!(first["escalation_reason"].is_null());
    let text = first["text"].as_str().unwrap();
    assert!(
        text.contains("roaming") && text.contains("person"),
        "{text}"
    );
    let second = app.say(&id, "who won the tennis final yesterday?").await;
    assert_eq!(second["escalation_reason"], "repeated_failure", "{second}");
}

#[tokio::test]
async fn a_declined_question_followed_by_a_real_one_stays_with_the_bot() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let first = app.say(&id, "how many moons does jupiter have").await;
    assert_eq!(first["action"], "declined", "{first}");
    let second = app.say(&id, "ok then, how do I turn on roaming?").await;
    assert_eq!(second["action"], "answered", "{second}");
}

#[tokio::test]
async fn questions_about_the_bot_are_answered_honestly_in_the_customers_language() {
    let app = spawn_desk(|_| {}).await;
    for (text, words) in [
        ("wait, is this a bot talking?", "virtual assistant"),
        ("你是不是机器人在回答我", "虚拟助手"),
        // the scorer alone reads contempt and shouting into these (0.53, 0.69 against 0.45):
        // no angry word, so the bot still answers
        ("what company made this bot", "virtual assistant"),
        ("你到底是什么", "虚拟助手"),
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, text).await;
        assert_eq!(reply["action"], "smalltalk", "{reply}");
        assert_eq!(reply["intent"]["name"], "bot_identity", "{reply}");
        assert!(reply["text"].as_str().unwrap().contains(words), "{reply}");
        assert_eq!(reply["ticket_status"], "open");
    }
}

#[tokio::test]
async fn questions_about_what_the_bot_can_do_get_the_honest_answer_however_the_classifier_reads_them()
 {
    let app = spawn_desk(|_| {}).await;
    for (text, words) in [
        // read by the classifier as an account question, a greeting and out of scope
        (
            "Can you change things on my account or only answer questions?",
            "virtual assistant",
        ),
        (
            "did the phone company build you themselves?",
            "virtual assistant",
        ),
        ("你听得懂粤语吗", "虚拟助手"),
        // an account question to the classifier, and a privacy worry to the escalation scorer
        // (sensitive 0.36 against 0.22): a question about what the bot sees needs a sure score
        // to be a sensitive situation
        ("你能看到我的账户信息吗", "虚拟助手"),
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, text).await;
        assert_eq!(reply["action"], "smalltalk", "{reply}");
        assert!(reply["text"].as_str().unwrap().contains(words), "{reply}");
        assert_eq!(reply["ticket_status"], "open");
    }
}

#[tokio::test]
async fn checking_whether_a_human_is_there_is_a_request_for_a_person() {
    let app = spawn_desk(|_| {}).await;
    let texts = [
        "hello? is there a human on the other side?",
        "请问有真人客服吗",
        "不要机器人，要客服",
    ];
    each_is_a_request_for_a_person(&app, &texts).await;
}

#[tokio::test]
async fn asking_for_the_support_number_gets_the_contact_article_and_asking_to_be_called_a_person() {
    let app = spawn_desk(|_| {}).await;
    for (text, article) in [
        (
            "what's the customer service phone number?",
            "contact-support",
        ),
        ("人工客服电话多少", "contact-support-zh"),
        // rejected as out of scope by the classifier, looked up as a contact question all the same
        (
            "What time is customer support open on Sundays?",
            "contact-support",
        ),
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, text).await;
        assert_eq!(reply["action"], "answered", "{reply}");
        assert_eq!(reply["sources"][0]["id"], article, "{reply}");
    }
    let texts = [
        "can someone from customer service call me back",
        "请安排客服给我回个电话",
    ];
    each_is_a_request_for_a_person(&app, &texts).await;
}

#[tokio::test]
async fn calm_questions_with_trigger_words_stay_with_the_bot() {
    let app = spawn_desk(|_| {}).await;
    for text in [
        "how do I block my stolen phone's sim?",
        "where do I find the complaints form?",
        "手机丢了怎么挂失",
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, text).await;
        assert!(reply["escalation_reason"].is_null(), "{text}: {reply}");
    }
}

#[tokio::test]
async fn a_question_asked_ahead_of_time_is_answered_and_a_victim_in_the_same_words_handed_over() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let asked = "How can I protect my account against SIM swap fraud?";
    let reply = app.say(&id, asked).await;
    assert!(reply["escalation_reason"].is_null(), "{reply}");
    let id = app.new_conversation().await;
    let victim = "someone swapped my SIM last night and emptied my bank account, how do I protect my account now?";
    let reply = app.say(&id, victim).await;
    assert_eq!(reply["escalation_reason"], "sensitive", "{reply}");
}

#[tokio::test]
async fn a_question_about_the_complaint_process_is_answered_and_a_complaint_threat_handed_over() {
    let app = spawn_desk(|_| {}).await;
    for question in [
        "how long do you have to reply to my complaint before I can take it to the ombudsman?",
        "向你们投诉和向工信部申诉有什么区别",
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, question).await;
        assert_eq!(reply["action"], "answered", "{question}: {reply}");
    }
    let id = app.new_conversation().await;
    let threat =
        "reply to my complaint by Friday or I'm going to the ombudsman. why was I charged twice?";
    let reply = app.say(&id, threat).await;
    assert_eq!(reply["escalation_reason"], "negative_sentiment", "{reply}");
}

#[tokio::test]
async fn a_sigh_before_a_routine_question_is_answered_and_the_same_sigh_before_anger_handed_over() {
    let app = spawn_desk(|_| {}).await;
    for question in [
        "seriously, why is it so hard to see my data usage? where is it?",
        "服了，账单PDF到底在哪下载",
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, question).await;
        assert_eq!(reply["action"], "answered", "{question}: {reply}");
    }
    let id = app.new_conversation().await;
    let reply = app.say(&id, "服了，账单错了三次都没人管，垃圾服务").await;
    assert_eq!(reply["escalation_reason"], "negative_sentiment", "{reply}");
}

#[test]
fn the_eval_core_scores_a_labelled_set_turn_by_turn() {
    let settings = Settings::defaults();
    let encoder = common::encoder();
    let classifier = Classifier::load(encoder.clone(), &common::trained_model_dir()).unwrap();
    let model = EscalationModel::load(&escalation_model_dir(), encoder.dim()).unwrap();
    let judge = Judge::new(Some(model), &settings.escalation).rereading_with(encoder.clone());
    let kb = common::shared_kb().current();
    let bot = Bot {
        classifier: &classifier,
        judge: &judge,
        kb: &kb,
        settings: &settings.dialogue,
    };
    let rows: Vec<Row> = eval::load(Path::new("tests/fixtures/judgment/first.jsonl")).unwrap();
    let turns: Vec<_> = rows
        .iter()
        .map(|r| bot.turn(&r.text, None, 0, false).unwrap())
        .collect();
    let first = report::first_messages(&rows, &turns);
    assert_eq!(first.rows, rows.len());
    assert_eq!(first.by_reason["out_of_domain"]["all"].handed_over, 0);
    assert_eq!(first.escalation["all"].actual, 3);
    assert!(first.escalation["all"].f1 >= 0.8, "{first:?}");
    let talks: Vec<Dialogue> =
        eval::load(Path::new("tests/fixtures/judgment/dialogues.jsonl")).unwrap();
    let done: Vec<_> = talks
        .iter()
        .map(|d| bot.converse(&d.turns).unwrap())
        .collect();
    let conversations = report::conversations(&talks, &done);
    let all = &conversations.by_category["all"]["all"];
    assert_eq!(all.conversations, 2);
    assert_eq!(all.right_turn, 2, "{conversations:?}");
}

#[test]
fn a_bad_eval_row_is_named_by_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.jsonl");
    std::fs::write(&path, "{\"text\": \"hi\"}\n").unwrap();
    let error = eval::load::<Row>(&path).unwrap_err().to_string();
    assert!(error.contains("line 1"), "{error}");
}
