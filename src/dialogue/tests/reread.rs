//! Reading a follow-up again with the customer's message before it ([`reread_text`],
//! [`stands_on_reread`]).

use super::*;

#[test]
fn a_follow_up_is_read_with_the_message_before_it_unless_it_repeats_it() {
    let settings = Settings::defaults().dialogue;
    let declined = respond(Plan::Decline, Vec::new(), Lang::En, 0, &settings);
    assert!(declined.failed);
    let failed = |text| Some(Previous { text, failed: true });
    let before = failed("my roaming isn't working in Spain");
    let both = reread_text(before, "I turned it on already", &Plan::Decline, &declined);
    assert_eq!(
        both.as_deref(),
        Some("my roaming isn't working in Spain\nI turned it on already")
    );
    let again = reread_text(failed("sim card"), " SIM card ", &Plan::Decline, &declined);
    assert_eq!(again, None);
    let first = reread_text(None, "I turned it on already", &Plan::Decline, &declined);
    assert_eq!(first, None, "nothing before");
    let unhelped = respond(Plan::DidNotHelp, Vec::new(), Lang::En, 0, &settings);
    assert!(unhelped.failed);
    let feedback = reread_text(before, "that didn't help", &Plan::DidNotHelp, &unhelped);
    assert_eq!(feedback, None, "'that didn't help' is no subject");
}

#[test]
fn after_an_answer_an_unplaced_follow_up_is_read_with_the_question_before_but_a_new_subject_is_not()
{
    let settings = Settings::defaults().dialogue;
    let answered = Some(Previous {
        text: "what's the difference between Everyday and Unlimited?",
        failed: false,
    });
    let unclear = Plan::Clarify {
        first: "plan_change".into(),
        second: "plan_compare".into(),
    };
    let clarified = respond(unclear.clone(), Vec::new(), Lang::En, 0, &settings);
    let follow_up = "ok and if I upgrade now do I pay for the full month?";
    let both = reread_text(answered, follow_up, &unclear, &clarified);
    assert!(both.is_some_and(|both| both.ends_with(follow_up)));
    let declined = respond(Plan::Decline, Vec::new(), Lang::En, 0, &settings);
    let elsewhere = "how do I unlock my WeChat account?";
    assert_eq!(
        reread_text(answered, elsewhere, &Plan::Decline, &declined),
        None
    );
}

#[test]
fn an_answer_found_on_rereading_a_follow_up_to_an_answer_stands_only_if_the_follow_up_found_it_too()
{
    let settings = Settings::defaults().dialogue;
    let article = |id: &str| Hit {
        article_id: id.into(),
        ..hit(5.0)
    };
    let lookup = Plan::Lookup {
        intent: "voicemail_setup".into(),
        vague: false,
    };
    let reread = respond(
        lookup,
        vec![article("voicemail-setup")],
        Lang::En,
        0,
        &settings,
    );
    assert_eq!(reread.action, BotAction::Answered);
    let answered = Some(Previous {
        text: "how do I set up voicemail?",
        failed: false,
    });
    let found_it = [article("router-lights"), article("voicemail-setup")];
    assert!(stands_on_reread(answered, &found_it, &reread));
    let elsewhere = [article("device-unlock-request")];
    assert!(!stands_on_reread(answered, &elsewhere, &reread));
    let failed = answered.map(|previous| Previous {
        failed: true,
        ..previous
    });
    assert!(
        stands_on_reread(failed, &elsewhere, &reread),
        "after a failure"
    );
    assert!(
        !stands_on_reread(None, &found_it, &reread),
        "nothing before"
    );
}
