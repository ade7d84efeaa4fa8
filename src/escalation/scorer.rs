//! The learned escalation scorer: one small logistic head per label (multi-label: a message can
//! be angry and sensitive at once) over the sentence embedding the intent classifier already
//! computed, hashed word/character n-grams and jieba words of the text (Chinese read as
//! simplified Mandarin), the cue lexicons of [`cues`] and the style signals of [`style`]. Trained by
//! `switchboard train-escalation` from `models/escalation/*.yaml` (see [`train`]).
//!
//! Two labels decide (`sensitive`, `anger`); the others name the kind of situation or of anger
//! for the evidence. The decision thresholds are set per language from the held-out (out-of-fold)
//! scores of the training positives: the threshold that keeps a configured share of them
//! (`[escalation] sensitive_recall`, `anger_recall`), so the bias toward recall is one number.
//!
//! [`train`]: super::train

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{cues, sentiment, style};
use crate::nlu::NluError;
use crate::nlu::chinese;
use crate::nlu::features::sparse_features;
use crate::nlu::head::{Features, HeadDir, LinearHead};

pub const FORMAT: &str = "switchboard-escalation/1";

/// Every label the head scores. The first two decide; the rest are the kinds of [`cues::KINDS`],
/// in the same order.
pub const LABELS: [&str; 12] = [
    "sensitive",
    "anger",
    "fraud",
    "bereavement",
    "safety",
    "legal",
    "vulnerable",
    "sarcasm",
    "shouting",
    "repetition",
    "threat",
    "contempt",
];
pub const SENSITIVE: usize = 0;
pub const ANGER: usize = 1;
/// Label index of the first kind; kind `k` of [`cues::KINDS`] is label `KIND_OFFSET + k`.
pub const KIND_OFFSET: usize = 2;
/// The kinds that are sensitive situations; the rest are kinds of anger.
pub const SENSITIVE_KINDS: std::ops::Range<usize> = 2..7;
pub const ANGER_KINDS: std::ops::Range<usize> = 7..12;

/// Features beyond the embedding: style signals, one flag per cue kind, and the lexicon's
/// negative and positive valence.
pub const EXTRA_DIM: usize = style::STYLE + cues::KINDS.len() + 2;

/// Languages the thresholds are set for.
pub const LANGS: [&str; 2] = ["en", "zh"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScorerMeta {
    pub format: String,
    pub labels: Vec<String>,
    pub embedding_dim: usize,
    pub examples: usize,
    /// Out-of-fold scores of the training positives of each deciding label, by language, sorted
    /// ascending: the thresholds are chosen from these when the model is loaded.
    pub held_out: HeldOut,
}

/// Per deciding label, per language (`en`, `zh`): sorted out-of-fold scores of its positives, and
/// the share of negatives a threshold of 0.5 flags (for the training report).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HeldOut {
    pub sensitive: [Vec<f32>; 2],
    pub anger: [Vec<f32>; 2],
    pub false_positive_rate_at_half: [f32; 2],
}

/// The label scores of one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores(pub [f32; LABELS.len()]);

impl Scores {
    /// The best-scoring kind within `kinds` (label index and score).
    pub fn strongest(&self, kinds: std::ops::Range<usize>) -> (usize, f32) {
        kinds
            .map(|k| (k, self.0[k]))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((ANGER, 0.0))
    }
}

pub struct EscalationModel {
    pub meta: ScorerMeta,
    pub head: LinearHead,
}

