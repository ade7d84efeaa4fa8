//! The dialogue policy's rules, one behaviour per test.

use super::*;
use crate::config::Settings;
use crate::nlu::Scored;
use crate::tickets::EscalationReason;

mod reread;

fn prediction(first: (&str, f32), second: (&str, f32)) -> Prediction {
    let scored = |(name, confidence): (&str, f32)| Scored {
        name: name.into(),
        confidence,
    };
    Prediction {
        intent: scored(first),
        runner_up: Some(scored(second)),
        out_of_scope: false,
    }
}

fn hit(bm25: f32) -> Hit {
    Hit {
        article_id: "a".into(),
        title: "A".into(),
        anchor: String::new(),
        heading: "A".into(),
        text: "the answer".into(),
        lang: "en".into(),
        score: 0.03,
        bm25,
        cosine: 0.1,
        answerable: true,
        answerability: None,
        signals: Default::default(),
    }
}

#[test]
fn close_intents_ask_to_clarify() {
    let settings = Settings::defaults().dialogue;
    let plan = plan(
        "could you tell me about this?",
        &prediction(("plan_change", 0.45), ("plan_compare", 0.40)),
        &settings,
    );
    assert_eq!(
        plan,
        Plan::Clarify {
            first: "plan_change".into(),
            second: "plan_compare".into()
        }
    );
}

fn titled(title: &str, lang: &str) -> Hit {
    Hit {
        title: title.into(),
        lang: lang.into(),
        ..hit(5.0)
    }
}

#[test]
fn a_clarification_names_two_articles_in_the_customers_language() {
    let settings = Settings::defaults().dialogue;
    let clarify = Plan::Clarify {
        first: "roaming_activate".into(),
        second: "roaming_charges".into(),
    };
    let hits = vec![
        titled("Turn on roaming", "en"),
        titled("开通漫游", "zh"),
        titled("Turn on roaming", "en"),
        titled("Roaming charges", "en"),
    ];
    let outcome = respond(clarify.clone(), hits, Lang::En, 0, &settings);
    assert_eq!(outcome.action, BotAction::Clarify);
    assert_eq!(
        outcome.text,
        "Just to be sure, which of these do you mean: \"Turn on roaming\" or \"Roaming charges\"?"
    );
    let only_one = vec![titled("开通漫游", "zh")];
    let outcome = respond(clarify, only_one, Lang::Zh, 0, &settings);
    assert!(!outcome.text.contains("roaming"), "{}", outcome.text);
}

#[test]
fn a_bare_keyword_no_article_answers_asks_which_article_it_means() {
    let settings = Settings::defaults().dialogue;
    let unsure = |title: &str| Hit {
        answerable: false,
        ..titled(title, "en")
    };
    let hits = || vec![unsure("Upgrade your plan"), unsure("Downgrade your plan")];
    let lookup = |vague| Plan::Lookup {
        intent: "plan_change".into(),
        vague,
    };
    let asked = respond(lookup(true), hits(), Lang::En, 0, &settings);
    assert_eq!((asked.action, asked.failed), (BotAction::Clarify, true));
    assert!(
        asked.text.contains("\"Downgrade your plan\""),
        "{}",
        asked.text
    );
    assert_eq!(asked.choices, ["Upgrade your plan", "Downgrade your plan"]);
    let question = respond(lookup(false), hits(), Lang::En, 0, &settings);
    assert_eq!(question.text, replies::no_article(Lang::En));
}

#[test]
fn a_bare_keyword_read_with_little_confidence_is_asked_about() {
    let settings = Settings::defaults().dialogue;
    let unsure = prediction(("cancel_service", 0.43), ("internet_slow", 0.16));
    assert!(matches!(
        plan("宽带", &unsure, &settings),
        Plan::Clarify { .. }
    ));
    assert!(matches!(
        plan("how do I cancel my broadband?", &unsure, &settings),
        Plan::Lookup { .. }
    ));
    let sure = prediction(("voicemail_setup", 0.93), ("call_forwarding", 0.02));
    assert!(matches!(
        plan("voicemail", &sure, &settings),
        Plan::Lookup { .. }
    ));
}

#[test]
fn small_talk_read_with_little_confidence_is_declined_not_chatted_to() {
    let settings = Settings::defaults().dialogue;
    let guessed = prediction(("goodbye", 0.41), ("thanks", 0.2));
    assert_eq!(plan("随便问问", &guessed, &settings), Plan::Decline);
    let sure = prediction(("goodbye", 0.9), ("thanks", 0.05));
    assert!(matches!(
        plan("bye!", &sure, &settings),
        Plan::Smalltalk { .. }
    ));
}

