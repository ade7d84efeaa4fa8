//! A trained intent model on disk: `model.json` (labels, temperature and rejection threshold,
//! overall and per language, validation numbers) and `weights.bin` (the head's weights), loaded
//! together or not at all. Models written before per-language calibration load with the overall
//! values for every language.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::NluError;
use super::features::SPARSE_DIM;
use super::head::{Features, HeadDir, LinearHead, softmax};
use super::neighbours::{self, Neighbours};

pub const FORMAT: &str = "switchboard-intents/1";
/// The label that marks out-of-scope training examples, when a data set has them.
pub const OUT_OF_SCOPE: &str = "out_of_scope";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelMeta {
    pub format: String,
    pub labels: Vec<String>,
    pub dense_dim: usize,
    pub sparse_dim: usize,
    /// Divides the logits before the softmax so that confidences match validation accuracy
    /// (temperature scaling, fitted on the validation split).
    pub temperature: f32,
    /// Below this top probability a message is out of scope. Chosen on a validation split.
    pub threshold: f32,
    pub examples: usize,
    pub validation: Validation,
    /// Temperature and threshold per message language (`en`, `zh`: see [`language_of`]), fitted
    /// on that language's out-of-fold logits: a long or colloquial Chinese message scores lower
    /// than a short English one, so one threshold for both rejects Chinese questions that are in
    /// scope. A language missing here uses `temperature` and `threshold`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub languages: BTreeMap<String, LanguageCalibration>,
    /// The head is blended with the training examples as neighbours (`neighbours.bin`, see
    /// [`super::neighbours`]); models written before have none.
    #[serde(default)]
    pub neighbours: bool,
}

/// The calibration of one language and what it measured on that language's held-out logits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LanguageCalibration {
    pub temperature: f32,
    pub threshold: f32,
    pub validation: Validation,
}

/// The calibration language of a message: `zh` when it has any CJK character (mixed Chinese and
/// English is written by Chinese speakers), `en` otherwise.
pub fn language_of(text: &str) -> &'static str {
    if text.chars().any(super::features::is_cjk) {
        "zh"
    } else {
        "en"
    }
}

/// Numbers measured on the validation split carved from the training data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Validation {
    pub examples: usize,
    pub accuracy: f32,
    pub in_scope_accuracy: f32,
    pub out_of_scope_recall: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub name: String,
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub intent: Scored,
    pub runner_up: Option<Scored>,
    pub out_of_scope: bool,
}

impl Prediction {
    /// The best intent and the runner-up, best first: what the knowledge base boosts.
    pub fn best_two(&self) -> Vec<Scored> {
        std::iter::once(self.intent.clone())
            .chain(self.runner_up.clone())
            .collect()
    }
}

/// The best and second-best labels by probability.
pub fn rank(labels: &[String], probabilities: Vec<f32>) -> (Scored, Option<Scored>) {
    let mut ranked: Vec<(usize, f32)> = probabilities.into_iter().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let scored = |&(i, p): &(usize, f32)| Scored {
        name: labels.get(i).cloned().unwrap_or_default(),
        confidence: p,
    };
    let intent = ranked.first().map(scored).unwrap_or(Scored {
        name: OUT_OF_SCOPE.into(),
        confidence: 0.0,
    });
    (intent, ranked.get(1).map(scored))
}

pub struct IntentModel {
    pub meta: ModelMeta,
    pub head: LinearHead,
    pub neighbours: Option<Neighbours>,
}

impl IntentModel {
    /// The temperature and threshold for a message in `lang`.
    pub fn calibration(&self, lang: &str) -> (f32, f32) {
        match self.meta.languages.get(lang) {
            Some(c) => (c.temperature, c.threshold),
            None => (self.meta.temperature, self.meta.threshold),
        }
    }

    /// Calibrated class probabilities of a message in `lang`.
    pub fn probabilities(&self, features: &Features, lang: &str) -> Vec<f32> {
        let (temperature, _) = self.calibration(lang);
        let mut logits = self.head.logits(features);
        if let Some(neighbours) = &self.neighbours {
            logits = neighbours.log_blend(logits, &features.dense);
        }
        logits.iter_mut().for_each(|l| *l /= temperature);
        softmax(&mut logits);
        logits
    }

    /// The top intents of a message in `lang` (see [`language_of`]), rejected below that
    /// language's threshold.
    pub fn predict(&self, features: &Features, lang: &str) -> Prediction {
        let (_, threshold) = self.calibration(lang);
        let (intent, runner_up) = rank(&self.meta.labels, self.probabilities(features, lang));
        let out_of_scope = intent.name == OUT_OF_SCOPE || intent.confidence < threshold;
        Prediction {
            intent,
            runner_up,
            out_of_scope,
        }
    }

