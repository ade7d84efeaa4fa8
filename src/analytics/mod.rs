//! Scoring: what support managers judge the service by, computed from each ticket's timeline
//! ([`score`]), summed over a time range and grouped per tenant, intent, article, agent or channel
//! ([`report`]), and exported one row per ticket ([`export`]).
//!
//! Definitions (the README repeats them): a conversation *starts* at its first customer message
//! (or its creation, when the customer never wrote). Bot first response is the `latency_ms` the bot
//! recorded on its first reply (message received → reply stored). Time to escalation and resolution
//! time count from the start; human first response counts from the first escalation (or the first
//! assignment, or the start, when a person stepped in without one). A ticket is *contained* when it
//! was resolved and no person took part (no escalation, assignment or agent message).

pub mod export;
pub mod report;

use serde::Serialize;
use uuid::Uuid;

use crate::config::SlaSettings;
use crate::tickets::{BotAction, EscalationReason, Event, EventKind, Ticket};

/// Who handled a ticket, for the CSAT split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Handler {
    Bot,
    Human,
}

/// Which SLA targets a ticket missed (or, still waiting, has already passed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SlaBreaches {
    pub bot_first_response: bool,
    pub human_first_response: bool,
    pub resolution: bool,
}

/// One ticket's numbers. Durations are milliseconds; `None` when the moment never came.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketScore {
    pub id: Uuid,
    pub tenant: String,
    pub channel: String,
    pub created_at_ms: u64,
    /// The first intent the classifier gave.
    pub intent: Option<String>,
    /// The article the bot cited first (the best source of its first answer).
    pub article: Option<String>,
    pub agent: Option<String>,
    /// Customer messages.
    pub turns: u32,
    pub bot_first_response_ms: Option<f64>,
    pub time_to_escalation_ms: Option<u64>,
    pub escalation_reason: Option<EscalationReason>,
    pub human_first_response_ms: Option<u64>,
    pub resolution_ms: Option<u64>,
    pub rating: Option<u8>,
    pub resolved: bool,
    pub contained: bool,
    pub handled_by: Handler,
    pub sla_breaches: SlaBreaches,
}

/// The moments of a timeline the scores are made of.
#[derive(Default)]
struct Moments<'e> {
    first_customer_at: Option<u64>,
    first_escalation: Option<(u64, EscalationReason)>,
    first_assigned_at: Option<u64>,
    last_assigned: Option<&'e str>,
    agent_messages: Vec<(u64, &'e str)>,
    last_resolved_at: Option<u64>,
    first_bot_latency_ms: Option<f64>,
    first_intent: Option<&'e str>,
    first_article: Option<&'e str>,
    rating: Option<u8>,
    turns: u32,
}

fn moments(events: &[Event]) -> Moments<'_> {
    let mut m = Moments::default();
    for event in events {
        let at = event.at_ms;
        match &event.kind {
            EventKind::CustomerMessage { .. } => {
                m.turns += 1;
                m.first_customer_at.get_or_insert(at);
            }
            EventKind::BotReply(reply) => {
                if let Some(intent) = &reply.intent {
                    m.first_intent.get_or_insert(intent.name.as_str());
                }
                if reply.text.is_some() {
                    m.first_bot_latency_ms.get_or_insert(reply.latency_ms);
                }
                // A hand-over may cite an article to read while waiting: the conversation was
                // never the article's to contain, so only an answer counts for it.
                if let Some(source) = reply.sources.first()
                    && reply.action == BotAction::Answered
                {
                    m.first_article.get_or_insert(source.id.as_str());
                }
            }
            EventKind::Escalated { reason, .. } => {
                m.first_escalation.get_or_insert((at, *reason));
            }
            EventKind::Assigned { agent } => {
                m.first_assigned_at.get_or_insert(at);
                m.last_assigned = Some(agent.as_str());
            }
            EventKind::AgentMessage { agent, .. } => m.agent_messages.push((at, agent.as_str())),
            EventKind::Resolved { .. } => m.last_resolved_at = Some(at),
            EventKind::Rated { score, .. } => m.rating = Some(*score),
            EventKind::Created { .. }
            | EventKind::StatusChanged { .. }
            | EventKind::InternalNote { .. }
            | EventKind::HandedBack { .. } => {}
        }
    }
    m
}

