//! The sentence encoder: ONNX graphs run through ONNX Runtime (`ort`), mean-pooled and
//! L2-normalised. Which graph embeds a text is [`EncoderKind`]'s choice:
//!
//! - `minilm`: all-MiniLM-L6-v2 (English-only, 6 layers), 384 wide;
//! - `e5`: multilingual-e5-small (12 layers, 4-bit weights), 384 wide, every text prefixed
//!   `query: ` as its model card asks for symmetric matching;
//! - `routed`: MiniLM for texts without Chinese characters, e5 for texts with any; the vector is
//!   768 wide, MiniLM's in the first half and e5's in the second (the other half zero), so the
//!   intent head learns separate weights per encoder and a passage only ever matches a message
//!   embedded by the same encoder (each language's KB passages by its own).
//!
//! Single-text calls go through a micro-batching thread per session ([`super::batcher`]) and a
//! cache of short repeated texts ([`super::cache`]).

use std::path::PathBuf;
use std::time::Duration;

use super::NluError;
use super::batcher::BatchOptions;
use super::cache::EmbeddingCache;
use super::fingerprint;
use super::lane::Lane;
use crate::config::Settings;

pub(super) const HINT: &str = "run `make setup` (python3 models/fetch.py) to fetch and build it";
/// multilingual-e5 was trained with this prefix on queries (and `passage: ` on documents; the
/// same prefix on both sides suits message-to-passage and message-to-intent matching).
const E5_PREFIX: &str = "query: ";
/// e5's cosines cluster high (unrelated texts often score 0.75-0.85): its cosines are rescaled
/// from [E5_COSINE_FLOOR, 1] to [0, 1], so one threshold (`dialogue.min_kb_cosine`) means about
/// the same for either encoder. Fitted on the dev half of benches/data/kb_questions.jsonl.
const E5_COSINE_FLOOR: f32 = 0.70;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderKind {
    MiniLm,
    E5,
    Routed,
}

impl EncoderKind {
    pub fn parse(name: &str) -> Result<EncoderKind, NluError> {
        match name {
            "minilm" => Ok(EncoderKind::MiniLm),
            "e5" => Ok(EncoderKind::E5),
            "routed" => Ok(EncoderKind::Routed),
            other => Err(NluError::Model(format!(
                "nlu.encoder = `{other}`: expected minilm, e5 or routed"
            ))),
        }
    }
}

pub struct EncoderOptions {
    pub library: PathBuf,
    pub kind: EncoderKind,
    /// all-MiniLM-L6-v2's directory and its graph file (fp32 or int8).
    pub dir: PathBuf,
    pub model_file: String,
    /// multilingual-e5-small's directory (model.onnx + tokenizer.json).
    pub multilingual_dir: PathBuf,
    pub sessions: usize,
    pub multilingual_sessions: usize,
    pub intra_threads: usize,
    pub cpu_arena: bool,
    /// `None`: every call runs on the caller's thread, one call per ONNX run.
    pub batch: Option<BatchOptions>,
    pub cache_entries: usize,
    pub cache_max_bytes: usize,
}

impl EncoderOptions {
    pub fn from_settings(settings: &Settings) -> Result<EncoderOptions, NluError> {
        let nlu = &settings.nlu;
        Ok(EncoderOptions {
            library: settings.paths.ort_library.clone(),
            kind: EncoderKind::parse(&nlu.encoder)?,
            dir: settings.paths.encoder_dir.clone(),
            model_file: nlu.encoder_file.clone(),
            multilingual_dir: settings.paths.multilingual_encoder_dir.clone(),
            sessions: nlu.sessions,
            multilingual_sessions: nlu.multilingual_sessions,
            intra_threads: nlu.intra_threads,
            cpu_arena: nlu.cpu_arena,
            batch: (nlu.batch_max > 1).then(|| BatchOptions {
                max_batch: nlu.batch_max,
                max_wait: Duration::from_micros(nlu.batch_wait_us),
            }),
            cache_entries: nlu.embedding_cache,
            cache_max_bytes: nlu.embedding_cache_max_bytes,
        })
    }
}

pub struct Encoder {
    kind: EncoderKind,
    english: Option<Lane>,
    multilingual: Option<Lane>,
    cache: EmbeddingCache,
    library: PathBuf,
    dim: usize,
    fingerprint: u64,
}

