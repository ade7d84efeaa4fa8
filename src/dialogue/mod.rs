//! The dialogue policy: given what the classifier understood and what the knowledge base found,
//! decide what the bot does with a message (answer, clarify, decline, escalate, small talk) and
//! say it. Pure functions: no I/O, so every rule is unit-tested.

mod about_bot;
mod assent;
mod choices;
mod earlier;
mod feedback;
mod opener;
pub mod replies;
mod respond;
mod words;

use crate::config::DialogueSettings;
use crate::escalation::assessment::Verdict;
use crate::escalation::judge::Judge;
use crate::escalation::{self, Escalation};
use crate::kb::Hit;
use crate::nlu::model::OUT_OF_SCOPE;
use crate::nlu::{Prediction, Scored};
use crate::tickets::{BotAction, EscalationReason};
use assent::Assent;

pub use replies::Lang;
pub use respond::{
    Previous, answered_on_reread, reread_text, respond, respond_holding, stands_on_reread,
};

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
    /// The customer pointed back at a problem without saying what it is (see [`earlier`]): the
    /// bot cannot see earlier conversations, so it asks; a failed turn.
    WhichProblem,
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
        Plan::Smalltalk { .. }
        | Plan::AskWhatFor
        | Plan::CarryOn
        | Plan::DidNotHelp
        | Plan::WhichProblem => false,
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
/// a failed turn, a request for help that names no subject, a pointer back at "that problem", a
/// remark that the last reply did not help. Read by the classifier and the judge, "I need help"
/// and "that didn't help" were both taken for sensitive situations.
fn without_topic(text: &str, answer_to_offer: Option<Assent>) -> Option<Plan> {
    if answer_to_offer == Some(Assent::No) {
        return Some(Plan::CarryOn);
    }
    if opener::asks_for_help_only(text) {
        return Some(Plan::AskWhatFor);
    }
    if earlier::only_points_back(text) {
        return Some(Plan::WhichProblem);
    }
    feedback::says_it_did_not_help(text).then_some(Plan::DidNotHelp)
}

#[cfg(test)]
mod tests;
