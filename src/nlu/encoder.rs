//! The sentence encoder: all-MiniLM-L6-v2 as ONNX, run through ONNX Runtime (`ort`), mean-pooled
//! and L2-normalised into 384-dimensional vectors.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::NluError;

/// Longest input, in tokens. Customer messages are short; longer ones are truncated.
const MAX_TOKENS: usize = 128;

/// ONNX Runtime is loaded once per process; the first caller's path wins.
static RUNTIME: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

fn runtime(library: &Path) -> Result<&'static ort::environment::Environment, NluError> {
    let loaded = RUNTIME.get_or_init(|| {
        if !library.exists() {
            return Err(format!(
                "ONNX Runtime library not found at {}: run `make setup` (python3 models/fetch.py) to fetch it",
                library.display()
            ));
        }
        let builder = ort::init_from(library).map_err(|e| format!("{}: {e}", library.display()))?;
        builder.with_name("switchboard").build().map_err(|e| e.to_string())
    });
    loaded
        .as_ref()
        .map_err(|message| NluError::Runtime(message.clone()))
}

pub struct Encoder {
    tokenizer: Tokenizer,
    sessions: Vec<Mutex<Session>>,
    next: AtomicUsize,
    dim: usize,
}

pub struct EncoderOptions {
    pub library: PathBuf,
    pub dir: PathBuf,
    pub sessions: usize,
    pub intra_threads: usize,
}

fn require_file(path: &Path) -> Result<(), NluError> {
    if path.exists() {
        return Ok(());
    }
    Err(NluError::MissingFile {
        path: path.to_path_buf(),
        hint: "run `make setup` (python3 models/fetch.py) to fetch and build it",
    })
}

fn build_session(
    env: &ort::environment::Environment,
    model: &Path,
    threads: usize,
) -> ort::Result<Session> {
    Session::builder(env)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(ort::Error::<()>::from)?
        .with_intra_threads(threads)
        .map_err(ort::Error::<()>::from)?
        .commit_from_file(model)
}

impl Encoder {
    pub fn load(options: &EncoderOptions) -> Result<Encoder, NluError> {
        let model = options.dir.join("model.onnx");
        let tokenizer_path = options.dir.join("tokenizer.json");
        let env = runtime(&options.library)?;
        require_file(&model)?;
        require_file(&tokenizer_path)?;
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| NluError::Model(format!("{}: {e}", tokenizer_path.display())))?;
        // The shipped tokenizer pads every input to 128 tokens; pad to the batch's longest instead.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| NluError::Model(e.to_string()))?;
        let mut sessions = Vec::new();
        for _ in 0..options.sessions.max(1) {
            let session = build_session(env, &model, options.intra_threads.max(1))
                .map_err(|e| NluError::Model(format!("{}: {e}", model.display())))?;
            sessions.push(Mutex::new(session));
        }
        let mut encoder = Encoder {
            tokenizer,
            sessions,
            next: AtomicUsize::new(0),
            dim: 0,
        };
        encoder.dim = encoder.embed(&["hello"])?.first().map_or(0, Vec::len);
        Ok(encoder)
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Embeds a batch of texts: one unit-length vector per text.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| NluError::Inference(e.to_string()))?;
        let batch = encodings.len();
        let seq = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(batch * seq);
        let mut mask = Vec::with_capacity(batch * seq);
        for encoding in &encodings {
            ids.extend(encoding.get_ids().iter().map(|&v| i64::from(v)));
            mask.extend(encoding.get_attention_mask().iter().map(|&v| i64::from(v)));
        }
        let hidden = self.run(batch, seq, ids, &mask)?;
        Ok(mean_pool(&hidden, &mask, batch, seq))
    }

    fn run(
        &self,
        batch: usize,
        seq: usize,
        ids: Vec<i64>,
        mask: &[i64],
    ) -> Result<Vec<f32>, NluError> {
        let inference = |e: ort::Error| NluError::Inference(e.to_string());
        let types = vec![0i64; batch * seq];
        let ids = Tensor::from_array(([batch, seq], ids)).map_err(inference)?;
        let attention = Tensor::from_array(([batch, seq], mask.to_vec())).map_err(inference)?;
        let types = Tensor::from_array(([batch, seq], types)).map_err(inference)?;
        let slot = self.next.fetch_add(1, Ordering::Relaxed) % self.sessions.len();
        let mut session = self.sessions[slot]
            .lock()
            .map_err(|_| NluError::Inference("an ONNX session panicked earlier".into()))?;
        let outputs = session
            .run(ort::inputs![
                "input_ids" => ids,
                "attention_mask" => attention,
                "token_type_ids" => types,
            ])
            .map_err(inference)?;
        let (_, hidden) = outputs[0].try_extract_tensor::<f32>().map_err(inference)?;
        Ok(hidden.to_vec())
    }
}

/// Averages token vectors where the attention mask is 1, then L2-normalises.
fn mean_pool(hidden: &[f32], mask: &[i64], batch: usize, seq: usize) -> Vec<Vec<f32>> {
    let dim = hidden.len().checked_div(batch * seq).unwrap_or(0);
    (0..batch)
        .map(|b| {
            let mut sum = vec![0f32; dim];
            let mut count = 0f32;
            for t in 0..seq {
                if mask[b * seq + t] == 0 {
                    continue;
                }
                count += 1.0;
                let token = &hidden[(b * seq + t) * dim..(b * seq + t + 1) * dim];
                sum.iter_mut().zip(token).for_each(|(s, v)| *s += v);
            }
            sum.iter_mut().for_each(|s| *s /= count.max(1.0));
            super::features::normalize(&mut sum);
            sum
        })
        .collect()
}
