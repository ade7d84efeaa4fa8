//! The customer's controls around the bot: the "talk to a person" button, ending the chat, and
//! the 1-5 rating once the conversation is resolved.
//!
//! When the bot resolves on its own: when the customer says goodbye or thanks (the `goodbye` or
//! `thanks` intent) after the bot has answered from the knowledge base in this conversation, or
//! when the customer ends the chat in the widget. Either way the widget can then ask for a rating.
//! A later message reopens the conversation and the bot answers again.

use std::time::Instant;

use super::messages::MessageReply;
use super::{Switchboard, elapsed_ms, parse_id};
use crate::dialogue::{Lang, replies};
use crate::error::ServiceError;
use crate::escalation::{self, Escalation};
use crate::service::HandlingError;
use crate::store::Append;
use crate::tickets::{
    BotAction, BotReply, Conflict, EscalationReason, Event, EventKind, Ticket, TicketStatus, now_ms,
};

/// Longest rating comment, in characters.
const MAX_COMMENT_CHARS: usize = 1000;

/// The ticket metadata key holding the customer's interface language (`en` or `zh`), set by
/// `POST /v1/conversations` from the widget (a partner may set it too). Replies that have no
/// customer message to detect the language from (the handoff button) use it.
pub const LANG_METADATA_KEY: &str = "lang";

/// Intents after which the bot closes a conversation it has answered.
pub(super) const CLOSING_INTENTS: [&str; 2] = ["goodbye", "thanks"];

impl Switchboard {
    /// The widget's "talk to a person" button.
    pub async fn handoff(&self, id: &str) -> Result<MessageReply, ServiceError> {
        let started = Instant::now();
        let ticket = self.store.ticket(parse_id(id)?).await?;
        match ticket.status {
            TicketStatus::Escalated | TicketStatus::Assigned => {
                return Err(Conflict::AlreadyWithAgent.into());
            }
            TicketStatus::Resolved => return Err(Conflict::ConversationResolved.into()),
            TicketStatus::Open => {}
        }
        let events = self.store.events_after(ticket.id, None).await?;
        let lang = conversation_lang(&ticket, &events);
        let escalation = escalation::handoff_button();
        let offline = !self.available(&ticket.tenant).await?;
        let reply = escalated_reply(&escalation, lang, offline, started);
        let events = vec![
            EventKind::BotReply(reply.clone()),
            super::messages::escalated_event(&escalation),
        ];
        self.commit_escalation(ticket.id, events, escalation, reply, offline, started)
            .await
    }

    /// The customer ends the chat (the widget's end control): resolved by the customer.
    pub async fn end_chat(&self, id: &str) -> Result<Ticket, ServiceError> {
        let ticket = self.store.ticket(parse_id(id)?).await?;
        let was_queued = ticket.status != TicketStatus::Open;
        let check = |t: &Ticket| match t.status {
            TicketStatus::Resolved => Err(Conflict::ConversationResolved),
            TicketStatus::Open | TicketStatus::Escalated | TicketStatus::Assigned => Ok(()),
        };
        let ticket = self.close(ticket.id, "customer", None, check).await?;
        if was_queued {
            self.publish_queue(&ticket.tenant).await;
        }
        Ok(ticket)
    }

    /// Stores the customer's rating (1-5, optional comment) on a resolved conversation, once.
    pub async fn rate(
        &self,
        id: &str,
        score: i64,
        comment: Option<&str>,
    ) -> Result<Ticket, ServiceError> {
        let score = u8::try_from(score)
            .ok()
            .filter(|s| (1..=5).contains(s))
            .ok_or_else(|| HandlingError::InvalidRating("`score` must be 1 to 5".into()))?;
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            let message = format!("`comment` is longer than {MAX_COMMENT_CHARS} characters");
            return Err(HandlingError::InvalidRating(message).into());
        }
        let id = parse_id(id)?;
        let rated = EventKind::Rated {
            score,
            comment: comment.map(str::to_string),
        };
        let append = Append::events(id, now_ms(), vec![rated]).with_change(move |t| {
            if t.status != TicketStatus::Resolved {
                return Err(Conflict::NotResolved);
            }
            if t.rating.is_some() {
                return Err(Conflict::AlreadyRated);
            }
            t.rating = Some(score);
            Ok(())
        });
        self.append_and_publish(append).await
    }
}

/// The language of the customer's last message; before the first one, the interface language
/// the conversation was opened with; English if neither is known.
pub(super) fn conversation_lang(ticket: &Ticket, events: &[Event]) -> Lang {
    lang_of(ticket, super::queue::last_customer_text(events).as_deref())
}

/// The language of the customer's last message, else the one the conversation was opened with.
pub(super) fn lang_of(ticket: &Ticket, last_customer_text: Option<&str>) -> Lang {
    if let Some(text) = last_customer_text {
        return Lang::detect(text);
    }
    ticket
        .metadata
        .get(LANG_METADATA_KEY)
        .and_then(|code| Lang::from_code(code))
        .unwrap_or(Lang::En)
}

/// The bot's reply when it hands over: the escalation text, plus the offline notice if nobody
/// can take it now.
pub(super) fn escalated_reply(
    escalation: &Escalation,
    lang: Lang,
    offline: bool,
    started: Instant,
) -> BotReply {
    BotReply {
        text: Some(escalated_text(escalation.reason, lang, offline)),
        action: BotAction::Escalated,
        intent: None,
        runner_up: None,
        sources: Vec::new(),
        choices: Vec::new(),
        latency_ms: elapsed_ms(started),
    }
}

/// What the bot says when it hands over: the reason's words, then the offline note when nobody
/// can reply now.
pub(super) fn escalated_text(reason: EscalationReason, lang: Lang, offline: bool) -> String {
    let text = replies::escalated(reason, lang);
    match offline {
        true => format!("{text} {}", replies::offline(lang)),
        false => text.to_string(),
    }
}
