//! Saying it: turns a [`Plan`] and the passages found into the bot's reply ([`Outcome`]), counting
//! a clarification, an unanswered lookup and a decline as failed turns and handing over on the
//! failure that reaches the limit. Mild anger held back by [`decide`](super::decide) hands over
//! here when the bot has nothing better to say.

use super::{Lang, Outcome, Plan, choices, needs_search, replies};
use crate::config::DialogueSettings;
use crate::escalation::{self, Escalation};
use crate::kb::Hit;
use crate::tickets::{BotAction, EscalationReason};

/// [`respond`], unless mild anger was held back: then the bot's own answer, decline or
/// small-talk reply when it has one, the held-back hand-over otherwise.
pub fn respond_holding(
    plan: Plan,
    hits: Vec<Hit>,
    held_back: Option<Escalation>,
    lang: Lang,
    failed_before: u32,
    settings: &DialogueSettings,
) -> Outcome {
    let outcome = respond(plan, hits, lang, failed_before, settings);
    let Some(held_back) = held_back else {
        return outcome;
    };
    let helped = matches!(
        outcome.action,
        BotAction::Answered | BotAction::Declined | BotAction::Smalltalk
    );
    if helped && outcome.escalation.is_none() {
        return outcome;
    }
    escalate(held_back, lang)
}

/// Turns a plan (and, for a lookup, the passages found) into the reply. `failed_before` is the
/// number of failed turns in a row before this message: a clarification, an unanswered lookup
/// and a decline each fail, and the failure that reaches `max_failed_turns` escalates.
pub fn respond(
    plan: Plan,
    hits: Vec<Hit>,
    lang: Lang,
    failed_before: u32,
    settings: &DialogueSettings,
) -> Outcome {
    let failure = |action: BotAction, text: String| match escalation::check_failures(
        failed_before + 1,
        settings.max_failed_turns,
    ) {
        Some(escalation) => escalate(escalation, lang),
        None => Outcome {
            action,
            text,
            sources: Vec::new(),
            choices: Vec::new(),
            escalation: None,
            failed: true,
        },
    };
    match plan {
        Plan::Escalate(escalation) => escalate_citing(escalation, hits, lang),
        // The classifier doubts it, but an article matches it word for word: answer after all
        // (a question phrased in a way the intent examples do not cover is not out of domain).
        Plan::Decline => match hits.first() {
            Some(best)
                if needs_search(&Plan::Decline, settings)
                    && best.answerable
                    && best.bm25 >= settings.decline_answer_min_bm25 =>
            {
                answered(hits)
            }
            _ => failure(BotAction::Declined, replies::decline(lang).to_string()),
        },
        Plan::Smalltalk { intent } => chat(replies::smalltalk(&intent, lang)),
        Plan::AskWhatFor => chat(replies::what_for(lang)),
        Plan::CarryOn => chat(replies::carry_on(lang)),
        Plan::DidNotHelp => failure(BotAction::Clarify, replies::did_not_help(lang).to_string()),
        Plan::WhichProblem => failure(BotAction::Clarify, replies::which_problem(lang).to_string()),
        Plan::Clarify { first, second } => {
            let matching = choices::relevant(hits, settings);
            let offered = choices::two_titles(&matching, lang);
            let text = match offered {
                Some((a, b)) => replies::clarify_between(a, b, lang),
                None => replies::clarify(&first, &second, lang),
            };
            offering(failure(BotAction::Clarify, text), offered)
        }
        Plan::Lookup { vague, .. } => {
            let answers = choices::relevant(hits, settings);
            match answers.first() {
                // The best hit is only the least bad of articles that do not cover the question:
                // not quoted (see `unsure`).
                Some(best) if !best.answerable => {
                    let (text, offered) = unsure(&answers, vague, lang, settings);
                    offering(failure(BotAction::Clarify, text), offered)
                }
                Some(_) => answered(answers),
                None => failure(BotAction::Clarify, replies::no_answer(lang).to_string()),
            }
        }
    }
}

/// What to say when the best hit does not answer the question, and the titles offered: a bare
/// keyword that articles use is vague rather than uncovered (which of the two best does it
/// mean?); a best hit the judge found close (a sibling article, or the right one in unusual words)
/// is offered with the next ("is it one of these?"); anything else gets "I don't know", with a
/// person offered rather than a misleading quote.
fn unsure<'a>(
    answers: &'a [Hit],
    vague: bool,
    lang: Lang,
    settings: &DialogueSettings,
) -> (String, Option<(&'a str, &'a str)>) {
    let offered = match vague {
        true => choices::two_titles(choices::word_matches(answers, settings), lang),
        false => choices::suggestions(answers, settings, lang),
    };
    let text = match (offered, vague) {
        (Some((a, b)), true) => replies::clarify_between(a, b, lang),
        (Some((a, b)), false) => replies::not_sure_between(a, b, lang),
        (None, _) => replies::no_article(lang).to_string(),
    };
    (text, offered)
}

