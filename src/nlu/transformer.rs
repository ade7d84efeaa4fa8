//! A fine-tuned Hugging Face text-classification model, as `optimum`/`transformers` export it:
//! `model.onnx` (inputs by name, a `logits` output), `tokenizer.json`, and `config.json` with
//! `id2label`. An optional `switchboard.json` adds the rejection threshold and temperature
//! (`switchboard calibrate` writes it); without it nothing is rejected as out of scope.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::NluError;
use super::calibration::{self, Calibrated};
use super::dataset::Example;
use super::head::softmax;
use super::model::{OUT_OF_SCOPE, Prediction, rank};
use super::onnx::{TextModel, TextModelOptions, require_file};

const CALIBRATION_BATCH: usize = 32;
const HINT: &str = "a Hugging Face export needs model.onnx, tokenizer.json and config.json";

#[derive(Deserialize)]
struct HfConfig {
    id2label: BTreeMap<String, String>,
}

/// Rejection settings stored beside an imported model.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Calibration {
    pub threshold: f32,
    pub temperature: f32,
}

impl Default for Calibration {
    fn default() -> Calibration {
        Calibration {
            threshold: 0.0,
            temperature: 1.0,
        }
    }
}

pub struct TransformerModel {
    model: TextModel,
    pub labels: Vec<String>,
    pub calibration: Calibration,
}

pub fn is_export(dir: &Path) -> bool {
    dir.join("config.json").exists() && dir.join("model.onnx").exists()
}

/// `id2label` as a dense list: keys must be exactly 0..n.
fn labels_of(config: &Path) -> Result<Vec<String>, NluError> {
    let bad = |reason: String| NluError::Model(format!("{}: {reason}", config.display()));
    let text = std::fs::read(config).map_err(|e| bad(e.to_string()))?;
    let parsed: HfConfig = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    let mut labels = vec![String::new(); parsed.id2label.len()];
    for (key, label) in parsed.id2label {
        let index: usize = key
            .parse()
            .map_err(|_| bad(format!("id2label key {key:?} is not a number")))?;
        let slot = labels
            .get_mut(index)
            .ok_or_else(|| bad(format!("id2label key {index} is out of range")))?;
        *slot = label;
    }
    if labels.len() < 2 {
        return Err(bad("id2label needs at least two labels".into()));
    }
    Ok(labels)
}

fn calibration_of(dir: &Path) -> Result<Calibration, NluError> {
    let path = dir.join("switchboard.json");
    if !path.exists() {
        return Ok(Calibration::default());
    }
    let bad = |reason: String| NluError::Model(format!("{}: {reason}", path.display()));
    let text = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
    let calibration: Calibration = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    if !(calibration.temperature.is_finite() && calibration.temperature > 0.0) {
        return Err(bad("temperature must be positive".into()));
    }
    Ok(calibration)
}

impl TransformerModel {
    pub fn load(
        dir: &Path,
        library: PathBuf,
        sessions: usize,
    ) -> Result<TransformerModel, NluError> {
        let config = dir.join("config.json");
        require_file(&config, HINT)?;
        let labels = labels_of(&config)?;
        let calibration = calibration_of(dir)?;
        let options = TextModelOptions {
            library,
            model: dir.join("model.onnx"),
            tokenizer: dir.join("tokenizer.json"),
            compact_unigram: false,
            sessions,
            intra_threads: 1,
            cpu_arena: false,
        };
        let model = TransformerModel {
            model: TextModel::load(&options, HINT)?,
            labels,
            calibration,
        };
        // One real run, so a model whose output does not match id2label fails now, not later.
        model.logits(&["hello"])?;
        Ok(model)
    }

    /// Raw logits, one row per text.
    pub fn logits(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
        let out = self.model.run(texts, Some("logits"))?;
        let classes = self.labels.len();
        if out.shape != [out.batch, classes] {
            return Err(NluError::Model(format!(
                "the model returned shape {:?}; config.json has {classes} labels",
                out.shape
            )));
        }
        Ok(out.values.chunks(classes).map(<[f32]>::to_vec).collect())
    }

    /// Fits the temperature and rejection threshold on labelled examples the model was not
    /// trained on (`switchboard calibrate`). `out_of_scope` examples are welcome even when the
    /// model has no such label; any other unknown intent is an error.
    pub fn calibrate(&self, examples: &[Example]) -> Result<Calibrated, NluError> {
        let mut gold = Vec::with_capacity(examples.len());
        for example in examples {
            let index = match self.labels.iter().position(|l| *l == example.intent) {
                Some(index) => index,
                None if example.intent == OUT_OF_SCOPE => self.labels.len(),
                None => {
                    return Err(NluError::Training(format!(
                        "intent {:?} is not one of the model's labels",
                        example.intent
                    )));
                }
            };
            gold.push(index);
        }
        let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        let mut logits = Vec::with_capacity(texts.len());
        for batch in texts.chunks(CALIBRATION_BATCH) {
            logits.extend(self.logits(batch)?);
        }
        Ok(calibration::calibrate(&self.labels, &logits, &gold))
    }

    /// Writes `switchboard.json` beside the export; the next load uses it.
    pub fn save_calibration(dir: &Path, calibration: Calibration) -> Result<(), NluError> {
        let path = dir.join("switchboard.json");
        let bytes =
            serde_json::to_vec_pretty(&calibration).map_err(|e| NluError::Model(e.to_string()))?;
        std::fs::write(&path, bytes)
            .map_err(|e| NluError::Model(format!("{}: {e}", path.display())))
    }

    pub fn probabilities(&self, text: &str) -> Result<Vec<f32>, NluError> {
        let mut logits = self.logits(&[text])?.pop().unwrap_or_default();
        let temperature = self.calibration.temperature;
        logits.iter_mut().for_each(|l| *l /= temperature);
        softmax(&mut logits);
        Ok(logits)
    }

    pub fn predict(&self, text: &str) -> Result<Prediction, NluError> {
        let probabilities = self.probabilities(text)?;
        let (intent, runner_up) = rank(&self.labels, probabilities);
        let out_of_scope =
            intent.name == OUT_OF_SCOPE || intent.confidence < self.calibration.threshold;
        Ok(Prediction {
            intent,
            runner_up,
            out_of_scope,
        })
    }
}