impl Encoder {
    pub fn load(options: &EncoderOptions) -> Result<Encoder, NluError> {
        let english = match options.kind {
            EncoderKind::E5 => None,
            EncoderKind::MiniLm | EncoderKind::Routed => Some(Lane::load(
                options,
                options.dir.join(&options.model_file),
                options.dir.join("tokenizer.json"),
                "",
                0,
            )?),
        };
        let offset = english.as_ref().map_or(0, |lane| lane.dim);
        let multilingual = match options.kind {
            EncoderKind::MiniLm => None,
            EncoderKind::E5 | EncoderKind::Routed => Some(Lane::load(
                options,
                options.multilingual_dir.join("model.onnx"),
                options.multilingual_dir.join("tokenizer.json"),
                E5_PREFIX,
                offset,
            )?),
        };
        let dim = offset + multilingual.as_ref().map_or(0, |lane| lane.dim);
        let fingerprint = [&english, &multilingual]
            .into_iter()
            .flatten()
            .map(|lane| lane.fingerprint)
            .fold(dim as u64, fingerprint::combine);
        Ok(Encoder {
            kind: options.kind,
            english,
            multilingual,
            cache: EmbeddingCache::new(options.cache_entries, options.cache_max_bytes),
            library: options.library.clone(),
            dim,
            fingerprint,
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Whether the (English, else multilingual) tokenizer holds `word` (lowercase) whole: a
    /// dictionary word, so not a typo.
    pub fn knows_word(&self, word: &str) -> bool {
        let lane = self.english.as_ref().or(self.multilingual.as_ref());
        lane.is_some_and(|lane| lane.model.knows_word(word))
    }

    /// A hash of the graphs and tokenizers this encoder runs, and of how it lays out their
    /// vectors: equal fingerprints embed every text to the same vector.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    pub fn kind(&self) -> EncoderKind {
        self.kind
    }

    /// The ONNX Runtime library this process loaded (other models reuse it).
    pub fn library(&self) -> PathBuf {
        self.library.clone()
    }

    /// Sessions of the English (or only) graph: how many embedding calls can run at once.
    pub fn session_count(&self) -> usize {
        self.english
            .as_ref()
            .or(self.multilingual.as_ref())
            .map_or(1, |lane| lane.model.session_count())
    }

    /// An encoder for a bulk job (embedding a whole knowledge base): every lane with as many
    /// sessions as the widest (one per core), where serving gives e5 fewer for memory; no
    /// batching, no cache. Same graphs, tokenizers and fingerprint, so the same vectors. A lane's
    /// serving sessions are shared and only the missing ones built; they go when it is dropped.
    /// Sample KB, cold: 38.3 s -> 22.6 s, peak 257 -> 324 MB during the build (BENCHMARKS.md).
    pub fn for_bulk(&self) -> Result<Encoder, NluError> {
        let sessions = self
            .lanes()
            .map(|lane| lane.model.session_count())
            .max()
            .unwrap_or(1);
        let bulk = |lane: &Option<Lane>| lane.as_ref().map(|l| l.for_bulk(sessions)).transpose();
        Ok(Encoder {
            kind: self.kind,
            english: bulk(&self.english)?,
            multilingual: bulk(&self.multilingual)?,
            cache: EmbeddingCache::new(0, 0),
            library: self.library.clone(),
            dim: self.dim,
            fingerprint: self.fingerprint,
        })
    }

    /// Embeds a batch of texts: one unit-length vector per text (unit length within its half
    /// for `routed`).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
        if let [text] = texts
            && let Some(vector) = self.cache.get(text)
        {
            return Ok(vec![vector]);
        }
        let mut out = vec![Vec::new(); texts.len()];
        for lane in self.lanes() {
            let (positions, mine): (Vec<usize>, Vec<&str>) = texts
                .iter()
                .enumerate()
                .filter(|(_, text)| self.lane_for(text).is_some_and(|l| std::ptr::eq(l, lane)))
                .map(|(i, text)| (i, *text))
                .unzip();
            if mine.is_empty() {
                continue;
            }
            for (i, vector) in positions.into_iter().zip(lane.embed(&mine)?) {
                out[i] = self.place(lane, vector);
            }
        }
        if let ([text], [vector]) = (texts, out.as_slice()) {
            self.cache.put(text, vector);
        }
        Ok(out)
    }

    /// One text's vector from a run of its own: no padding, no other caller's texts in the batch
    /// (with int8 weights the activations' quantisation range is the batch's, so a batch
    /// companion shifts a vector), no cache. Bit for bit what a message of the same text gets
    /// when it is embedded alone, and the cheapest way to embed texts of mixed length (the
    /// knowledge base's passages, titles and phrasings).
    pub fn embed_alone(&self, text: &str) -> Result<Vec<f32>, NluError> {
        let Some(lane) = self.lane_for(text) else {
            return Err(NluError::Model("no encoder is loaded".into()));
        };
        let vector = lane.embed_alone(text)?;
        Ok(self.place(lane, vector))
    }

    /// One text's vector through the micro-batching queue, awaited without holding a thread;
    /// `None` when its lane does not batch (the caller embeds it on a blocking thread with
    /// [`Encoder::embed`]). Same vector, to the last bit, as [`Encoder::embed`] of that text.
    pub async fn embed_queued(&self, text: &str) -> Result<Option<Vec<f32>>, NluError> {
        if let Some(vector) = self.cache.get(text) {
            return Ok(Some(vector));
        }
        let Some(lane) = self.lane_for(text) else {
            return Ok(None);
        };
        let Some(batcher) = &lane.batcher else {
            return Ok(None);
        };
        let vector = batcher
            .embed_async(&[text])
            .await?
            .pop()
            .unwrap_or_default();
        let vector = self.place(lane, vector);
        self.cache.put(text, &vector);
        Ok(Some(vector))
    }

    /// An approximation of the vector of two texts read one after the other, from their own
    /// vectors: their sum, back to unit length. Mean pooling makes a text's vector close to the
    /// mean of its parts', and the follow-up reread that uses it ("ok and if I upgrade now do I
    /// pay for the full month?" after a question on plans) decides the same on the blind and dev
    /// dialogues as running the encoder on the pair (BENCHMARKS.md, eighteenth session), for
    /// none of its cost. `None` when the two were embedded by different lanes (an English
    /// message after a Chinese one), whose vectors do not add up.
    pub fn blend(&self, previous: &[f32], current: &[f32]) -> Option<Vec<f32>> {
        if previous.len() != self.dim || current.len() != self.dim {
            return None;
        }
        if !std::ptr::eq(self.lane_of(previous)?, self.lane_of(current)?) {
            return None;
        }
        let mut sum: Vec<f32> = previous.iter().zip(current).map(|(a, b)| a + b).collect();
        let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm < f32::EPSILON {
            return None;
        }
        sum.iter_mut().for_each(|v| *v /= norm);
        Some(sum)
    }

    /// `cosine` (of `query` with a passage) on MiniLM's scale: e5's is rescaled (see
    /// [`E5_COSINE_FLOOR`]); ranks are unchanged.
    pub fn comparable_cosine(&self, query: &[f32], cosine: f32) -> f32 {
        // A zero vector has no lane: e5's scale only when e5 is the one encoder.
        let by_e5 = match self.lane_of(query) {
            Some(lane) => self
                .multilingual
                .as_ref()
                .is_some_and(|e5| std::ptr::eq(e5, lane)),
            None => self.english.is_none(),
        };
        if by_e5 {
            (cosine - E5_COSINE_FLOOR) / (1.0 - E5_COSINE_FLOOR)
        } else {
            cosine
        }
    }

    /// The lane that embeds `text`: by the presence of Chinese characters when routed.
    fn lanes(&self) -> impl Iterator<Item = &Lane> {
        [&self.english, &self.multilingual].into_iter().flatten()
    }

    /// The lane that embedded `vector` (of this encoder's width): the one whose part of it is
    /// not zero (a vector from the encoder has one such part). `None` for a zero vector.
    fn lane_of(&self, vector: &[f32]) -> Option<&Lane> {
        self.lanes().find(|lane| {
            vector
                .get(lane.offset..lane.offset + lane.dim)
                .is_some_and(|part| part.iter().any(|v| *v != 0.0))
        })
    }

    fn lane_for(&self, text: &str) -> Option<&Lane> {
        match (&self.english, &self.multilingual) {
            (Some(english), Some(multilingual)) => {
                if text.chars().any(super::features::is_cjk) {
                    Some(multilingual)
                } else {
                    Some(english)
                }
            }
            (Some(only), None) | (None, Some(only)) => Some(only),
            (None, None) => None,
        }
    }

    fn place(&self, lane: &Lane, vector: Vec<f32>) -> Vec<f32> {
        if lane.dim == self.dim {
            return vector;
        }
        let mut wide = vec![0.0; self.dim];
        wide[lane.offset..lane.offset + lane.dim].copy_from_slice(&vector);
        wide
    }
}