/// The durations the SLA targets are checked against, and where they count from.
struct Timing {
    started: u64,
    human_involved: bool,
    human_from: u64,
    bot_first_response_ms: Option<f64>,
    human_first_response_ms: Option<u64>,
    resolution_ms: Option<u64>,
}

fn timing(ticket: &Ticket, m: &Moments) -> Timing {
    let started = m.first_customer_at.unwrap_or(ticket.created_at_ms);
    let human_from = m
        .first_escalation
        .map(|(at, _)| at)
        .or(m.first_assigned_at)
        .unwrap_or(started);
    Timing {
        started,
        human_involved: m.first_escalation.is_some()
            || m.first_assigned_at.is_some()
            || !m.agent_messages.is_empty(),
        human_from,
        bot_first_response_ms: m.first_bot_latency_ms,
        human_first_response_ms: m
            .agent_messages
            .iter()
            .find(|(at, _)| *at >= human_from)
            .map(|(at, _)| at - human_from),
        resolution_ms: m.last_resolved_at.map(|at| at.saturating_sub(started)),
    }
}

/// A target is missed when the duration exceeds it, or when the ticket is still unresolved and
/// has already waited longer than it.
fn breaches(t: &Timing, sla: &SlaSettings, now_ms: u64) -> SlaBreaches {
    let unresolved = t.resolution_ms.is_none();
    let waited = |since: u64, target: u64| unresolved && now_ms.saturating_sub(since) > target;
    SlaBreaches {
        bot_first_response: t
            .bot_first_response_ms
            .is_some_and(|ms| ms > sla.bot_first_response_ms as f64),
        human_first_response: match t.human_first_response_ms {
            Some(ms) => ms > sla.human_first_response_ms,
            None => t.human_involved && waited(t.human_from, sla.human_first_response_ms),
        },
        resolution: match t.resolution_ms {
            Some(ms) => ms > sla.resolution_ms,
            None => waited(t.started, sla.resolution_ms),
        },
    }
}

/// Scores one ticket from its header and timeline; `now_ms` decides whether a ticket still waiting
/// has already passed an SLA target.
pub fn score(ticket: &Ticket, events: &[Event], sla: &SlaSettings, now_ms: u64) -> TicketScore {
    let m = moments(events);
    let t = timing(ticket, &m);
    let started = t.started;
    let agent = ticket
        .assignee
        .as_deref()
        .or(m.last_assigned)
        .or(m.agent_messages.first().map(|(_, agent)| *agent));
    TicketScore {
        id: ticket.id,
        tenant: ticket.tenant.clone(),
        channel: ticket.channel.clone(),
        created_at_ms: ticket.created_at_ms,
        intent: m.first_intent.map(str::to_string),
        article: m.first_article.map(str::to_string),
        agent: agent.map(str::to_string),
        turns: m.turns,
        bot_first_response_ms: m.first_bot_latency_ms,
        time_to_escalation_ms: m.first_escalation.map(|(at, _)| at.saturating_sub(started)),
        escalation_reason: m.first_escalation.map(|(_, reason)| reason),
        human_first_response_ms: t.human_first_response_ms,
        resolution_ms: t.resolution_ms,
        rating: m.rating,
        resolved: t.resolution_ms.is_some(),
        contained: t.resolution_ms.is_some() && !t.human_involved,
        sla_breaches: breaches(&t, sla, now_ms),
        handled_by: if t.human_involved {
            Handler::Human
        } else {
            Handler::Bot
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::{BotReply, Source};

    fn citing(action: BotAction) -> [Event; 1] {
        let reply = BotReply {
            text: Some("...".into()),
            action,
            intent: None,
            runner_up: None,
            sources: vec![Source {
                id: "sim-lost-stolen-block".into(),
                title: "Block a lost or stolen phone".into(),
                anchor: String::new(),
                score: 1.0,
            }],
            choices: Vec::new(),
            latency_ms: 1.0,
        };
        [Event {
            seq: 1,
            at_ms: 1,
            kind: EventKind::BotReply(reply),
        }]
    }

    #[test]
    fn a_conversation_counts_for_an_article_only_when_the_bot_answered_with_it() {
        let answered = citing(BotAction::Answered);
        assert_eq!(
            moments(&answered).first_article,
            Some("sim-lost-stolen-block")
        );
        let handed_over = citing(BotAction::Escalated);
        assert_eq!(moments(&handed_over).first_article, None);
    }
}
