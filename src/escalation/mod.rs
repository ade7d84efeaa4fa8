//! Escalation rules: when the bot must hand a conversation to a person, and the evidence for it.
//! Every escalation records which rule fired and why, so agents and reports can see it.
//!
//! Rules, in the order the service applies them to a customer message while the bot has the
//! conversation: a sensitive situation (fraud, bereavement, safety, legal action, a vulnerable
//! customer), a per-tenant rule on the ticket's metadata (e.g. VIP), an explicit request (the
//! handoff intent, or the widget's button), anger (anger and sensitive situations are judged by
//! [`judge`]: the learned [`scorer`] with the [`cues`] and [`sentiment`] lexicons), repeated
//! failed turns (declined, unclear or unanswered messages). [`hours`] decides whether people are there to take it; the
//! queue lives in `service::handling`. [`eval`] measures all of it on labelled conversations.

pub mod assessment;
pub mod cues;
pub mod eval;
pub mod framing;
pub mod hours;
pub mod interjection;
pub mod judge;
pub mod ownership;
pub mod phrases;
pub mod process;
pub mod request;
pub mod scorer;
pub mod sentiment;
pub mod style;
pub mod train;

use std::collections::BTreeMap;

use crate::config::EscalationSettings;
use crate::nlu::Prediction;
use crate::tickets::EscalationReason;

#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub reason: EscalationReason,
    pub evidence: String,
    /// Queue priority from the rule itself (per-tenant rules); 0 = use the configured default.
    pub priority: u8,
}

#[cfg(test)]
impl Escalation {
    /// An escalation with no evidence and the configured priority: what tests of the rules that
    /// read only its reason need.
    pub fn bare(reason: EscalationReason) -> Escalation {
        Escalation {
            reason,
            evidence: String::new(),
            priority: 0,
        }
    }
}

/// The queue priority of an escalation: the rule's own, or the configured one for its reason.
pub fn priority(escalation: &Escalation, settings: &EscalationSettings) -> u8 {
    let configured = match escalation.reason {
        EscalationReason::ExplicitRequest => settings.priority_explicit_request,
        EscalationReason::OutOfScope => settings.priority_out_of_scope,
        EscalationReason::RepeatedFailure => settings.priority_repeated_failure,
        EscalationReason::NegativeSentiment => settings.priority_negative_sentiment,
        EscalationReason::Sensitive => settings.priority_sensitive,
        EscalationReason::TenantRule => 0,
    };
    configured.max(escalation.priority)
}

/// The tenant's metadata rules: the first rule whose key and value match fires.
pub fn check_tenant(
    tenant: &str,
    metadata: &BTreeMap<String, String>,
    settings: &EscalationSettings,
) -> Option<Escalation> {
    let rules = settings.tenants.get(tenant)?;
    let rule = rules
        .rules
        .iter()
        .find(|rule| metadata.get(&rule.key) == Some(&rule.value))?;
    Some(Escalation {
        reason: EscalationReason::TenantRule,
        evidence: format!("tenant {tenant} rule: {} = {}", rule.key, rule.value),
        priority: rule.priority,
    })
}

/// The widget's "talk to a person" button.
pub fn handoff_button() -> Escalation {
    Escalation {
        reason: EscalationReason::ExplicitRequest,
        evidence: "customer pressed talk to a person".into(),
        priority: 0,
    }
}

/// An explicit request for a person: the handoff intent on top with at least `min_confidence`, or
/// one of [`request`]'s phrases in `text`; a question about how to reach the desk is none. The
/// floor holds whether or not the classifier rejected the message: a rejected request from the
/// floor up still counts (declining "can someone call me?" would be the worst answer), and an
/// accepted one under it does not, since a follow-up such as "I want a completely new one" can
/// top the handoff intent at 0.18 among thirty near-ties.
pub fn check_request(
    prediction: &Prediction,
    text: &str,
    handoff_intents: &[String],
    min_confidence: f32,
) -> Option<Escalation> {
    // "What's your phone number?" is answered by the knowledge base, with the person a click
    // away, not handed over.
    if request::asks_how_to_reach_us(text) {
        return None;
    }
    let intent = &prediction.intent;
    let confident = intent.confidence >= min_confidence;
    if !confident || !handoff_intents.contains(&intent.name) {
        return check_request_in_words(text);
    }
    Some(Escalation {
        reason: EscalationReason::ExplicitRequest,
        evidence: format!(
            "intent {} at confidence {:.2}",
            intent.name, intent.confidence
        ),
        priority: 0,
    })
}

