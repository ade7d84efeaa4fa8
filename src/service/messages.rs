//! The customer's path: start a conversation, post a message (reply or escalate, after the CPU
//! stage in [`understanding`](super::understanding)), read the transcript. Every turn is stored and flushed before it is acknowledged.

use std::time::Instant;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::queue::QueueStatus;
use super::{Switchboard, customer, elapsed_ms, parse_id};
use crate::dialogue::{Lang, Outcome, replies};
use crate::error::ServiceError;
use crate::escalation::{self, Escalation};
use crate::metrics::Stage;
use crate::nlu::{Prediction, Scored};
use crate::store::Append;
use crate::tickets::{
    BotAction, BotReply, Event, EventKind, ScoredIntent, Source, Ticket, TicketStatus, new_ticket,
    now_ms,
};

/// The reply to one customer message, as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageReply {
    pub conversation_id: Uuid,
    #[serde(flatten)]
    pub reply: BotReply,
    pub escalation_reason: Option<crate::tickets::EscalationReason>,
    pub ticket_status: TicketStatus,
    /// The customer's place in the queue while waiting for a person, else null.
    pub queue: Option<QueueStatus>,
    /// Nobody can take the conversation now (outside business hours or no agent online): the
    /// reply says so and the ticket stays queued.
    pub offline: bool,
    /// Server-side time for the whole message, storage included.
    pub latency_ms: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transcript {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub events: Vec<Event>,
}

/// What the bot's own turn changes on the ticket besides its events.
struct BotTurn<'a> {
    outcome: &'a Outcome,
    /// The bot closes the conversation (a goodbye after an answer).
    closes: bool,
    /// The turn held mild anger back ([`Ticket::annoyed`]).
    annoyed: bool,
}

impl Switchboard {
    /// Opens a conversation; `lang` (the widget's interface language) is kept in the ticket's
    /// metadata under [`customer::LANG_METADATA_KEY`].
    pub async fn start_conversation(
        &self,
        tenant: &str,
        channel: &str,
        lang: Option<Lang>,
    ) -> Result<Ticket, ServiceError> {
        // Unknown tenants are refused (404 `tenant_not_found`); known ones pay their rate limit.
        self.tenants.get(tenant).await?;
        self.limits.check_tenant(tenant)?;
        let metadata = lang
            .map(|lang| {
                (
                    customer::LANG_METADATA_KEY.to_string(),
                    lang.code().to_string(),
                )
            })
            .into_iter()
            .collect();
        let now = now_ms();
        let ticket = new_ticket(tenant, channel, None, metadata, now);
        Ok(self.store.create_ticket(ticket, now).await?.ticket)
    }

    pub async fn transcript(&self, id: &str) -> Result<Transcript, ServiceError> {
        let id = parse_id(id)?;
        let ticket = self.store.ticket(id).await?;
        Ok(Transcript {
            events: self.store.events_after(id, None).await?,
            ticket,
        })
    }

    pub async fn post_message(&self, id: &str, text: &str) -> Result<MessageReply, ServiceError> {
        let started = Instant::now();
        let id = parse_id(id)?;
        let text = self.validate(text)?.to_string();
        let ticket = self.store.ticket(id).await?;
        let customer = EventKind::CustomerMessage { text: text.clone() };
        if matches!(
            ticket.status,
            TicketStatus::Escalated | TicketStatus::Assigned
        ) {
            return self.silent_turn(&ticket, customer, started).await;
        }
        let mut events = reopening(&ticket);
        events.push(customer);
        let read = self.kb.current().read_message(&text);
        let read = read.unwrap_or_else(|| text.clone());
        let lang = Lang::detect(&read);
        let forced = self.rules_before_nlu(&ticket);
        let understanding = self.understand(read, &text, lang, &ticket, forced).await?;
        let (outcome, annoyed) = (understanding.outcome, understanding.annoyed);
        let mut reply = reply_of(&outcome, &understanding.prediction, started);
        let Some(escalation) = outcome.escalation.clone() else {
            let closes = self
                .bot_closes(&ticket, &outcome, &understanding.prediction)
                .await?;
            events.push(EventKind::BotReply(reply.clone()));
            let turn = BotTurn {
                outcome: &outcome,
                closes,
                annoyed,
            };
            return self
                .commit_bot_turn(&ticket, events, turn, reply, started)
                .await;
        };
        let offline = !self.available(&ticket.tenant).await?;
        let mut text = customer::escalated_text(escalation.reason, lang, offline);
        if let Some(source) = reply.sources.first() {
            text = format!("{text} {}", replies::while_you_wait(&source.title, lang));
        }
        reply.text = Some(text);
        events.push(EventKind::BotReply(reply.clone()));
        events.push(escalated_event(&escalation));
        self.commit_escalation(id, events, escalation, reply, offline, started)
            .await
    }

