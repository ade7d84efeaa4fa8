//! Escalation rules: when the bot must hand a conversation to a person, and the evidence for it.
//! Every escalation records which rule fired and why, so agents and reports can see it.
//!
//! Rules, in the order the service applies them to a customer message while the bot has the
//! conversation: a per-tenant rule on the ticket's metadata (e.g. VIP), negative sentiment
//! ([`sentiment`]), an explicit request (the handoff intent, or the widget's button), out of
//! scope (the classifier rejected the message), repeated failed turns. [`hours`] decides whether
//! people are there to take it; the queue lives in `service::handling`.

pub mod hours;
pub mod sentiment;

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

/// The queue priority of an escalation: the rule's own, or the configured one for its reason.
pub fn priority(escalation: &Escalation, settings: &EscalationSettings) -> u8 {
    let configured = match escalation.reason {
        EscalationReason::ExplicitRequest => settings.priority_explicit_request,
        EscalationReason::OutOfScope => settings.priority_out_of_scope,
        EscalationReason::RepeatedFailure => settings.priority_repeated_failure,
        EscalationReason::NegativeSentiment => settings.priority_negative_sentiment,
        EscalationReason::TenantRule => 0,
    };
    configured.max(escalation.priority)
}

/// Rules that fire before the classifier is consulted: the tenant's metadata rules, then anger.
pub fn check_before_nlu(
    tenant: &str,
    metadata: &BTreeMap<String, String>,
    text: &str,
    settings: &EscalationSettings,
) -> Option<Escalation> {
    if let Some(escalation) = check_tenant(tenant, metadata, settings) {
        return Some(escalation);
    }
    let feeling = sentiment::score(text);
    (feeling.score <= settings.negative_sentiment_threshold).then(|| Escalation {
        reason: EscalationReason::NegativeSentiment,
        evidence: format!(
            "sentiment {:.1} (threshold {:.1}): {}",
            feeling.score,
            settings.negative_sentiment_threshold,
            feeling.cues.join(", ")
        ),
        priority: 0,
    })
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
            priority: 0,
        });
    }
    if prediction.out_of_scope {
        return Some(Escalation {
            reason: EscalationReason::OutOfScope,
            evidence: format!(
                "top intent {} at confidence {:.2} was rejected",
                intent.name, intent.confidence
            ),
            priority: 0,
        });
    }
    None
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
    fn explicit_request_and_out_of_scope_escalate() {
        let handoff = vec!["human_agent".to_string()];
        let asked = check_message(&prediction("human_agent", 0.9, false), &handoff).unwrap();
        assert_eq!(asked.reason, EscalationReason::ExplicitRequest);
        let unknown = check_message(&prediction("bill_explain", 0.2, true), &handoff).unwrap();
        assert_eq!(unknown.reason, EscalationReason::OutOfScope);
        assert!(check_message(&prediction("bill_explain", 0.9, false), &handoff).is_none());
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
    fn an_angry_message_escalates_before_the_classifier() {
        let settings = crate::config::Settings::defaults().escalation;
        let none = BTreeMap::new();
        let angry = check_before_nlu("demo", &none, "This is absolutely terrible!!", &settings);
        assert_eq!(angry.unwrap().reason, EscalationReason::NegativeSentiment);
        assert!(check_before_nlu("demo", &none, "how do I pay my bill", &settings).is_none());
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
