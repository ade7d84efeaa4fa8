//! Natural-language understanding: the intent classifier. A sentence encoder (ONNX, `ort` +
//! `tokenizers`) and hashed n-gram features feed a linear intent head trained by `switchboard
//! train`; the head's rejection threshold marks out-of-scope messages.
//!
//! Everything here is blocking CPU work: callers on an async executor run it on the blocking pool.

pub mod dataset;
pub mod encoder;
pub mod eval;
pub mod features;
pub mod head;
pub mod model;
pub mod train;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub use encoder::{Encoder, EncoderOptions};
pub use model::{IntentModel, Prediction, Scored};

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

/// The encoder plus the current intent model; the model can be swapped while serving.
pub struct Classifier {
    encoder: Arc<Encoder>,
    model: RwLock<Arc<IntentModel>>,
}

impl Classifier {
    pub fn new(encoder: Arc<Encoder>, model: IntentModel) -> Classifier {
        Classifier {
            encoder,
            model: RwLock::new(Arc::new(model)),
        }
    }

    pub fn load(encoder: Arc<Encoder>, model_dir: &Path) -> Result<Classifier, NluError> {
        let model = IntentModel::load(model_dir, encoder.dim())?;
        Ok(Classifier::new(encoder, model))
    }

    pub fn encoder(&self) -> &Arc<Encoder> {
        &self.encoder
    }

    pub fn model(&self) -> Arc<IntentModel> {
        match self.model.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Loads the model in `dir` and swaps it in. On any error the current model keeps serving.
    pub fn reload(&self, dir: &Path) -> Result<Arc<IntentModel>, NluError> {
        let model = Arc::new(IntentModel::load(dir, self.encoder.dim())?);
        match self.model.write() {
            Ok(mut guard) => *guard = Arc::clone(&model),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&model),
        }
        Ok(model)
    }

    pub fn classify(&self, text: &str) -> Result<Prediction, NluError> {
        Ok(self.classify_embedded(text)?.0)
    }

    /// The prediction and the message's sentence embedding (the knowledge-base search reuses it
    /// instead of running the encoder a second time).
    pub fn classify_embedded(&self, text: &str) -> Result<(Prediction, Vec<f32>), NluError> {
        let dense = self.encoder.embed(&[text])?.pop().unwrap_or_default();
        let features = Features {
            dense,
            sparse: features::sparse_features(text),
        };
        let prediction = self.model().predict(&features);
        Ok((prediction, features.dense))
    }
}
