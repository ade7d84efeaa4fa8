//! The dialogue policy: given what the classifier understood and what the knowledge base found,
//! decide what the bot does with a message (answer, clarify, decline, escalate, small talk) and
//! say it. Pure functions: no I/O, so every rule is unit-tested.

mod about_bot;
mod assent;
mod choices;
mod feedback;
mod opener;
pub mod replies;
mod words;

use crate::config::DialogueSettings;
use crate::escalation::judge::{Judge, Verdict};
use crate::escalation::{self, Escalation};
use crate::kb::Hit;
use crate::nlu::model::OUT_OF_SCOPE;
use crate::nlu::{Prediction, Scored};
use crate::tickets::{BotAction, EscalationReason};
use assent::Assent;

pub use replies::Lang;

/// The intent of questions about the bot itself, answered honestly (see [`replies`]).
const ABOUT_THE_BOT: &str = "bot_identity";

/// What the bot needs before it can reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Smalltalk {
        intent: String,
    },
    /// The customer asked for help without saying with what: ask them (see [`opener`]).
    AskWhatFor,
    /// The customer said the bot's last reply did not help (see [`feedback`]): a failed turn.
    DidNotHelp,
    /// The customer said no to the person the bot offered after a failed turn (see [`assent`]).
    CarryOn,
    Escalate(Escalation),
    /// The classifier rejected the message: outside what the bot covers.
    Decline,
    Clarify {
        first: String,
        second: String,
    },
    /// Search the knowledge base for this intent. `vague`: the message is a bare keyword or two
    /// ("宽带", "my plan"), which several articles may answer.
    Lookup {
        intent: String,
        vague: bool,
    },
}

/// What the conversation's earlier turns left behind for this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Before {
    /// Failed bot turns in a row just before this message; each offered a person.
    pub failed_turns: u32,
    /// The previous message held mild anger back ([`Verdict::Tentative`]).
    pub annoyed: bool,
}

/// The decision for one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub action: BotAction,
    pub text: String,
    /// The passages quoted, best first (empty unless answered).
    pub sources: Vec<Hit>,
    /// The article titles a clarifying question offers (the widget shows them as buttons).
    pub choices: Vec<String>,
    pub escalation: Option<Escalation>,
    /// Whether this turn counts toward the failed-turns rule.
    pub failed: bool,
}

/// The plan for a message no escalation rule took (the explicit request among them, see
/// `escalation::check_request`): a message outside the bot's domain (declined, not escalated:
/// nobody needs to read "what's the capital of Australia"), small talk (a question about the bot
/// among it, however the classifier read it: see [`about_bot`]), a clarifying question, or a
/// knowledge-base lookup.
pub fn plan(text: &str, prediction: &Prediction, settings: &DialogueSettings) -> Plan {
    if about_bot::asks_about_the_bot(text) {
        return Plan::Smalltalk {
            intent: ABOUT_THE_BOT.to_string(),
        };
    }
    let intent = &prediction.intent;
    // How to reach the desk is always the operator's business, whatever the classifier made of
    // "What time is customer support open on Sundays?": the contact article answers it, and that
    // article is tagged with the hand-off intent.
    if prediction.out_of_scope && escalation::request::asks_how_to_reach_us(text) {
        let desk = settings.handoff_intents.first().unwrap_or(&intent.name);
        return Plan::Lookup {
            intent: desk.clone(),
            vague: false,
        };
    }
    let smalltalk = settings.smalltalk_intents.contains(&intent.name);
    let unsure_smalltalk = smalltalk && intent.confidence < settings.smalltalk_min_confidence;
    if prediction.out_of_scope || unsure_smalltalk {
        // A keyword the classifier is unsure of ("宽带": an outage? slow internet?) still names
        // a topic of the domain: look it up, and ask which article it means.
        let unsure_topic = intent.name != OUT_OF_SCOPE && !smalltalk;
        return match unsure_topic && choices::is_vague(text) {
            true => Plan::Lookup {
                intent: intent.name.clone(),
                vague: true,
            },
            false => Plan::Decline,
        };
    }
    if smalltalk {
        return Plan::Smalltalk {
            intent: intent.name.clone(),
        };
    }
    // A bare keyword read with little confidence is as ambiguous as two close intents.
    let unsure_keyword =
        intent.confidence < settings.keyword_min_confidence && choices::is_vague(text);
    if let Some(second) = &prediction.runner_up
        && (intent.confidence - second.confidence < settings.clarify_margin || unsure_keyword)
    {
        return Plan::Clarify {
            first: intent.name.clone(),
            second: second.name.clone(),
        };
    }
    Plan::Lookup {
        intent: intent.name.clone(),
        vague: choices::is_vague(text),
    }
}

