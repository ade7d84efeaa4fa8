//! Which customer turns of a timeline the bot could not answer: the raw material of the gaps
//! view and of the drafts made from a conversation. Pure functions over events.
//!
//! A turn is a gap when the bot's reply to it is anything but an answer citing the knowledge base,
//! small talk, or the silent `queued` turn: a clarification, a hand-over, a decline, "no article
//! fits", an answer without a source. Matching on the two answered kinds rather than listing the
//! failed ones is deliberate: an action added later (a decline, a new fallback) counts as a gap
//! without anyone having to remember this list.
//!
//! Hand-overs later answered by an agent count too: the messages the customer wrote while waiting
//! (the bot stayed silent) up to the agent's first reply, and, when the customer pressed "talk to
//! a person" after an answer, the question that answer did not settle. They count only once an
//! agent has replied: a hand-over nobody answered says nothing about what the answer should be.

use serde::Serialize;
use uuid::Uuid;

use crate::tickets::{BotAction, BotReply, EscalationReason, Event, EventKind};

/// The kind of a hand-over turn answered by an agent (the others carry the bot's action).
pub const HANDED_OVER: &str = "handed_over";

/// One customer message the bot did not answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GapTurn {
    pub conversation_id: Uuid,
    pub text: String,
    pub at_ms: u64,
    /// The bot's action (`clarify`, `escalated`, `declined`, …), or `handed_over`.
    pub kind: String,
    pub escalation_reason: Option<EscalationReason>,
    /// The intent the classifier predicted for the message (none for a silent turn).
    pub intent: Option<String>,
    /// A person replied to the customer after this turn.
    pub answered_by_agent: bool,
}

/// Whether the bot's reply left the customer's message unanswered.
pub fn is_gap(reply: &BotReply) -> bool {
    let answered = reply.action == BotAction::Answered && !reply.sources.is_empty();
    !answered && !matches!(reply.action, BotAction::Smalltalk | BotAction::Queued)
}

/// The serde name of a bot action (`clarify`, `escalated`, …), whatever actions exist.
pub fn action_name(action: BotAction) -> String {
    serde_json::to_value(action)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{action:?}").to_lowercase())
}

/// A customer message waiting for the bot's reply to it.
struct Message<'e> {
    text: &'e str,
    at_ms: u64,
}

/// The walk over one timeline.
struct Walk<'e> {
    id: Uuid,
    turns: Vec<GapTurn>,
    /// The last customer message, until the bot's reply to it is seen.
    unreplied: Option<Message<'e>>,
    /// The last message the bot answered from the knowledge base (for the handoff button).
    last_answered: Option<(Message<'e>, Option<String>)>,
    /// Turns of the current hand-over that count once an agent replies.
    pending: Vec<GapTurn>,
    /// Turns already kept whose hand-over has no agent reply yet (indices into `turns`).
    awaiting_agent: Vec<usize>,
    /// Between an escalation and the agent's first reply (or a hand back / resolution).
    waiting_for_agent: bool,
}

/// The gap turns of one conversation, oldest first.
pub fn gap_turns(id: Uuid, events: &[Event]) -> Vec<GapTurn> {
    let mut walk = Walk {
        id,
        turns: Vec::new(),
        unreplied: None,
        last_answered: None,
        pending: Vec::new(),
        awaiting_agent: Vec::new(),
        waiting_for_agent: false,
    };
    for event in events {
        walk.step(event);
    }
    walk.turns
}

impl<'e> Walk<'e> {
    fn step(&mut self, event: &'e Event) {
        match &event.kind {
            EventKind::CustomerMessage { text } => {
                self.unreplied = Some(Message {
                    text,
                    at_ms: event.at_ms,
                });
            }
            EventKind::BotReply(reply) => self.bot_reply(reply),
            EventKind::Escalated { reason, .. } => {
                self.waiting_for_agent = true;
                if let Some(&last) = self.awaiting_agent.last()
                    && let Some(turn) = self.turns.get_mut(last)
                    && turn.at_ms == event.at_ms
                {
                    turn.escalation_reason = Some(*reason);
                }
            }
            EventKind::AgentMessage { .. } => self.agent_replied(),
            EventKind::HandedBack { .. } | EventKind::Resolved { .. } => {
                self.waiting_for_agent = false;
                self.pending.clear();
                self.awaiting_agent.clear();
            }
            EventKind::Created { .. }
            | EventKind::StatusChanged { .. }
            | EventKind::Assigned { .. }
            | EventKind::InternalNote { .. }
            | EventKind::Rated { .. } => {}
        }
    }

    fn bot_reply(&mut self, reply: &BotReply) {
        let intent = reply.intent.as_ref().map(|i| i.name.clone());
        let Some(message) = self.unreplied.take() else {
            // A reply with no new customer message: the "talk to a person" button. The last
            // answer did not settle the customer's question.
            if reply.action == BotAction::Escalated
                && let Some((message, intent)) = self.last_answered.take()
            {
                let turn = self.turn(&message, HANDED_OVER.into(), intent);
                self.pending.push(turn);
            }
            return;
        };
        if reply.action == BotAction::Queued {
            if self.waiting_for_agent {
                let turn = self.turn(&message, HANDED_OVER.into(), intent);
                self.pending.push(turn);
            }
            return;
        }
        if !is_gap(reply) {
            if reply.action == BotAction::Answered {
                self.last_answered = Some((message, intent));
            }
            return;
        }
        let turn = self.turn(&message, action_name(reply.action), intent);
        self.awaiting_agent.push(self.turns.len());
        self.turns.push(turn);
    }

