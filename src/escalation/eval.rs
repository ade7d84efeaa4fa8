//! `switchboard escalation-eval`: the real classifier, escalation judge, dialogue policy and
//! knowledge base over labelled first messages and multi-turn conversations, turn by turn as
//! the service runs them (the failed-turn count carried from one turn to the next). The numbers
//! are computed in [`report`].
//!
//! Data (JSONL): first messages `{"text", "lang", "expected": answer|decline|handover, "reason",
//! "category", "split": dev|test}`; conversations `{"turns": [...], "lang", "handover_at":
//! index|null, "reason", "category", "split"}`.

pub mod report;

use std::path::Path;

use serde::Deserialize;

use super::judge::Judge;
use crate::config::DialogueSettings;
use crate::dialogue::{self, Lang, Outcome, Plan};
use crate::kb::{Hit, KbError, KnowledgeBase, Mode, SearchRequest};
use crate::nlu::{Classifier, NluError, Prediction};
use crate::tickets::{BotAction, EscalationReason};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}, line {line}: {reason}")]
    BadRow {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Nlu(#[from] NluError),
    #[error(transparent)]
    Kb(#[from] KbError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    Answer,
    Decline,
    Handover,
}

/// One labelled first message.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub text: String,
    pub lang: String,
    pub expected: Expected,
    pub reason: String,
    #[serde(default)]
    pub category: String,
    pub split: String,
}

/// One labelled conversation (the customer's side).
#[derive(Debug, Clone, Deserialize)]
pub struct Dialogue {
    pub turns: Vec<String>,
    pub lang: String,
    pub handover_at: Option<usize>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub category: String,
    pub split: String,
}

/// Reads a JSONL file of `T`, naming the line of a bad row.
pub fn load<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, EvalError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: name.clone(),
        source,
    })?;
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = serde_json::from_str(line).map_err(|e| EvalError::BadRow {
            path: name.clone(),
            line: index + 1,
            reason: e.to_string(),
        })?;
        rows.push(row);
    }
    Ok(rows)
}

/// What the bot did with one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub action: BotAction,
    pub reason: Option<EscalationReason>,
    pub intent: String,
    pub failed: bool,
    /// Mild anger was held back this turn (the next angry turn goes to a person).
    pub annoyed: bool,
    pub evidence: Option<String>,
    /// The judge's scores [sensitive, anger].
    pub scores: [f32; 2],
    /// The message's vector: the next turn's reread blends it with its own.
    pub embedding: Vec<f32>,
}

impl Turn {
    /// The outcome as the labels name it: a clarification or a small-talk reply is an answer.
    pub fn outcome(&self) -> Expected {
        match self.action {
            BotAction::Escalated => Expected::Handover,
            BotAction::Declined => Expected::Decline,
            BotAction::Answered | BotAction::Clarify | BotAction::Smalltalk | BotAction::Queued => {
                Expected::Answer
            }
        }
    }
}

/// Everything the bot decides with, as `switchboard serve` loads it.
pub struct Bot<'a> {
    pub classifier: &'a Classifier,
    pub judge: &'a Judge,
    pub kb: &'a KnowledgeBase,
    pub settings: &'a DialogueSettings,
}

/// Passages searched per lookup, as the service does.
const SOURCES_PER_ANSWER: usize = 3;

