//! Reading a follow-up to a failed turn again with the customer's message before it
//! ([`reread_text`]).

use super::*;

#[test]
fn a_follow_up_is_read_with_the_message_before_it_unless_it_repeats_it() {
    let settings = Settings::defaults().dialogue;
    let declined = respond(Plan::Decline, Vec::new(), Lang::En, 0, &settings);
    assert!(declined.failed);
    let before = Some("my roaming isn't working in Spain");
    let both = reread_text(before, "I turned it on already", &Plan::Decline, &declined);
    assert_eq!(
        both.as_deref(),
        Some("my roaming isn't working in Spain\nI turned it on already")
    );
    let again = reread_text(Some("sim card"), " SIM card ", &Plan::Decline, &declined);
    assert_eq!(again, None);
    let first = reread_text(None, "I turned it on already", &Plan::Decline, &declined);
    assert_eq!(first, None, "nothing failed before");
    let unhelped = respond(Plan::DidNotHelp, Vec::new(), Lang::En, 0, &settings);
    assert!(unhelped.failed);
    let feedback = reread_text(before, "that didn't help", &Plan::DidNotHelp, &unhelped);
    assert_eq!(feedback, None, "'that didn't help' is no subject");
}