/// The intents a lookup searches the knowledge base with: the classifier's two best, or the one
/// the plan chose over the classifier's reading (a contact question it rejected), as sure.
pub fn search_intents(plan: &Plan, prediction: &Prediction) -> Vec<Scored> {
    if let Plan::Lookup { intent, .. } = plan
        && *intent != prediction.intent.name
    {
        return vec![Scored {
            name: intent.clone(),
            confidence: 1.0,
        }];
    }
    prediction.best_two()
}

/// Whether the plan needs the knowledge base: a lookup, and a decline when a strong match may
/// still answer it (`decline_answer_min_bm25`).
pub fn needs_search(plan: &Plan, settings: &DialogueSettings) -> bool {
    match plan {
        Plan::Lookup { .. } => true,
        Plan::Decline => settings.decline_answer_min_bm25 > 0.0,
        // A clarification names the articles the two intents lead to.
        Plan::Clarify { .. } => true,
        Plan::Smalltalk { .. } | Plan::AskWhatFor | Plan::CarryOn | Plan::DidNotHelp => false,
        // A sensitive hand-over cites an article that plainly answers the question, to read
        // while waiting ("how do I block my SIM" after a theft).
        Plan::Escalate(escalation) => escalation.reason == EscalationReason::Sensitive,
    }
}

/// The plan for a message once every rule has had its say: `forced` (the tenant's rule), a
/// message without a topic ([`without_topic`]), a request for a person (a "yes" to the person
/// offered after a failed turn among them), the judge (a sensitive situation, anger), then the
/// bot's own plan. Mild anger is held back (returned beside the bot's plan) unless the customer
/// was already annoyed on the turn before ([`Verdict::Tentative`]). The service,
/// `escalation-eval` and `kb-eval` all decide here.
pub fn decide(
    judge: &Judge,
    text: &str,
    prediction: &Prediction,
    embedding: &[f32],
    forced: Option<Escalation>,
    before: Before,
    settings: &DialogueSettings,
) -> (Plan, Option<Escalation>) {
    let answer_to_offer = (before.failed_turns > 0)
        .then(|| assent::read(text))
        .flatten();
    // Before the request for a person: these messages name nobody, and the classifier's guess
    // at them ("I need some assistance" as `human_agent`) is no request.
    if forced.is_none()
        && let Some(plan) = without_topic(text, answer_to_offer)
    {
        return (plan, None);
    }
    // A question about the bot in words ("what's your name? would like to know who's helping
    // me") is no request for a person unless it says so, whatever the classifier read.
    let asks_about_the_bot = about_bot::asks_about_the_bot(text);
    let request = match asks_about_the_bot {
        true => escalation::check_request_in_words(text),
        false => escalation::check_request(
            prediction,
            text,
            &settings.handoff_intents,
            settings.handoff_min_confidence,
        ),
    }
    .or_else(|| (answer_to_offer == Some(Assent::Yes)).then(escalation::accepted_offer));
    let mut assessment = judge.assess(text, embedding);
    if asks_about_the_bot || sure_it_is_about_the_bot(prediction, settings) {
        assessment.hold_back_wordless_anger();
    }
    if asks_about_the_bot {
        assessment.require_sure_sensitive();
    }
    let verdict = assessment.verdict(forced, request, before.annoyed);
    match verdict {
        Verdict::Escalate(escalation) => (Plan::Escalate(escalation), None),
        Verdict::Tentative(held_back) => (plan(text, prediction, settings), Some(held_back)),
        Verdict::Keep => (plan(text, prediction, settings), None),
    }
}

/// The classifier is sure the message asks about the bot itself ("are you an AI?").
fn sure_it_is_about_the_bot(prediction: &Prediction, settings: &DialogueSettings) -> bool {
    let intent = &prediction.intent;
    !prediction.out_of_scope
        && intent.name == ABOUT_THE_BOT
        && intent.confidence >= settings.smalltalk_min_confidence
}

/// The plan for a message with no topic to classify or judge: a "no" to the person offered after
/// a failed turn, a request for help that names no subject, a remark that the last reply did not
/// help. Read by the classifier and the judge, "I need help" and "that didn't help" were both
/// taken for sensitive situations.
fn without_topic(text: &str, answer_to_offer: Option<Assent>) -> Option<Plan> {
    if answer_to_offer == Some(Assent::No) {
        return Some(Plan::CarryOn);
    }
    if opener::asks_for_help_only(text) {
        return Some(Plan::AskWhatFor);
    }
    feedback::says_it_did_not_help(text).then_some(Plan::DidNotHelp)
}

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

#[cfg(test)]
mod tests;