    pub fn save(&self, dir: &Path) -> Result<(), NluError> {
        head_dir(dir).save(&self.meta, &self.head)?;
        match &self.neighbours {
            Some(neighbours) => neighbours.save(dir),
            None => Ok(()),
        }
    }

    /// Loads and checks a model directory; `dense_dim` is what the encoder produces.
    pub fn load(dir: &Path, dense_dim: usize) -> Result<IntentModel, NluError> {
        let files = head_dir(dir);
        let meta: ModelMeta = files.read_meta()?;
        let corrupt = |reason: String| files.corrupt(reason);
        let valid = |t: f32| t.is_finite() && t > 0.0;
        let valid_temperature =
            valid(meta.temperature) && meta.languages.values().all(|c| valid(c.temperature));
        if meta.format != FORMAT
            || meta.sparse_dim != SPARSE_DIM
            || meta.labels.is_empty()
            || !valid_temperature
        {
            return Err(corrupt(format!("model.json is not a {FORMAT} model")));
        }
        if meta.dense_dim != dense_dim {
            let found = meta.dense_dim;
            return Err(corrupt(format!(
                "trained on {found}-d embeddings, the encoder gives {dense_dim}"
            )));
        }
        let head = files.read_head(meta.labels.len(), dense_dim)?;
        let neighbours = match meta.neighbours {
            true => Some(
                Neighbours::load(dir, dense_dim, meta.labels.len()).ok_or_else(|| {
                    corrupt(format!("{} is missing or damaged", neighbours::FILE))
                })?,
            ),
            false => None,
        };
        Ok(IntentModel {
            meta,
            head,
            neighbours,
        })
    }
}

fn head_dir(dir: &Path) -> HeadDir<'_> {
    HeadDir {
        dir,
        meta_file: "model.json",
        hint: "run `make model` (switchboard train --data models/intents/train.yaml --out DIR)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_label_meta(threshold: f32) -> ModelMeta {
        ModelMeta {
            format: FORMAT.into(),
            labels: vec!["a".into(), "b".into()],
            dense_dim: 4,
            sparse_dim: SPARSE_DIM,
            temperature: 1.0,
            threshold,
            examples: 2,
            validation: Validation::default(),
            languages: BTreeMap::new(),
            neighbours: false,
        }
    }

    fn features() -> Features {
        Features {
            dense: vec![0.5; 4],
            sparse: Vec::new(),
        }
    }

    #[test]
    fn a_model_written_before_per_language_calibration_loads_with_its_overall_values() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut meta = serde_json::to_value(two_label_meta(0.4)).expect("json");
        meta.as_object_mut().expect("object").remove("languages");
        std::fs::write(dir.path().join("model.json"), meta.to_string()).expect("write");
        let head = LinearHead::zeros(2, 4);
        std::fs::write(dir.path().join("weights.bin"), head.to_bytes()).expect("write");
        let model = IntentModel::load(dir.path(), 4).expect("old model loads");
        assert_eq!(model.calibration("zh"), (1.0, 0.4));
        assert_eq!(model.calibration("en"), (1.0, 0.4));
    }

    #[test]
    fn a_model_that_names_neighbours_without_their_file_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut meta = two_label_meta(0.4);
        meta.neighbours = true;
        let model = IntentModel {
            meta,
            head: LinearHead::zeros(2, 4),
            neighbours: None,
        };
        model.save(dir.path()).expect("saved");
        assert!(IntentModel::load(dir.path(), 4).is_err());
        let embeddings: [&[f32]; 2] = [&[1.0, 0.0, 0.0, 0.0], &[0.0, 1.0, 0.0, 0.0]];
        Neighbours::new(&embeddings, &[0, 1])
            .save(dir.path())
            .expect("saved");
        assert!(IntentModel::load(dir.path(), 4).is_ok());
    }

    #[test]
    fn a_languages_own_threshold_decides_rejection_for_that_language_only() {
        // Two labels and a zero head: every message scores 0.5, under the overall threshold.
        let mut meta = two_label_meta(0.9);
        let lenient = LanguageCalibration {
            temperature: 1.0,
            threshold: 0.3,
            validation: Validation::default(),
        };
        meta.languages.insert("zh".into(), lenient);
        let model = IntentModel {
            meta,
            head: LinearHead::zeros(2, 4),
            neighbours: None,
        };
        assert!(!model.predict(&features(), "zh").out_of_scope);
        assert!(model.predict(&features(), "en").out_of_scope);
    }

    #[test]
    fn a_message_with_any_chinese_character_is_calibrated_as_chinese() {
        assert_eq!(language_of("新买的iPhone怎么装eSIM"), "zh");
        assert_eq!(language_of("how do I set up eSIM"), "en");
    }
}