    /// The tenant's metadata rules, which need no model (anger and sensitive situations are
    /// judged on the classifier's embedding, in [`Switchboard::understand`]).
    fn rules_before_nlu(&self, ticket: &Ticket) -> Option<Escalation> {
        let rules = &self.desk.escalation;
        escalation::check_tenant(&ticket.tenant, &ticket.metadata, rules)
    }

    /// A person has the conversation: record the message, the bot stays silent.
    async fn silent_turn(
        &self,
        ticket: &Ticket,
        customer: EventKind,
        started: Instant,
    ) -> Result<MessageReply, ServiceError> {
        let reply = bot_reply(BotAction::Queued, None, None, Vec::new(), started);
        let events = vec![customer, EventKind::BotReply(reply.clone())];
        let stored = self.append_events(ticket.id, events).await?;
        // The console shows the last customer message of each queued conversation.
        let status = match stored.status {
            TicketStatus::Escalated => self
                .publish_queue(&ticket.tenant)
                .await
                .and_then(|queue| queue.status_of(ticket.id)),
            TicketStatus::Open | TicketStatus::Assigned | TicketStatus::Resolved => None,
        };
        Ok(MessageReply {
            conversation_id: ticket.id,
            reply,
            escalation_reason: None,
            ticket_status: stored.status,
            offline: status.as_ref().is_some_and(|s| s.offline),
            queue: status,
            latency_ms: elapsed_ms(started),
        })
    }

    /// The bot closes a contained conversation: a goodbye or thanks after it has answered.
    async fn bot_closes(
        &self,
        ticket: &Ticket,
        outcome: &Outcome,
        prediction: &Prediction,
    ) -> Result<bool, ServiceError> {
        if outcome.action != BotAction::Smalltalk
            || !customer::CLOSING_INTENTS.contains(&prediction.intent.name.as_str())
        {
            return Ok(false);
        }
        let events = self.store.events_after(ticket.id, None).await?;
        Ok(events.iter().any(|e| {
            matches!(&e.kind, EventKind::BotReply(reply) if reply.action == BotAction::Answered)
        }))
    }