impl Bot<'_> {
    /// One customer message after `failed_before` failed turns in a row, `annoyed_before` if
    /// the previous one was mildly angry, `previous` the customer's message before it: the same
    /// steps as `Switchboard::post_message` (no tenant rule: the eval has
    /// no ticket metadata).
    pub fn turn(
        &self,
        text: &str,
        previous: Option<(&str, &[f32])>,
        failed_before: u32,
        annoyed_before: bool,
    ) -> Result<Turn, EvalError> {
        let expanded = self.kb.read_message(text);
        let text = expanded.as_deref().unwrap_or(text);
        let lang = Lang::detect(text);
        let (prediction, embedding) = self.classifier.classify_embedded(text)?;
        let scores = self.judge.scores(text, &embedding);
        let (plan, held_back) = dialogue::decide(
            self.judge,
            text,
            &prediction,
            &embedding,
            None,
            dialogue::Before {
                failed_turns: failed_before,
                annoyed: annoyed_before,
            },
            self.settings,
        );
        let hits = self.search(text, &plan, &prediction, &embedding, lang)?;
        let found_alone = hits.clone();
        let annoyed = held_back.is_some();
        // Small talk answers as its own intent (a question about the bot however it was read).
        let mut intent = if let Plan::Smalltalk { intent } = &plan {
            intent.clone()
        } else {
            prediction.intent.name
        };
        let mut outcome = dialogue::respond_holding(
            plan.clone(),
            hits,
            held_back,
            lang,
            failed_before,
            self.settings,
        );
        let previous_turn = previous.map(|(text, _)| dialogue::Previous {
            text,
            failed: failed_before > 0,
        });
        let blended =
            previous.and_then(|(_, vector)| self.classifier.encoder().blend(vector, &embedding));
        if let Some(both) = dialogue::reread_text(previous_turn, text, &plan, &outcome)
            && let Some((answer, reread_intent)) = self.reread(&both, blended, lang)?
            && dialogue::stands_on_reread(previous_turn, &found_alone, &answer)
        {
            outcome = answer;
            intent = reread_intent;
        }
        Ok(Turn {
            annoyed: annoyed && outcome.action != BotAction::Escalated,
            action: outcome.action,
            reason: outcome.escalation.as_ref().map(|e| e.reason),
            evidence: outcome.escalation.map(|e| e.evidence),
            intent,
            failed: outcome.failed,
            scores,
            embedding,
        })
    }

    /// The passages a plan needs, as the service searches them.
    fn search(
        &self,
        text: &str,
        plan: &Plan,
        prediction: &Prediction,
        embedding: &[f32],
        lang: Lang,
    ) -> Result<Vec<Hit>, EvalError> {
        if !dialogue::needs_search(plan, self.settings) {
            return Ok(Vec::new());
        }
        let intents = dialogue::search_intents(plan, prediction);
        Ok(self.kb.search(&SearchRequest {
            text,
            intents: &intents,
            lang: lang.code(),
            tenant: None,
            limit: SOURCES_PER_ANSWER,
            embedding: Some(embedding),
            mode: Mode::Hybrid,
        })?)
    }

    /// The answer to a message read with the one before it (`both`, whose vector `blended`
    /// approximates when given), if that reading finds one.
    fn reread(
        &self,
        both: &str,
        blended: Option<Vec<f32>>,
        lang: Lang,
    ) -> Result<Option<(Outcome, String)>, EvalError> {
        let (prediction, embedding) = match blended {
            Some(vector) => self.classifier.classify_with(both, vector)?,
            None => self.classifier.classify_embedded(both)?,
        };
        let plan = dialogue::plan(both, &prediction, self.settings);
        if !matches!(plan, Plan::Lookup { .. }) {
            return Ok(None);
        }
        let hits = self.search(both, &plan, &prediction, &embedding, lang)?;
        let answer = dialogue::answered_on_reread(plan, hits, lang, self.settings);
        Ok(answer.map(|outcome| (outcome, prediction.intent.name)))
    }

    /// A conversation turn by turn until the bot hands it over (later turns would reach a person).
    pub fn converse(&self, turns: &[String]) -> Result<Vec<Turn>, EvalError> {
        let mut failed = 0;
        let mut annoyed = false;
        let mut done = Vec::new();
        let mut previous: Option<(&str, Vec<f32>)> = None;
        for text in turns {
            let before = previous.as_ref().map(|(t, v)| (*t, v.as_slice()));
            let turn = self.turn(text, before, failed, annoyed)?;
            previous = Some((text, turn.embedding.clone()));
            failed = if turn.failed { failed + 1 } else { 0 };
            annoyed = turn.annoyed;
            let handed_over = turn.action == BotAction::Escalated;
            done.push(turn);
            if handed_over {
                break;
            }
        }
        Ok(done)
    }
}
