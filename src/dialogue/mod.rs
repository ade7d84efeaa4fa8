//! The dialogue policy: given what the classifier understood and what the knowledge base found,
//! decide what the bot does with a message (answer, clarify, escalate, small talk) and say it.
//! Pure functions: no I/O, so every rule is unit-tested.

pub mod replies;

use crate::config::DialogueSettings;
use crate::escalation::{self, Escalation};
use crate::kb::Hit;
use crate::nlu::Prediction;
use crate::tickets::BotAction;

pub use replies::Lang;

/// What the bot needs before it can reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Smalltalk {
        intent: String,
    },
    Escalate(Escalation),
    Clarify {
        first: String,
        second: String,
    },
    /// Search the knowledge base for this intent.
    Lookup {
        intent: String,
    },
}

/// The decision for one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub action: BotAction,
    pub text: String,
    /// The passages quoted, best first (empty unless answered).
    pub sources: Vec<Hit>,
    pub escalation: Option<Escalation>,
    /// Whether this turn counts toward the failed-turns rule.
    pub failed: bool,
}

pub fn plan(prediction: &Prediction, settings: &DialogueSettings) -> Plan {
    if let Some(escalation) = escalation::check_message(prediction, &settings.handoff_intents) {
        return Plan::Escalate(escalation);
    }
    let intent = &prediction.intent;
    if settings.smalltalk_intents.contains(&intent.name) {
        return Plan::Smalltalk {
            intent: intent.name.clone(),
        };
    }
    if let Some(second) = &prediction.runner_up
        && intent.confidence - second.confidence < settings.clarify_margin
    {
        return Plan::Clarify {
            first: intent.name.clone(),
            second: second.name.clone(),
        };
    }
    Plan::Lookup {
        intent: intent.name.clone(),
    }
}

/// Turns a plan (and, for a lookup, the passages found) into the reply. `failed_before` is the
/// number of failed turns in a row before this message.
pub fn respond(
    plan: Plan,
    hits: Vec<Hit>,
    lang: Lang,
    failed_before: u32,
    settings: &DialogueSettings,
) -> Outcome {
    let failure = |text: String| match escalation::check_failures(
        failed_before + 1,
        settings.max_failed_turns,
    ) {
        Some(escalation) => escalate(escalation, lang),
        None => Outcome {
            action: BotAction::Clarify,
            text,
            sources: Vec::new(),
            escalation: None,
            failed: true,
        },
    };
    match plan {
        Plan::Escalate(escalation) => escalate(escalation, lang),
        Plan::Smalltalk { intent } => Outcome {
            action: BotAction::Smalltalk,
            text: replies::smalltalk(&intent, lang).to_string(),
            sources: Vec::new(),
            escalation: None,
            failed: false,
        },
        Plan::Clarify { first, second } => failure(replies::clarify(&first, &second, lang)),
        Plan::Lookup { .. } => {
            let answers: Vec<Hit> = hits
                .into_iter()
                .filter(|h| h.bm25 >= settings.min_kb_score || h.cosine >= settings.min_kb_cosine)
                .collect();
            match answers.first() {
                // The best hit is only the least bad of articles that do not cover the question:
                // say so and offer a person rather than quote it.
                Some(best) if !best.answerable => failure(replies::no_article(lang).to_string()),
                Some(best) => Outcome {
                    action: BotAction::Answered,
                    text: best.text.clone(),
                    sources: answers,
                    escalation: None,
                    failed: false,
                },
                None => failure(replies::no_answer(lang).to_string()),
            }
        }
    }
}

fn escalate(escalation: Escalation, lang: Lang) -> Outcome {
    Outcome {
        action: BotAction::Escalated,
        text: replies::escalated(escalation.reason, lang).to_string(),
        sources: Vec::new(),
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

    #[test]
    fn confident_intent_with_a_match_is_answered() {
        let settings = Settings::defaults().dialogue;
        let plan = plan(
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
    fn a_hit_that_does_not_answer_is_not_quoted_and_the_turn_fails() {
        let settings = Settings::defaults().dialogue;
        let lookup = Plan::Lookup {
            intent: "device_troubleshoot".into(),
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
        let plan = plan(&prediction(("greeting", 0.95), ("thanks", 0.01)), &settings);
        let outcome = respond(plan, Vec::new(), Lang::Zh, 0, &settings);
        assert_eq!(outcome.action, BotAction::Smalltalk);
        assert!(outcome.text.contains("您好"));
    }
}
