//! The dialogue policy: given what the classifier understood and what the knowledge base found,
//! decide what the bot does with a message (answer, clarify, decline, escalate, small talk) and
//! say it. Pure functions: no I/O, so every rule is unit-tested.

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
use crate::nlu::Prediction;
use crate::nlu::model::OUT_OF_SCOPE;
use crate::tickets::BotAction;
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
/// nobody needs to read "what's the capital of Australia"), small talk, a clarifying question, or
/// a knowledge-base lookup.
pub fn plan(text: &str, prediction: &Prediction, settings: &DialogueSettings) -> Plan {
    let intent = &prediction.intent;
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
        | Plan::Escalate(_) => false,
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
    let request = escalation::check_request(
        prediction,
        text,
        &settings.handoff_intents,
        settings.handoff_min_confidence,
    )
    .or_else(|| (answer_to_offer == Some(Assent::Yes)).then(escalation::accepted_offer));
    let mut assessment = judge.assess(text, embedding);
    if asks_about_the_bot(prediction, settings) {
        assessment.hold_back_wordless_anger();
    }
    let verdict = assessment.verdict(forced, request, before.annoyed);
    match verdict {
        Verdict::Escalate(escalation) => (Plan::Escalate(escalation), None),
        Verdict::Tentative(held_back) => (plan(text, prediction, settings), Some(held_back)),
        Verdict::Keep => (plan(text, prediction, settings), None),
    }
}

/// The classifier is sure the message asks about the bot itself ("are you an AI?").
fn asks_about_the_bot(prediction: &Prediction, settings: &DialogueSettings) -> bool {
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
        Plan::Escalate(escalation) => escalate(escalation, lang),
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
                // say so and offer a person rather than quote it. A bare keyword that articles
                // use is not uncovered but vague: ask which of the two best it means.
                Some(best) if !best.answerable => {
                    let offered = match vague {
                        true => {
                            choices::two_titles(choices::word_matches(&answers, settings), lang)
                        }
                        false => None,
                    };
                    let text = match offered {
                        Some((a, b)) => replies::clarify_between(a, b, lang),
                        None => replies::no_article(lang).to_string(),
                    };
                    offering(failure(BotAction::Clarify, text), offered)
                }
                Some(_) => answered(answers),
                None => failure(BotAction::Clarify, replies::no_answer(lang).to_string()),
            }
        }
    }
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
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::nlu::Scored;
    use crate::tickets::EscalationReason;

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
        assert_eq!(plan("就之前那个啊", &guessed, &settings), Plan::Decline);
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
        let answered =
            respond_holding(lookup.clone(), vec![hit(5.0)], held, Lang::En, 0, &settings);
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
}
