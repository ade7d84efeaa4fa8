//! Natural-language understanding: the intent classifier. A sentence encoder (ONNX, `ort` +
//! `tokenizers`) and hashed n-gram features feed a linear intent head trained by `switchboard
//! train`; the head's rejection threshold marks out-of-scope messages.
//!
//! Everything here is blocking CPU work: callers on an async executor run it on the blocking pool.

pub mod batcher;
pub mod cache;
pub mod calibration;
pub mod chinese;
pub mod dataset;
pub mod encoder;
pub mod eval;
pub mod features;
pub mod fingerprint;
pub mod head;
pub mod int8;
mod lane;
pub mod model;
pub mod neighbours;
pub mod onnx;
pub mod sentences;
pub mod train;
pub mod transformer;
pub mod unigram;
pub mod vectors;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub use encoder::{Encoder, EncoderKind, EncoderOptions};
pub use model::{IntentModel, Prediction, Scored};
pub use onnx::{return_free_memory, with_large_blocks_reused};
pub use transformer::TransformerModel;

use head::Features;

#[derive(Debug, thiserror::Error)]
pub enum NluError {
    #[error("{} not found: {hint}", path.display())]
    MissingFile { path: PathBuf, hint: &'static str },
    #[error("ONNX Runtime: {0}")]
    Runtime(String),
    #[error("model: {0}")]
    Model(String),
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("{}, line {line}: {reason}", path.display())]
    BadData {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("training: {0}")]
    Training(String),
}

/// What serves intents: a head trained by `switchboard train` over the shared encoder, or a
/// fine-tuned Hugging Face classifier brought by the user.
pub enum IntentBackend {
    Head(Box<IntentModel>),
    Transformer(Box<TransformerModel>),
}

/// What the admin API reports about the model now serving.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackendSummary {
    pub kind: &'static str,
    pub intents: usize,
    /// Training examples (for a head trained here).
    pub examples: Option<usize>,
    pub threshold: f32,
    pub temperature: f32,
}

impl IntentBackend {
    pub fn summary(&self) -> BackendSummary {
        match self {
            IntentBackend::Head(model) => BackendSummary {
                kind: "switchboard_head",
                intents: model.meta.labels.len(),
                examples: Some(model.meta.examples),
                threshold: model.meta.threshold,
                temperature: model.meta.temperature,
            },
            IntentBackend::Transformer(model) => BackendSummary {
                kind: "huggingface_classifier",
                intents: model.labels.len(),
                examples: None,
                threshold: model.calibration.threshold,
                temperature: model.calibration.temperature,
            },
        }
    }
}

/// The encoder plus the current intent model; the model can be swapped while serving.
pub struct Classifier {
    encoder: Arc<Encoder>,
    model: RwLock<Arc<IntentBackend>>,
}

impl Classifier {
    pub fn new(encoder: Arc<Encoder>, model: IntentModel) -> Classifier {
        Classifier::with_backend(encoder, IntentBackend::Head(Box::new(model)))
    }

    fn with_backend(encoder: Arc<Encoder>, backend: IntentBackend) -> Classifier {
        Classifier {
            encoder,
            model: RwLock::new(Arc::new(backend)),
        }
    }

    /// Loads `model_dir`: a Hugging Face export when it holds `config.json` + `model.onnx`,
    /// otherwise a model written by `switchboard train`.
    pub fn load(encoder: Arc<Encoder>, model_dir: &Path) -> Result<Classifier, NluError> {
        let backend = load_backend(&encoder, model_dir)?;
        Ok(Classifier::with_backend(encoder, backend))
    }

    pub fn encoder(&self) -> &Arc<Encoder> {
        &self.encoder
    }

    pub fn model(&self) -> Arc<IntentBackend> {
        match self.model.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Loads the model in `dir` and swaps it in. On any error the current model keeps serving.
    pub fn reload(&self, dir: &Path) -> Result<Arc<IntentBackend>, NluError> {
        let model = Arc::new(load_backend(&self.encoder, dir)?);
        match self.model.write() {
            Ok(mut guard) => *guard = Arc::clone(&model),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&model),
        }
        Ok(model)
    }

    pub fn classify(&self, text: &str) -> Result<Prediction, NluError> {
        Ok(self.classify_embedded(text)?.0)
    }

    /// The prediction and the message's sentence embedding from the shared encoder (the
    /// knowledge-base search reuses it instead of running the encoder a second time).
    pub fn classify_embedded(&self, text: &str) -> Result<(Prediction, Vec<f32>), NluError> {
        let dense = self.encoder.embed(&[text])?.pop().unwrap_or_default();
        self.classify_with(text, dense)
    }

    /// The prediction for `text` whose embedding `dense` the shared encoder already made
    /// ([`Encoder::embed_queued`]); returns the embedding with it.
    pub fn classify_with(
        &self,
        text: &str,
        dense: Vec<f32>,
    ) -> Result<(Prediction, Vec<f32>), NluError> {
        match self.model().as_ref() {
            IntentBackend::Transformer(model) => Ok((model.predict(text)?, dense)),
            IntentBackend::Head(model) => {
                let features = Features {
                    dense,
                    sparse: features::sparse_features(text),
                };
                let whole = model.predict(&features, model::language_of(text));
                let prediction = sentences::read_apart(&self.encoder, model, text, whole)?;
                Ok((prediction, features.dense))
            }
        }
    }
}

fn load_backend(encoder: &Encoder, dir: &Path) -> Result<IntentBackend, NluError> {
    if transformer::is_export(dir) {
        let model = TransformerModel::load(dir, encoder.library(), encoder.session_count())?;
        return Ok(IntentBackend::Transformer(Box::new(model)));
    }
    Ok(IntentBackend::Head(Box::new(IntentModel::load(
        dir,
        encoder.dim(),
    )?)))
}