/// A request for a person in the message's own words ([`request::asks_for_person`]), whatever the
/// classifier made of it: for messages whose subject the dialogue knows better than the
/// classifier (a question about the bot).
pub fn check_request_in_words(text: &str) -> Option<Escalation> {
    let phrase = request::asks_for_person(text)?;
    Some(Escalation {
        reason: EscalationReason::ExplicitRequest,
        evidence: format!("asked for a person: '{phrase}'"),
        priority: 0,
    })
}

/// A "yes" to the person the bot offered after a turn it could not help with.
pub fn accepted_offer() -> Escalation {
    Escalation {
        reason: EscalationReason::ExplicitRequest,
        evidence: "said yes to the offer of a person".into(),
        priority: 0,
    }
}

/// The rule over the conversation: too many failed turns in a row.
pub fn check_failures(failed_turns: u32, max_failed_turns: u32) -> Option<Escalation> {
    (failed_turns >= max_failed_turns).then(|| Escalation {
        reason: EscalationReason::RepeatedFailure,
        evidence: format!("{failed_turns} failed turns in a row"),
        priority: 0,
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
    fn an_explicit_request_escalates_and_an_unlikely_one_does_not() {
        let handoff = vec!["human_agent".to_string()];
        let check = |name, confidence, rejected| {
            let text = "could you help me with this";
            check_request(&prediction(name, confidence, rejected), text, &handoff, 0.3)
        };
        let asked = check("human_agent", 0.9, false).unwrap();
        assert_eq!(asked.reason, EscalationReason::ExplicitRequest);
        let unsure = check("human_agent", 0.35, true);
        assert_eq!(unsure.unwrap().reason, EscalationReason::ExplicitRequest);
        assert!(check("bill_explain", 0.2, true).is_none());
        assert!(check("human_agent", 0.2, true).is_none());
        assert!(check("human_agent", 0.2, false).is_none());
        assert!(check("bill_explain", 0.9, false).is_none());
    }

    #[test]
    fn a_request_in_words_the_classifier_missed_still_escalates_with_its_phrase() {
        let handoff = vec!["human_agent".to_string()];
        let missed = prediction("bill_explain", 0.8, false);
        let asked = check_request(&missed, "麻烦转一下人工，账单的事", &handoff, 0.3).unwrap();
        assert_eq!(asked.reason, EscalationReason::ExplicitRequest);
        assert!(asked.evidence.contains("人工"), "{}", asked.evidence);
    }

    #[test]
    fn a_vip_ticket_of_a_tenant_with_the_rule_escalates_at_its_priority() {
        let settings = crate::config::Settings::defaults().escalation;
        let mut metadata = BTreeMap::new();
        metadata.insert("tier".to_string(), "vip".to_string());
        let vip = check_tenant("demo", &metadata, &settings).unwrap();
        assert_eq!(vip.reason, EscalationReason::TenantRule);
        assert_eq!(priority(&vip, &settings), 3);
        assert!(check_tenant("other", &metadata, &settings).is_none());
        assert!(check_tenant("demo", &BTreeMap::new(), &settings).is_none());
    }

    #[test]
    fn a_sensitive_situation_has_the_highest_priority() {
        let settings = crate::config::Settings::defaults().escalation;
        let sensitive = Escalation {
            reason: EscalationReason::Sensitive,
            evidence: String::new(),
            priority: 0,
        };
        let vip = settings.tenants["demo"].rules[0].priority;
        assert!(priority(&sensitive, &settings) > vip);
        assert!(settings.priority_sensitive > settings.priority_negative_sentiment);
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
