//! Escalation rules: when the bot must hand a conversation to a person, and the evidence for it.
//! Every escalation records which rule fired and why, so agents and reports can see it.

use crate::nlu::Prediction;
use crate::tickets::EscalationReason;

#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub reason: EscalationReason,
    pub evidence: String,
}

/// Rules that look at one message alone: an explicit request for a person, or a message the
/// classifier rejects as out of scope.
pub fn check_message(prediction: &Prediction, handoff_intents: &[String]) -> Option<Escalation> {
    let intent = &prediction.intent;
    if !prediction.out_of_scope && handoff_intents.contains(&intent.name) {
        return Some(Escalation {
            reason: EscalationReason::ExplicitRequest,
            evidence: format!(
                "intent {} at confidence {:.2}",
                intent.name, intent.confidence
            ),
        });
    }
    if prediction.out_of_scope {
        return Some(Escalation {
            reason: EscalationReason::OutOfScope,
            evidence: format!(
                "top intent {} at confidence {:.2} was rejected",
                intent.name, intent.confidence
            ),
        });
    }
    None
}

/// The rule over the conversation: too many failed turns in a row.
pub fn check_failures(failed_turns: u32, max_failed_turns: u32) -> Option<Escalation> {
    (failed_turns >= max_failed_turns).then(|| Escalation {
        reason: EscalationReason::RepeatedFailure,
        evidence: format!("{failed_turns} failed turns in a row"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nlu::Scored;

    fn prediction(name: &str, confidence: f32, out_of_scope: bool) -> Prediction {
        Prediction {
            intent: Scored {
                name: name.into(),
                confidence,
            },
            runner_up: None,
            out_of_scope,
        }
    }

    #[test]
    fn explicit_request_and_out_of_scope_escalate() {
        let handoff = vec!["human_agent".to_string()];
        let asked = check_message(&prediction("human_agent", 0.9, false), &handoff).unwrap();
        assert_eq!(asked.reason, EscalationReason::ExplicitRequest);
        let unknown = check_message(&prediction("bill_explain", 0.2, true), &handoff).unwrap();
        assert_eq!(unknown.reason, EscalationReason::OutOfScope);
        assert!(check_message(&prediction("bill_explain", 0.9, false), &handoff).is_none());
    }

    #[test]
    fn second_failure_escalates() {
        assert!(check_failures(1, 2).is_none());
        assert_eq!(
            check_failures(2, 2).unwrap().reason,
            EscalationReason::RepeatedFailure
        );
    }
}