/// A clarifying question's choices, kept only if the turn stayed a clarification (a second failed
/// turn hands over instead).
fn offering(outcome: Outcome, offered: Option<(&str, &str)>) -> Outcome {
    let Some((a, b)) = offered else {
        return outcome;
    };
    if outcome.action != BotAction::Clarify {
        return outcome;
    }
    Outcome {
        choices: vec![a.to_string(), b.to_string()],
        ..outcome
    }
}

/// A reply of the bot's own words that needs no article and fails nothing.
fn chat(text: &str) -> Outcome {
    Outcome {
        action: BotAction::Smalltalk,
        text: text.to_string(),
        sources: Vec::new(),
        choices: Vec::new(),
        escalation: None,
        failed: false,
    }
}

/// Quotes the first of `answers` (not empty) and cites them all.
fn answered(answers: Vec<Hit>) -> Outcome {
    Outcome {
        action: BotAction::Answered,
        text: answers.first().map(|h| h.text.clone()).unwrap_or_default(),
        sources: answers,
        choices: Vec::new(),
        escalation: None,
        failed: false,
    }
}

/// A hand-over that also cites the best article when the search ran for it ([`needs_search`])
/// and the answerability judge says the article answers: the customer can act on it (block a
/// stolen SIM, read what happens to a late relative's account) before a person replies.
fn escalate_citing(escalation: Escalation, hits: Vec<Hit>, lang: Lang) -> Outcome {
    let mut outcome = escalate(escalation, lang);
    outcome.sources = hits.into_iter().take(1).filter(|h| h.answerable).collect();
    outcome
}

fn escalate(escalation: Escalation, lang: Lang) -> Outcome {
    Outcome {
        action: BotAction::Escalated,
        text: replies::escalated(escalation.reason, lang).to_string(),
        sources: Vec::new(),
        choices: Vec::new(),
        escalation: Some(escalation),
        failed: false,
    }
}

/// The customer's message before this one, and whether the bot's reply to it failed.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    pub text: &'a str,
    pub failed: bool,
}

/// The text to read again when a follow-up fails: this message after the customer's `previous`
/// one, for a plan about the message's subject whose reply fails the turn or hands over for
/// failing. "I turned it on in the app already" after "my roaming isn't working in Spain" is
/// about roaming, "重启过了还是SOS" after "手机从早上开始就没信号" about having no service, and "ok and
/// if I upgrade now do I pay for the full month?" after a question on the plans about plans.
///
/// After a failed turn, a lookup, a clarification, a decline or a pointer back at "that problem"
/// is read again (not "that didn't help"). After an answer, only a lookup or a clarification: a
/// message the classifier puts out of scope ("那我的微信号被封了怎么解封" after a wifi question) is a
/// new subject, and read with the question before it, it would get that question's article. The
/// same message sent again adds nothing to read it with.
pub fn reread_text(
    previous: Option<Previous>,
    text: &str,
    plan: &Plan,
    outcome: &Outcome,
) -> Option<String> {
    let previous = previous?;
    let about_the_subject = match previous.failed {
        true => matches!(
            plan,
            Plan::Lookup { .. } | Plan::Clarify { .. } | Plan::Decline | Plan::WhichProblem
        ),
        false => matches!(plan, Plan::Lookup { .. } | Plan::Clarify { .. }),
    };
    let gave_up = outcome
        .escalation
        .as_ref()
        .is_some_and(|e| e.reason == EscalationReason::RepeatedFailure);
    if !about_the_subject || !(outcome.failed || gave_up) {
        return None;
    }
    let same = previous.text.trim().to_lowercase() == text.trim().to_lowercase();
    (!same).then(|| format!("{}\n{text}", previous.text))
}

/// Whether an answer found by reading a follow-up with the message before it ([`reread_text`])
/// stands. After a failed turn it does. After an answer, only when the follow-up's own search
/// found that article too (`found_alone`), short of quoting it: "默认密码是多少" after a voicemail
/// question finds the voicemail article alone; "how do I unlock my WeChat account?" after the same
/// question does not, and read with it would get the voicemail article.
pub fn stands_on_reread(previous: Option<Previous>, found_alone: &[Hit], reread: &Outcome) -> bool {
    let Some(previous) = previous else {
        return false;
    };
    if previous.failed {
        return true;
    }
    let Some(quoted) = reread.sources.first() else {
        return false;
    };
    found_alone
        .iter()
        .any(|hit| hit.article_id == quoted.article_id)
}

/// The reply to a message read again ([`reread_text`]) as a lookup, kept only if it is an answer:
/// a reading that fails again leaves the first reply standing.
pub fn answered_on_reread(
    plan: Plan,
    hits: Vec<Hit>,
    lang: Lang,
    settings: &DialogueSettings,
) -> Option<Outcome> {
    let outcome = respond(plan, hits, lang, 0, settings);
    (outcome.action == BotAction::Answered).then_some(outcome)
}
