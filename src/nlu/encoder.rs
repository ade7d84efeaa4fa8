//! The sentence encoder: all-MiniLM-L6-v2 as ONNX, run through ONNX Runtime (`ort`), mean-pooled
//! and L2-normalised into 384-dimensional vectors.

use std::path::PathBuf;

use super::NluError;
use super::onnx::{TextModel, TextModelOptions};

const HINT: &str = "run `make setup` (python3 models/fetch.py) to fetch and build it";

pub struct Encoder {
    model: TextModel,
    library: PathBuf,
    dim: usize,
}

pub struct EncoderOptions {
    pub library: PathBuf,
    pub dir: PathBuf,
    pub sessions: usize,
    pub intra_threads: usize,
}

impl Encoder {
    pub fn load(options: &EncoderOptions) -> Result<Encoder, NluError> {
        let model = TextModel::load(
            &TextModelOptions {
                library: options.library.clone(),
                model: options.dir.join("model.onnx"),
                tokenizer: options.dir.join("tokenizer.json"),
                sessions: options.sessions,
                intra_threads: options.intra_threads,
            },
            HINT,
        )?;
        let mut encoder = Encoder {
            model,
            library: options.library.clone(),
            dim: 0,
        };
        encoder.dim = encoder.embed(&["hello"])?.first().map_or(0, Vec::len);
        Ok(encoder)
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The ONNX Runtime library this process loaded (other models reuse it).
    pub fn library(&self) -> PathBuf {
        self.library.clone()
    }

    pub fn session_count(&self) -> usize {
        self.model.session_count()
    }

    /// Embeds a batch of texts: one unit-length vector per text.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let out = self.model.run(texts, None)?;
        if out.shape.len() != 3 {
            return Err(NluError::Inference(format!(
                "the encoder returned shape {:?}, expected [batch, tokens, hidden]",
                out.shape
            )));
        }
        Ok(mean_pool(&out.values, &out.mask, out.batch, out.seq))
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