#[test]
fn confident_intent_with_a_match_is_answered() {
    let settings = Settings::defaults().dialogue;
    let plan = plan(
        "could you tell me about this?",
        &prediction(("roaming_activate", 0.9), ("roaming_charges", 0.05)),
        &settings,
    );
    let outcome = respond(plan, vec![hit(5.0)], Lang::En, 1, &settings);
    assert_eq!(outcome.action, BotAction::Answered);
    assert_eq!(outcome.text, "the answer");
    assert!(!outcome.failed);
}

#[test]
fn second_failed_turn_escalates() {
    let settings = Settings::defaults().dialogue;
    let lookup = Plan::Lookup {
        intent: "bill_explain".into(),
        vague: false,
    };
    let first = respond(lookup.clone(), vec![hit(0.1)], Lang::En, 0, &settings);
    assert_eq!((first.action, first.failed), (BotAction::Clarify, true));
    let second = respond(lookup, Vec::new(), Lang::En, 1, &settings);
    assert_eq!(second.action, BotAction::Escalated);
    assert_eq!(
        second.escalation.unwrap().reason,
        EscalationReason::RepeatedFailure
    );
}

#[test]
fn held_back_anger_lets_an_answer_through_and_hands_over_when_the_bot_has_none() {
    let settings = Settings::defaults().dialogue;
    let anger = Escalation {
        reason: EscalationReason::NegativeSentiment,
        evidence: "anger score 0.45".into(),
        priority: 0,
    };
    let lookup = Plan::Lookup {
        intent: "bill_explain".into(),
        vague: false,
    };
    let held = Some(anger.clone());
    let answered = respond_holding(lookup.clone(), vec![hit(5.0)], held, Lang::En, 0, &settings);
    assert_eq!(answered.action, BotAction::Answered);
    let held = Some(anger);
    let nothing = respond_holding(lookup, vec![hit(0.1)], held, Lang::En, 0, &settings);
    assert_eq!(
        nothing.action,
        BotAction::Escalated,
        "no clarifying question to an angry customer"
    );
    assert_eq!(
        nothing.escalation.unwrap().reason,
        EscalationReason::NegativeSentiment
    );
}

#[test]
fn a_rejected_message_is_declined_once_and_escalated_when_it_repeats() {
    let settings = Settings::defaults().dialogue;
    let mut unknown = prediction(("plan_compare", 0.2), ("roaming_charges", 0.1));
    unknown.out_of_scope = true;
    assert_eq!(
        plan("could you tell me about this?", &unknown, &settings),
        Plan::Decline
    );
    let keyword = plan("宽带", &unknown, &settings);
    assert!(
        matches!(keyword, Plan::Lookup { vague: true, .. }),
        "{keyword:?}"
    );
    let first = respond(Plan::Decline, Vec::new(), Lang::En, 0, &settings);
    assert_eq!((first.action, first.failed), (BotAction::Declined, true));
    assert!(first.escalation.is_none());
    assert!(first.text.contains("person"), "{}", first.text);
    let again = respond(Plan::Decline, Vec::new(), Lang::Zh, 1, &settings);
    assert_eq!(
        again.escalation.unwrap().reason,
        EscalationReason::RepeatedFailure
    );
}

#[test]
fn a_rejected_question_about_reaching_the_desk_is_looked_up_not_declined() {
    let settings = Settings::defaults().dialogue;
    let mut rejected = prediction(("out_of_scope", 0.94), ("human_agent", 0.05));
    rejected.out_of_scope = true;
    let planned = plan(
        "What time is customer support open on Sundays?",
        &rejected,
        &settings,
    );
    let Plan::Lookup { intent, .. } = &planned else {
        panic!("{planned:?}");
    };
    assert_eq!(intent, "human_agent");
    // the contact article is searched for as the hand-off intent's, not as out of scope
    let searched = search_intents(&planned, &rejected);
    assert_eq!(searched.len(), 1);
    assert_eq!(
        (searched[0].name.as_str(), searched[0].confidence),
        ("human_agent", 1.0)
    );
}

