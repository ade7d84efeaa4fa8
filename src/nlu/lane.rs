//! One lane of the sentence encoder ([`super::encoder`]): an ONNX graph with its tokenizer and
//! text prefix, its micro-batching threads, and where its vector goes in the routed output. A
//! run over a batch of texts is mean-pooled and L2-normalised here.

use std::path::PathBuf;
use std::sync::Arc;

use super::NluError;
use super::batcher::{Batcher, RunBatch};
use super::encoder::{EncoderOptions, HINT};
use super::fingerprint;
use super::onnx::{TextModel, TextModelOptions};

/// One graph, its text prefix, where its vector goes in the output, and its batching threads.
pub(super) struct Lane {
    pub(super) model: Arc<TextModel>,
    pub(super) prefix: &'static str,
    pub(super) dim: usize,
    pub(super) offset: usize,
    pub(super) batcher: Option<Batcher>,
    /// Of its graph, tokenizer and prefix.
    pub(super) fingerprint: u64,
}

impl Lane {
    pub(super) fn load(
        options: &EncoderOptions,
        model: PathBuf,
        tokenizer: PathBuf,
        prefix: &'static str,
        offset: usize,
    ) -> Result<Lane, NluError> {
        let sessions = if prefix.is_empty() {
            options.sessions
        } else {
            options.multilingual_sessions
        };
        let text_model = TextModel::load(
            &TextModelOptions {
                library: options.library.clone(),
                model: model.clone(),
                tokenizer: tokenizer.clone(),
                // e5's Unigram vocabulary in one hash map: a tenth of the memory of `tokenizers`'
                // own trie (nlu::unigram).
                compact_unigram: !prefix.is_empty(),
                sessions,
                intra_threads: options.intra_threads,
                cpu_arena: options.cpu_arena,
            },
            HINT,
        )?;
        let fingerprint = fingerprint::of_files(prefix, &[&model, &tokenizer])?;
        let model = Arc::new(text_model);
        let dim = run_pooled(&model, 0, prefix, &["hello"])?
            .first()
            .map_or(0, Vec::len);
        let batcher = options.batch.map(|batch| {
            let runner = Arc::clone(&model);
            let run: Arc<RunBatch> =
                Arc::new(move |slot, texts: &[&str]| run_pooled(&runner, slot, prefix, texts));
            Batcher::start(model.session_count(), batch, run)
        });
        Ok(Lane {
            model,
            prefix,
            dim,
            offset,
            batcher,
            fingerprint,
        })
    }

    /// This lane with at least `sessions` sessions and no batcher (see [`Encoder::for_bulk`]).
    pub(super) fn for_bulk(&self, sessions: usize) -> Result<Lane, NluError> {
        let model = if self.model.session_count() >= sessions {
            Arc::clone(&self.model)
        } else {
            Arc::new(self.model.with_sessions(sessions)?)
        };
        Ok(Lane {
            model,
            prefix: self.prefix,
            dim: self.dim,
            offset: self.offset,
            batcher: None,
            fingerprint: self.fingerprint,
        })
    }

    /// A single text joins the next micro-batch; several texts are a batch already and run
    /// alone, so their padding (and so their vectors, to the last bit) never depends on what
    /// other callers sent meanwhile: training twice gives the same model.
    pub(super) fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
        match &self.batcher {
            Some(batcher) if texts.len() == 1 => batcher.embed(texts),
            Some(_) | None => run_pooled(&self.model, usize::MAX, self.prefix, texts),
        }
    }

    /// One text in a run of its own, outside the micro-batches (see [`Encoder::embed_alone`]).
    ///
    /// [`Encoder::embed_alone`]: super::encoder::Encoder::embed_alone
    pub(super) fn embed_alone(&self, text: &str) -> Result<Vec<f32>, NluError> {
        let vectors = run_pooled(&self.model, usize::MAX, self.prefix, &[text])?;
        Ok(vectors.into_iter().next().unwrap_or_default())
    }
}

/// One ONNX run over `texts` (each prefixed) on session `slot` (`usize::MAX`: the next in turn).
fn run_pooled(
    model: &TextModel,
    slot: usize,
    prefix: &str,
    texts: &[&str],
) -> Result<Vec<Vec<f32>>, NluError> {
    let prefixed: Vec<String> = texts.iter().map(|t| format!("{prefix}{t}")).collect();
    let texts: Vec<&str> = prefixed.iter().map(String::as_str).collect();
    let texts = texts.as_slice();
    let out = if slot == usize::MAX {
        model.run(texts, None)?
    } else {
        model.run_on(slot, texts, None)?
    };
    if out.shape.len() != 3 {
        return Err(NluError::Inference(format!(
            "the encoder returned shape {:?}, expected [batch, tokens, hidden]",
            out.shape
        )));
    }
    Ok(mean_pool(&out.values, &out.mask, out.batch, out.seq))
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