    pub(super) fn validate<'t>(&self, text: &'t str) -> Result<&'t str, ServiceError> {
        let limit = self.dialogue.max_text_bytes;
        if text.len() > limit {
            return Err(ServiceError::TextTooLong {
                actual: text.len(),
                limit,
            });
        }
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ServiceError::EmptyText);
        }
        Ok(trimmed)
    }

    /// Stores a turn the bot handled itself (answer, clarification, small talk), closing the
    /// conversation when `closes`; flushes before returning.
    async fn commit_bot_turn(
        &self,
        ticket: &Ticket,
        mut events: Vec<EventKind>,
        turn: BotTurn<'_>,
        reply: BotReply,
        started: Instant,
    ) -> Result<MessageReply, ServiceError> {
        let BotTurn {
            outcome,
            closes,
            annoyed,
        } = turn;
        if closes {
            events.push(EventKind::Resolved {
                by: "bot".into(),
                tag: None,
            });
        }
        let failed = outcome.failed;
        let store_started = Instant::now();
        let turn = Append::events(ticket.id, now_ms(), events).with_change(move |t| {
            t.failed_turns = if failed { t.failed_turns + 1 } else { 0 };
            t.annoyed = annoyed;
            // A person may have claimed it meanwhile: leave their status alone.
            if matches!(t.status, TicketStatus::Open | TicketStatus::Resolved) {
                t.status = if closes {
                    TicketStatus::Resolved
                } else {
                    TicketStatus::Open
                };
            }
            Ok(())
        });
        let stored = self.append_and_publish(turn).await?;
        self.metrics
            .observe_stage(Stage::Store, store_started.elapsed().as_secs_f64());
        Ok(MessageReply {
            conversation_id: ticket.id,
            reply,
            escalation_reason: None,
            ticket_status: stored.status,
            queue: None,
            offline: false,
            latency_ms: elapsed_ms(started),
        })
    }

    /// Stores an escalating turn: the ticket joins the queue at the rule's priority. Then offers
    /// it to an online agent (auto-assignment) and tells every console the queue moved.
    pub(super) async fn commit_escalation(
        &self,
        id: Uuid,
        events: Vec<EventKind>,
        escalation: Escalation,
        reply: BotReply,
        offline: bool,
        started: Instant,
    ) -> Result<MessageReply, ServiceError> {
        let priority = escalation::priority(&escalation, &self.desk.escalation);
        let reason = escalation.reason;
        let store_started = Instant::now();
        let turn = Append::events(id, now_ms(), events).with_change(move |t| {
            t.failed_turns = 0;
            t.annoyed = false;
            // A person may have claimed it meanwhile: never push it back into the queue.
            if matches!(t.status, TicketStatus::Open | TicketStatus::Resolved) {
                t.status = TicketStatus::Escalated;
                t.escalation_reason = Some(reason);
                t.priority = priority;
            }
            Ok(())
        });
        let stored = self.append_and_publish(turn).await?;
        self.metrics
            .observe_stage(Stage::Store, store_started.elapsed().as_secs_f64());
        if let Err(error) = self.auto_assign(&stored.tenant).await {
            tracing::warn!(%error, "auto-assignment failed");
        }
        let queue = self.publish_queue(&stored.tenant).await;
        let ticket_status = self.store.ticket(id).await?.status;
        Ok(MessageReply {
            conversation_id: id,
            reply,
            escalation_reason: Some(reason),
            ticket_status,
            queue: queue.and_then(|q| q.status_of(id)),
            offline,
            latency_ms: elapsed_ms(started),
        })
    }
}

pub(super) fn escalated_event(escalation: &Escalation) -> EventKind {
    EventKind::Escalated {
        reason: escalation.reason,
        evidence: escalation.evidence.clone(),
    }
}

/// A message after the end reopens the conversation; the bot answers again.
fn reopening(ticket: &Ticket) -> Vec<EventKind> {
    if ticket.status != TicketStatus::Resolved {
        return Vec::new();
    }
    vec![EventKind::StatusChanged {
        from: TicketStatus::Resolved,
        to: TicketStatus::Open,
    }]
}

fn scored(s: &Scored) -> ScoredIntent {
    ScoredIntent {
        name: s.name.clone(),
        confidence: s.confidence,
    }
}

fn reply_of(outcome: &Outcome, prediction: &Prediction, started: Instant) -> BotReply {
    let sources = outcome
        .sources
        .iter()
        .map(|h| Source {
            id: h.article_id.clone(),
            title: h.title.clone(),
            anchor: h.anchor.clone(),
            score: h.score,
        })
        .collect();
    let intent = Some(scored(&prediction.intent));
    let runner_up = prediction.runner_up.as_ref().map(scored);
    let mut reply = bot_reply(outcome.action, intent, runner_up, sources, started);
    reply.text = Some(outcome.text.clone());
    reply.choices = outcome.choices.clone();
    reply
}

fn bot_reply(
    action: BotAction,
    intent: Option<ScoredIntent>,
    runner_up: Option<ScoredIntent>,
    sources: Vec<Source>,
    started: Instant,
) -> BotReply {
    BotReply {
        text: None,
        action,
        intent,
        runner_up,
        sources,
        choices: Vec::new(),
        latency_ms: elapsed_ms(started),
    }
}