#[test]
fn a_question_about_the_bot_is_answered_as_one_whatever_the_classifier_read() {
    let settings = Settings::defaults().dialogue;
    let misread = prediction(("account_update_details", 0.8), ("bill_copy", 0.1));
    let planned = plan(
        "can you make changes to my account or only answer questions?",
        &misread,
        &settings,
    );
    assert_eq!(
        planned,
        Plan::Smalltalk {
            intent: "bot_identity".into()
        }
    );
}

#[test]
fn a_question_about_the_bot_gets_an_honest_answer_in_the_customers_language() {
    let settings = Settings::defaults().dialogue;
    let asked = prediction(("bot_identity", 0.9), ("greeting", 0.05));
    for (lang, words) in [(Lang::En, "virtual assistant"), (Lang::Zh, "虚拟助手")] {
        let outcome = respond(
            plan("could you tell me about this?", &asked, &settings),
            Vec::new(),
            lang,
            0,
            &settings,
        );
        assert_eq!(outcome.action, BotAction::Smalltalk);
        assert!(outcome.text.contains(words), "{}", outcome.text);
    }
}

#[test]
fn a_hit_that_does_not_answer_is_not_quoted_and_the_turn_fails() {
    let settings = Settings::defaults().dialogue;
    let lookup = Plan::Lookup {
        intent: "device_troubleshoot".into(),
        vague: false,
    };
    let unrelated = Hit {
        answerable: false,
        ..hit(12.0)
    };
    let outcome = respond(lookup, vec![unrelated], Lang::En, 0, &settings);
    assert_eq!((outcome.action, outcome.failed), (BotAction::Clarify, true));
    assert!(outcome.sources.is_empty());
    assert_eq!(outcome.text, replies::no_article(Lang::En));
}

#[test]
fn smalltalk_skips_the_knowledge_base() {
    let settings = Settings::defaults().dialogue;
    let plan = plan(
        "could you tell me about this?",
        &prediction(("greeting", 0.95), ("thanks", 0.01)),
        &settings,
    );
    let outcome = respond(plan, Vec::new(), Lang::Zh, 0, &settings);
    assert_eq!(outcome.action, BotAction::Smalltalk);
    assert!(outcome.text.contains("您好"));
}

#[test]
fn a_close_article_that_does_not_quite_answer_is_offered_with_the_next_not_quoted() {
    let settings = Settings::defaults().dialogue;
    let lookup = Plan::Lookup {
        intent: "device_unlock".into(),
        vague: false,
    };
    let judged = |title: &str, answerability: f32| Hit {
        answerable: false,
        answerability: Some(answerability),
        ..titled(title, "en")
    };
    let close = || {
        vec![
            judged("Request a phone unlock", 0.6),
            judged("Unlock rules", 0.5),
        ]
    };
    let outcome = respond(lookup.clone(), close(), Lang::En, 0, &settings);
    assert_eq!((outcome.action, outcome.failed), (BotAction::Clarify, true));
    assert!(outcome.sources.is_empty());
    assert_eq!(outcome.choices, ["Request a phone unlock", "Unlock rules"]);
    assert!(
        outcome.text.contains("talk to a person"),
        "{}",
        outcome.text
    );
    let far = vec![
        judged("Request a phone unlock", 0.2),
        judged("Unlock rules", 0.1),
    ];
    let outcome = respond(lookup, far, Lang::En, 0, &settings);
    assert!(outcome.choices.is_empty());
    assert_eq!(outcome.text, replies::no_article(Lang::En));
}

#[test]
fn a_sensitive_hand_over_cites_an_article_that_answers_and_nothing_else_does() {
    let settings = Settings::defaults().dialogue;
    let sensitive = Plan::Escalate(Escalation::bare(EscalationReason::Sensitive));
    assert!(needs_search(&sensitive, &settings));
    let cited = respond(sensitive.clone(), vec![hit(5.0)], Lang::En, 0, &settings);
    assert_eq!(cited.action, BotAction::Escalated);
    assert_eq!(cited.sources.len(), 1, "the article to read while waiting");
    let doubtful = Hit {
        answerable: false,
        ..hit(5.0)
    };
    let uncited = respond(sensitive, vec![doubtful], Lang::En, 0, &settings);
    assert!(
        uncited.sources.is_empty(),
        "never an article the judge doubts"
    );
    let asked = Plan::Escalate(Escalation::bare(EscalationReason::ExplicitRequest));
    assert!(!needs_search(&asked, &settings), "they asked for a person");
}