/// What the head reads for `text`: `embedding` (the classifier's) followed by the extras, and the
/// n-grams of the text read as Mandarin.
pub fn features(text: &str, embedding: &[f32]) -> Features {
    let mandarin = chinese::mandarin(text);
    let found = cues::find(text);
    let feeling = sentiment::score(&mandarin);
    let mut dense = Vec::with_capacity(embedding.len() + EXTRA_DIM);
    dense.extend_from_slice(embedding);
    dense.extend(style::style(text));
    dense.extend(found.present.iter().map(|&p| f32::from(u8::from(p))));
    dense.push((-feeling.score).clamp(0.0, 10.0) / 10.0);
    dense.push(feeling.score.clamp(0.0, 10.0) / 10.0);
    Features {
        dense,
        sparse: sparse_features(&mandarin),
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl EscalationModel {
    pub fn score(&self, text: &str, embedding: &[f32]) -> Scores {
        self.score_features(&features(text, embedding))
    }

    pub fn score_features(&self, features: &Features) -> Scores {
        let mut scores = [0.0; LABELS.len()];
        for (score, logit) in scores.iter_mut().zip(self.head.logits(features)) {
            *score = sigmoid(logit);
        }
        Scores(scores)
    }

    pub fn save(&self, dir: &Path) -> Result<(), NluError> {
        head_dir(dir).save(&self.meta, &self.head)
    }

    /// Loads and checks a directory written by [`EscalationModel::save`]; `embedding_dim` is what
    /// the encoder produces.
    pub fn load(dir: &Path, embedding_dim: usize) -> Result<EscalationModel, NluError> {
        let files = head_dir(dir);
        let meta: ScorerMeta = files.read_meta()?;
        let corrupt = |reason: String| files.corrupt(reason);
        let labels_match = meta.labels.iter().map(String::as_str).eq(LABELS);
        if meta.format != FORMAT || !labels_match {
            return Err(corrupt(format!("escalation.json is not a {FORMAT} model")));
        }
        if meta.embedding_dim != embedding_dim {
            let found = meta.embedding_dim;
            return Err(corrupt(format!(
                "trained on {found}-d embeddings, the encoder gives {embedding_dim}"
            )));
        }
        let head = files.read_head(LABELS.len(), embedding_dim + EXTRA_DIM)?;
        Ok(EscalationModel { meta, head })
    }

    /// The decision threshold of a deciding label in a language: the score that keeps `recall`
    /// of its held-out training positives, never above `ceiling`.
    pub fn threshold(&self, label: usize, lang: usize, recall: f32, ceiling: f32) -> f32 {
        let positives = match label {
            SENSITIVE => &self.meta.held_out.sensitive[lang],
            _ => &self.meta.held_out.anger[lang],
        };
        quantile_threshold(positives, recall).min(ceiling)
    }
}

fn head_dir(dir: &Path) -> HeadDir<'_> {
    HeadDir {
        dir,
        meta_file: "escalation.json",
        hint: "run `make model` (switchboard train-escalation --out DIR)",
    }
}

/// The largest threshold that keeps at least `recall` of `sorted` (ascending) at or above it.
pub fn quantile_threshold(sorted: &[f32], recall: f32) -> f32 {
    if sorted.is_empty() {
        return 0.5;
    }
    let missed = ((1.0 - recall.clamp(0.0, 1.0)) * sorted.len() as f32).floor() as usize;
    sorted[missed.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_keeps_the_asked_share_of_positives() {
        let sorted = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
        assert_eq!(quantile_threshold(&sorted, 1.0), 0.1);
        assert_eq!(quantile_threshold(&sorted, 0.9), 0.2);
        assert_eq!(quantile_threshold(&sorted, 0.5), 0.6);
        assert_eq!(quantile_threshold(&[], 0.9), 0.5);
    }

    #[test]
    fn features_carry_capitals_cues_and_the_lexicon() {
        let x = features("GREAT JOB, third outage this week!!", &[0.0; 4]);
        assert_eq!(x.dense.len(), 4 + EXTRA_DIM);
        let extras = &x.dense[4..];
        assert!(extras[1] == 1.0, "two words in capitals: {extras:?}");
        let sarcasm = style::STYLE + ANGER_KINDS.start - KIND_OFFSET;
        assert_eq!(extras[sarcasm], 1.0);
    }
}