    fn agent_replied(&mut self) {
        for index in self.awaiting_agent.drain(..) {
            if let Some(turn) = self.turns.get_mut(index) {
                turn.answered_by_agent = true;
            }
        }
        if self.waiting_for_agent {
            for mut turn in self.pending.drain(..) {
                turn.answered_by_agent = true;
                self.turns.push(turn);
            }
        }
        self.waiting_for_agent = false;
    }

    fn turn(&self, message: &Message, kind: String, intent: Option<String>) -> GapTurn {
        GapTurn {
            conversation_id: self.id,
            text: message.text.to_string(),
            at_ms: message.at_ms,
            kind,
            escalation_reason: None,
            intent,
            answered_by_agent: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::{ScoredIntent, Source};

    fn reply(action: BotAction, sources: usize) -> EventKind {
        EventKind::BotReply(BotReply {
            text: Some("reply".into()),
            action,
            intent: Some(ScoredIntent {
                name: "bill_explain".into(),
                confidence: 0.6,
            }),
            runner_up: None,
            sources: (0..sources)
                .map(|i| Source {
                    id: format!("a{i}"),
                    title: "A".into(),
                    anchor: String::new(),
                    score: 1.0,
                })
                .collect(),
            choices: Vec::new(),
            latency_ms: 1.0,
        })
    }

    fn customer(text: &str) -> EventKind {
        EventKind::CustomerMessage { text: text.into() }
    }

    fn escalated() -> EventKind {
        EventKind::Escalated {
            reason: EscalationReason::ExplicitRequest,
            evidence: "asked".into(),
        }
    }

    fn agent() -> EventKind {
        EventKind::AgentMessage {
            agent: "Alice".into(),
            text: "here you go".into(),
        }
    }

    /// Events stamped with their index as the time; `same` groups indices into one append.
    fn timeline(kinds: Vec<EventKind>, appends: &[usize]) -> Vec<Event> {
        let mut at = 0;
        kinds
            .into_iter()
            .enumerate()
            .map(|(seq, kind)| {
                if appends.contains(&seq) {
                    at += 1;
                }
                Event {
                    seq: seq as u64,
                    at_ms: at,
                    kind,
                }
            })
            .collect()
    }

    #[test]
    fn answers_with_a_source_and_small_talk_are_not_gaps() {
        let EventKind::BotReply(answered) = reply(BotAction::Answered, 1) else {
            unreachable!("reply() makes a bot reply")
        };
        assert!(!is_gap(&answered));
        let events = timeline(
            vec![
                customer("hi"),
                reply(BotAction::Smalltalk, 0),
                customer("roaming?"),
                reply(BotAction::Answered, 2),
            ],
            &[0, 2],
        );
        assert!(gap_turns(Uuid::nil(), &events).is_empty());
    }

    #[test]
    fn a_clarification_and_an_answer_without_source_are_gaps() {
        let events = timeline(
            vec![
                customer("bill or plan?"),
                reply(BotAction::Clarify, 0),
                customer("something odd"),
                reply(BotAction::Answered, 0),
            ],
            &[0, 2],
        );
        let turns = gap_turns(Uuid::nil(), &events);
        let kinds: Vec<&str> = turns.iter().map(|t| t.kind.as_str()).collect();
        assert_eq!(kinds, ["clarify", "answered"]);
        assert!(turns.iter().all(|t| !t.answered_by_agent));
        assert_eq!(turns[0].intent.as_deref(), Some("bill_explain"));
    }

    #[test]
    fn an_escalated_turn_then_waiting_messages_count_once_an_agent_replies() {
        let events = timeline(
            vec![
                customer("a person please"),
                reply(BotAction::Escalated, 0),
                escalated(),
                customer("my esim will not activate abroad"),
                reply(BotAction::Queued, 0),
                agent(),
                customer("thanks"),
                reply(BotAction::Queued, 0),
            ],
            &[0, 3, 5, 6],
        );
        let turns = gap_turns(Uuid::nil(), &events);
        assert_eq!(turns.len(), 2, "{turns:?}");
        assert_eq!(turns[0].kind, "escalated");
        assert_eq!(
            turns[0].escalation_reason,
            Some(EscalationReason::ExplicitRequest)
        );
        assert_eq!(turns[1].kind, HANDED_OVER);
        assert_eq!(turns[1].text, "my esim will not activate abroad");
        assert!(turns.iter().all(|t| t.answered_by_agent));
    }

    #[test]
    fn waiting_messages_nobody_answered_are_not_gaps() {
        let events = timeline(
            vec![
                customer("a person please"),
                reply(BotAction::Escalated, 0),
                escalated(),
                customer("hello?"),
                reply(BotAction::Queued, 0),
                EventKind::Resolved {
                    by: "Alice".into(),
                    tag: None,
                },
            ],
            &[0, 3, 5],
        );
        let turns = gap_turns(Uuid::nil(), &events);
        assert_eq!(turns.len(), 1);
        assert!(!turns[0].answered_by_agent);
    }

    #[test]
    fn the_handoff_button_after_an_answer_makes_that_question_a_gap_once_answered() {
        let events = timeline(
            vec![
                customer("why is my bill higher"),
                reply(BotAction::Answered, 1),
                reply(BotAction::Escalated, 0),
                escalated(),
                agent(),
            ],
            &[0, 2, 4],
        );
        let turns = gap_turns(Uuid::nil(), &events);
        assert_eq!(turns.len(), 1, "{turns:?}");
        assert_eq!(
            (turns[0].text.as_str(), turns[0].kind.as_str()),
            ("why is my bill higher", HANDED_OVER)
        );
        assert!(turns[0].answered_by_agent);
    }
}
