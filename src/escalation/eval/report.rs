//! The escalation eval's numbers: hand-over precision, recall and F1 overall, by language and by
//! reason (a hand-over counts for a reason only when the bot gave that reason), how often each
//! kind of message got the expected outcome (answer, decline, hand-over), bot-identity and
//! decline accuracy, and for conversations whether the hand-over came at the right turn.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::{Dialogue, Expected, Row, Turn};
use crate::tickets::{BotAction, EscalationReason};

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Prf {
    pub true_positives: usize,
    pub predicted: usize,
    pub actual: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    fn add(&mut self, predicted: bool, actual: bool) {
        self.true_positives += usize::from(predicted && actual);
        self.predicted += usize::from(predicted);
        self.actual += usize::from(actual);
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        self.precision = ratio(self.true_positives, self.predicted);
        self.recall = ratio(self.true_positives, self.actual);
        let sum = self.precision + self.recall;
        self.f1 = if sum == 0.0 {
            0.0
        } else {
            2.0 * self.precision * self.recall / sum
        };
    }
}

/// How one kind of first message (a reason of the labels) fared, in one language or all.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReasonLine {
    pub rows: usize,
    /// Got the expected outcome (for bot identity: answered as `bot_identity`).
    pub correct: usize,
    pub handed_over: usize,
    /// For the hand-over reasons: the bot handed over *for this reason*.
    pub strict: Option<Prf>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FirstMessages {
    pub rows: usize,
    /// Hand-over or not, whatever the reason; key "all", "en", "zh".
    pub escalation: BTreeMap<String, Prf>,
    /// Label reason -> language ("all", "en", "zh") -> line.
    pub by_reason: BTreeMap<String, BTreeMap<String, ReasonLine>>,
}

/// Conversations of one category (and language): where the hand-over came.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TurnLine {
    pub conversations: usize,
    pub right_turn: usize,
    pub too_early: usize,
    pub too_late: usize,
    /// Needed a person and never got one.
    pub never: usize,
    /// Should have stayed with the bot and was handed over.
    pub handed_over_needlessly: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Conversations {
    /// Category -> language ("all", "en", "zh") -> line; category "all" sums them.
    pub by_category: BTreeMap<String, BTreeMap<String, TurnLine>>,
}

/// The label reasons of first messages that expect a hand-over.
const HANDOVER_REASONS: [&str; 3] = ["explicit_request", "negative_sentiment", "sensitive"];

/// The escalation reason a label's `reason` names, for the hand-over reasons.
fn label_reason(reason: &str) -> Option<EscalationReason> {
    match reason {
        "explicit_request" => Some(EscalationReason::ExplicitRequest),
        "negative_sentiment" => Some(EscalationReason::NegativeSentiment),
        "sensitive" => Some(EscalationReason::Sensitive),
        "repeated_failure" => Some(EscalationReason::RepeatedFailure),
        _ => None,
    }
}

/// Whether the bot did what the row expects; a question about the bot must also be answered as
/// one (a knowledge-base article in reply to "are you a bot?" is no answer).
pub fn is_correct(row: &Row, turn: &Turn) -> bool {
    match row.reason.as_str() {
        "bot_identity" => turn.outcome() == Expected::Answer && turn.intent == "bot_identity",
        _ => turn.outcome() == row.expected,
    }
}

pub fn first_messages(rows: &[Row], turns: &[Turn]) -> FirstMessages {
    let mut report = FirstMessages {
        rows: rows.len(),
        ..FirstMessages::default()
    };
    for (row, turn) in rows.iter().zip(turns) {
        let handed_over = turn.action == BotAction::Escalated;
        let expected_handover = row.expected == Expected::Handover;
        let correct = is_correct(row, turn);
        for lang in ["all", row.lang.as_str()] {
            report
                .escalation
                .entry(lang.to_string())
                .or_default()
                .add(handed_over, expected_handover);
            for reason in HANDOVER_REASONS {
                let Some(wanted) = label_reason(reason) else {
                    continue;
                };
                let line = reason_line(&mut report, reason, lang);
                line.strict.get_or_insert_with(Prf::default).add(
                    handed_over && turn.reason == Some(wanted),
                    row.reason == reason,
                );
            }
            let line = reason_line(&mut report, &row.reason, lang);
            line.rows += 1;
            line.correct += usize::from(correct);
            line.handed_over += usize::from(handed_over);
        }
    }
    report
}

fn reason_line<'r>(report: &'r mut FirstMessages, reason: &str, lang: &str) -> &'r mut ReasonLine {
    report
        .by_reason
        .entry(reason.to_string())
        .or_default()
        .entry(lang.to_string())
        .or_default()
}

pub fn conversations(dialogues: &[Dialogue], turns: &[Vec<Turn>]) -> Conversations {
    let mut report = Conversations::default();
    for (dialogue, done) in dialogues.iter().zip(turns) {
        let handover = done.iter().position(|t| t.action == BotAction::Escalated);
        for category in ["all", dialogue.category.as_str()] {
            for lang in ["all", dialogue.lang.as_str()] {
                let line = report
                    .by_category
                    .entry(category.to_string())
                    .or_default()
                    .entry(lang.to_string())
                    .or_default();
                line.conversations += 1;
                match (dialogue.handover_at, handover) {
                    (want, got) if want == got => line.right_turn += 1,
                    (None, Some(_)) => line.handed_over_needlessly += 1,
                    (Some(_), None) => line.never += 1,
                    (Some(want), Some(got)) if got < want => line.too_early += 1,
                    _ => line.too_late += 1,
                }
            }
        }
    }
    report
}

fn rate(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The report as text, for people.
pub fn render(split: &str, first: &FirstMessages, talks: &Conversations) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "== {split}: {} first messages ==", first.rows);
    for (lang, prf) in &first.escalation {
        let _ = writeln!(
            out,
            "escalation {lang:<3}  P {:.3}  R {:.3}  F1 {:.3}  ({} handed over, {} expected)",
            prf.precision, prf.recall, prf.f1, prf.predicted, prf.actual
        );
    }
    let _ = writeln!(
        out,
        "{:<19} {:<4} {:>5} {:>8} {:>9}   {:>5} {:>5} {:>5}",
        "reason", "lang", "rows", "correct", "handover", "P", "R", "F1"
    );
    for (reason, langs) in &first.by_reason {
        for (lang, line) in langs {
            let strict = line.strict.map_or(String::new(), |p| {
                format!("{:.3} {:.3} {:.3}", p.precision, p.recall, p.f1)
            });
            let _ = writeln!(
                out,
                "{reason:<19} {lang:<4} {:>5} {:>8.3} {:>9}   {strict}",
                line.rows,
                rate(line.correct, line.rows),
                line.handed_over,
            );
        }
    }
    let _ = writeln!(out, "-- conversations: hand-over at the right turn --");
    for (category, langs) in &talks.by_category {
        for (lang, line) in langs {
            let _ = writeln!(
                out,
                "{category:<16} {lang:<4} {:>3} right {:>3} ({:.3})  early {} late {} never {} needless {}",
                line.conversations,
                line.right_turn,
                rate(line.right_turn, line.conversations),
                line.too_early,
                line.too_late,
                line.never,
                line.handed_over_needlessly
            );
        }
    }
    out
}
