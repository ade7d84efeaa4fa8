//! The ticket record and the events of its timeline, as stored (JSON values in sled).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a ticket stands. Conversations start `open`; the bot keeps answering until it escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Escalated,
    Resolved,
}

/// Why a conversation was handed to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    ExplicitRequest,
    OutOfScope,
    RepeatedFailure,
}

/// What the bot did with a customer message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotAction {
    Answered,
    Clarify,
    Escalated,
    Smalltalk,
    /// The conversation is with a person already: the message is queued for them, the bot stays silent.
    Queued,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredIntent {
    pub name: String,
    pub confidence: f32,
}

/// A knowledge-base passage cited in a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub anchor: String,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotReply {
    pub text: Option<String>,
    pub action: BotAction,
    pub intent: Option<ScoredIntent>,
    pub runner_up: Option<ScoredIntent>,
    pub sources: Vec<Source>,
    pub latency_ms: f64,
}

/// One entry of a ticket's append-only timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at_ms: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The ticket header: everything but the timeline, updated in the same transaction as each append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: Uuid,
    pub channel: String,
    pub status: TicketStatus,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    /// Failed bot turns in a row (clarifications, no answer found); reset by an answer.
    pub failed_turns: u32,
    pub escalation_reason: Option<EscalationReason>,
    pub event_count: u64,
}
