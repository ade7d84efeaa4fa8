//! The customer's path: start a conversation, post a message (classify, plan, search, reply,
//! escalate), read the transcript. Every turn is stored and flushed before it is acknowledged.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use uuid::Uuid;

use super::{Switchboard, elapsed_ms, parse_id};
use crate::dialogue::{self, Lang, Outcome, Plan};
use crate::error::ServiceError;
use crate::kb::{Hit, Mode, SearchRequest};
use crate::nlu::{Prediction, Scored};
use crate::tickets::{
    BotAction, BotReply, Event, EventKind, ScoredIntent, Source, Ticket, TicketStatus,
};

/// Passages returned with an answer (the first is quoted, all are cited).
const SOURCES_PER_ANSWER: usize = 3;

/// The reply to one customer message, as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub struct MessageReply {
    pub conversation_id: Uuid,
    #[serde(flatten)]
    pub reply: BotReply,
    pub escalation_reason: Option<crate::tickets::EscalationReason>,
    pub ticket_status: TicketStatus,
    /// Server-side time for the whole message, storage included.
    pub latency_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Transcript {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub events: Vec<Event>,
}

/// What the CPU stage found: the prediction, the plan, and the passages for a lookup.
struct Understanding {
    prediction: Prediction,
    plan: Plan,
    hits: Vec<Hit>,
}

impl Switchboard {
    pub async fn start_conversation(
        &self,
        tenant: &str,
        channel: &str,
    ) -> Result<Ticket, ServiceError> {
        let ticket = self.store.create(tenant, channel)?;
        self.store.flush().await?;
        Ok(ticket)
    }

    pub fn transcript(&self, id: &str) -> Result<Transcript, ServiceError> {
        let id = parse_id(id)?;
        let ticket = self.store.get(id)?;
        Ok(Transcript {
            events: self.store.events(id)?,
            ticket,
        })
    }

    pub async fn post_message(&self, id: &str, text: &str) -> Result<MessageReply, ServiceError> {
        let started = Instant::now();
        let id = parse_id(id)?;
        let text = self.validate(text)?.to_string();
        let ticket = self.store.get(id)?;
        let lang = Lang::detect(&text);
        let customer = EventKind::CustomerMessage { text: text.clone() };
        if matches!(
            ticket.status,
            TicketStatus::Escalated | TicketStatus::Assigned
        ) {
            // A person has the conversation: record the message, the bot stays silent.
            let reply = bot_reply(BotAction::Queued, None, None, Vec::new(), started);
            return self
                .commit(
                    id,
                    vec![customer, EventKind::BotReply(reply.clone())],
                    None,
                    reply,
                    started,
                )
                .await;
        }
        let understanding = self.understand(text, lang, ticket.tenant.clone()).await?;
        let outcome = dialogue::respond(
            understanding.plan,
            understanding.hits,
            lang,
            ticket.failed_turns,
            &self.dialogue,
        );
        let reply = reply_of(&outcome, &understanding.prediction, started);
        let mut events = vec![customer, EventKind::BotReply(reply.clone())];
        if let Some(escalation) = &outcome.escalation {
            events.push(EventKind::Escalated {
                reason: escalation.reason,
                evidence: escalation.evidence.clone(),
            });
        }
        self.commit(id, events, Some(outcome), reply, started).await
    }

    fn validate<'t>(&self, text: &'t str) -> Result<&'t str, ServiceError> {
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

    /// Classifies and, when the plan calls for it, searches: on the blocking pool, behind the gate.
    async fn understand(
        &self,
        text: String,
        lang: Lang,
        tenant: String,
    ) -> Result<Understanding, ServiceError> {
        let classifier = Arc::clone(&self.classifier);
        let kb = Arc::clone(&self.kb);
        let settings = Arc::clone(&self.dialogue);
        let job = move || -> Result<Understanding, ServiceError> {
            let (prediction, embedding) = classifier.classify_embedded(&text)?;
            let plan = dialogue::plan(&prediction, &settings);
            let hits = match &plan {
                Plan::Lookup { .. } => {
                    let intents: Vec<Scored> = std::iter::once(prediction.intent.clone())
                        .chain(prediction.runner_up.clone())
                        .collect();
                    let request = SearchRequest {
                        text: &text,
                        intents: &intents,
                        lang: lang.code(),
                        tenant: Some(&tenant),
                        limit: SOURCES_PER_ANSWER,
                        embedding: Some(&embedding),
                        mode: Mode::Hybrid,
                    };
                    kb.search(&request)?
                }
                Plan::Smalltalk { .. } | Plan::Escalate(_) | Plan::Clarify { .. } => Vec::new(),
            };
            Ok(Understanding {
                prediction,
                plan,
                hits,
            })
        };
        self.cpu.run(job).await?
    }

    /// Appends the turn's events, updates the ticket header, and flushes before returning.
    async fn commit(
        &self,
        id: Uuid,
        events: Vec<EventKind>,
        outcome: Option<Outcome>,
        reply: BotReply,
        started: Instant,
    ) -> Result<MessageReply, ServiceError> {
        let ticket = self.store.append(id, events, |ticket| {
            let Some(outcome) = &outcome else { return };
            ticket.failed_turns = if outcome.failed {
                ticket.failed_turns + 1
            } else {
                0
            };
            if let Some(escalation) = &outcome.escalation {
                ticket.status = TicketStatus::Escalated;
                ticket.escalation_reason = Some(escalation.reason);
            }
        })?;
        self.store.flush().await?;
        Ok(MessageReply {
            conversation_id: id,
            escalation_reason: outcome.and_then(|o| o.escalation).map(|e| e.reason),
            reply,
            ticket_status: ticket.status,
            latency_ms: elapsed_ms(started),
        })
    }
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
        latency_ms: elapsed_ms(started),
    }
}
