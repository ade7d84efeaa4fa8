//! The ticket record and the events of its timeline, as stored (JSON values in sled).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where a ticket stands. Conversations start `open`; the bot keeps answering until it escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// The bot is answering.
    Open,
    /// Waiting in the queue for a person; the bot stays silent.
    Escalated,
    /// A person has claimed it (or was assigned); the bot stays silent.
    Assigned,
    Resolved,
}

/// Why a conversation was handed to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    ExplicitRequest,
    OutOfScope,
    RepeatedFailure,
    NegativeSentiment,
    /// A per-tenant rule (e.g. VIP customers always go to a person).
    TenantRule,
    /// Fraud or identity theft, bereavement, safety or abuse, legal action, a vulnerable
    /// customer: a person handles it whatever the customer's tone.
    Sensitive,
}

/// What the bot did with a customer message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BotAction {
    Answered,
    Clarify,
    Escalated,
    Smalltalk,
    /// Out of the bot's domain: it says what it can help with and offers a person.
    Declined,
    /// The conversation is with a person already: the message is queued for them, the bot stays silent.
    Queued,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoredIntent {
    pub name: String,
    pub confidence: f32,
}

/// A knowledge-base passage cited in a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub anchor: String,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BotReply {
    pub text: Option<String>,
    pub action: BotAction,
    pub intent: Option<ScoredIntent>,
    pub runner_up: Option<ScoredIntent>,
    pub sources: Vec<Source>,
    /// What a clarifying question offers to choose between (article titles); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    pub latency_ms: f64,
}

/// One entry of a ticket's append-only timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Created {
        channel: String,
    },
    CustomerMessage {
        text: String,
    },
    BotReply(BotReply),
    Escalated {
        reason: EscalationReason,
        evidence: String,
    },
    StatusChanged {
        from: TicketStatus,
        to: TicketStatus,
    },
    /// A person took the conversation (claimed it, or was assigned by the service).
    Assigned {
        agent: String,
    },
    /// A reply from a person (console agent, or a partner's own desk).
    AgentMessage {
        agent: String,
        text: String,
    },
    /// Visible to staff only, never to the customer.
    InternalNote {
        agent: String,
        text: String,
    },
    /// The agent gave the conversation back to the bot.
    HandedBack {
        agent: String,
    },
    /// `by` is the agent's name, or "bot" when the bot closed a contained conversation.
    Resolved {
        by: String,
        tag: Option<String>,
    },
    Rated {
        score: u8,
        comment: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub seq: u64,
    pub at_ms: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The ticket header: everything but the timeline, updated in the same transaction as each append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    pub id: Uuid,
    /// The tenant (partner or site) the conversation belongs to; every read is scoped to it.
    pub tenant: String,
    pub channel: String,
    pub status: TicketStatus,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    /// Failed bot turns in a row (clarifications, no answer found); reset by an answer.
    pub failed_turns: u32,
    /// The customer's last message was mildly angry and the bot answered it anyway: the next
    /// angry one goes to a person (`escalation::assessment::Verdict`).
    #[serde(default)]
    pub annoyed: bool,
    pub escalation_reason: Option<EscalationReason>,
    pub event_count: u64,
    /// The person handling the conversation, once claimed or assigned.
    pub assignee: Option<String>,
    /// Higher is served first in the queue (0 = normal).
    pub priority: u8,
    pub tags: Vec<String>,
    /// The customer's 1-5 rating, once given.
    pub rating: Option<u8>,
    /// The partner's own id for the customer, when a partner opened the conversation.
    pub customer_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// What the desk's queue shows, kept up to date by every append. `None` on tickets stored
    /// before headers kept it: the queue reads their timeline instead.
    #[serde(default)]
    pub latest: Option<Latest>,
}

/// The latest of what the desk's queue shows about a conversation. Kept on the header so that
/// the queue is built from headers alone: a queue of thousands costs one scan of small records,
/// not thousands of timelines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Latest {
    /// The customer's last message.
    pub customer_message: Option<String>,
    /// The intent of the bot's last classified reply.
    pub intent: Option<String>,
    /// The last hand-over to a person.
    pub escalation: Option<LatestEscalation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LatestEscalation {
    pub at_ms: u64,
    pub reason: EscalationReason,
    pub evidence: String,
}

impl Latest {
    /// The facts of a whole timeline (for headers stored before `latest` existed).
    pub fn of(events: &[Event]) -> Latest {
        let mut latest = Latest::default();
        for event in events {
            latest.observe(event);
        }
        latest
    }

    /// Takes in one new event of the timeline.
    pub fn observe(&mut self, event: &Event) {
        match &event.kind {
            EventKind::CustomerMessage { text } => self.customer_message = Some(text.clone()),
            EventKind::BotReply(reply) => {
                if let Some(intent) = &reply.intent {
                    self.intent = Some(intent.name.clone());
                }
            }
            EventKind::Escalated { reason, evidence } => {
                self.escalation = Some(LatestEscalation {
                    at_ms: event.at_ms,
                    reason: *reason,
                    evidence: evidence.clone(),
                });
            }
            EventKind::Created { .. }
            | EventKind::StatusChanged { .. }
            | EventKind::Assigned { .. }
            | EventKind::AgentMessage { .. }
            | EventKind::InternalNote { .. }
            | EventKind::HandedBack { .. }
            | EventKind::Resolved { .. }
            | EventKind::Rated { .. } => {}
        }
    }
}
