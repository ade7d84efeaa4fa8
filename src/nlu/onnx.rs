//! Running a tokenizer + ONNX text model: the process-wide ONNX Runtime, a small pool of sessions,
//! and one batch in, the model's first (or named) output out. The sentence encoder and the
//! Hugging Face classifier both sit on this; neither knows how inputs are fed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::NluError;
use super::unigram::UnigramTokenizer;

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
        keep_large_blocks_unmapped();
        let builder = ort::init_from(library).map_err(|e| format!("{}: {e}", library.display()))?;
        builder.with_name("switchboard").build().map_err(|e| e.to_string())
    });
    loaded
        .as_ref()
        .map_err(|message| NluError::Runtime(message.clone()))
}

/// glibc's malloc raises its mmap threshold (up to 32 MB) each time a large mapped block is
/// freed; after that, ONNX Runtime's activation buffers (tens of MB for a batch of passages)
/// come from each thread's heap arena and stay resident once freed. Fixing the threshold keeps
/// blocks over 128 kB in their own mappings, returned to the system on free (measured with
/// MiniLM int8, 2 sessions: 535 MB resident after start-up, 153 MB with the fixed threshold).
///
/// The number of arenas is capped too: glibc gives threads up to 8 per core, each growing in
/// 64 MB heaps. When the blocking pool ran hundreds of threads, ten minutes at 256 clients left
/// 1.7 GB in such arenas (BENCHMARKS.md, the store soak), so they were capped at 2; with the pool
/// now capped (`server.blocking_threads`) 2 arenas were the bottleneck instead: threads queued
/// on their locks (futex waits in the profile), and 8 gave 5-7% more messages per second at 16
/// clients for the same resident memory (issue 12).
fn keep_large_blocks_unmapped() {
    set_malloc_option(M_MMAP_THRESHOLD, SERVING_MMAP_THRESHOLD);
    set_malloc_option(M_ARENA_MAX, 8);
}

/// Runs `bulk` (embedding thousands of texts: a cold knowledge base) with large blocks reused
/// from the heap instead of mapped and unmapped per ONNX run, then restores the serving
/// threshold and returns the free heap to the system. Each run needs megabytes of activations;
/// mapped afresh, every page of them faults and is zeroed again (a third of a cold build's CPU
/// time was in the kernel). Builds run one at a time (`kb::live`'s rebuild mutex); serving that
/// overlaps a rebuild only keeps its large blocks on the heap until the trim.
pub fn with_large_blocks_reused<T>(bulk: impl FnOnce() -> T) -> T {
    set_malloc_option(M_MMAP_THRESHOLD, BULK_MMAP_THRESHOLD);
    let result = bulk();
    set_malloc_option(M_MMAP_THRESHOLD, SERVING_MMAP_THRESHOLD);
    return_free_memory();
    result
}

const M_MMAP_THRESHOLD: i32 = -3;
const M_ARENA_MAX: i32 = -8;
/// While serving, blocks from 128 kB get mappings of their own (see above).
const SERVING_MMAP_THRESHOLD: i32 = 128 * 1024;
/// During a bulk build: glibc's largest accepted threshold on 64-bit (HEAP_MAX_SIZE / 2).
const BULK_MMAP_THRESHOLD: i32 = 32 * 1024 * 1024;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_malloc_option(param: i32, value: i32) {
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    // SAFETY: mallopt only changes a malloc tuning parameter; any value is valid to pass.
    unsafe {
        mallopt(param, value);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_malloc_option(_param: i32, _value: i32) {}

/// Hands the heap's free pages back to the system. After the knowledge base is built, the
/// embedding batches and the vector cache have been freed in small blocks that glibc otherwise
/// keeps resident (at 10,000 articles, hundreds of MB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_free_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: malloc_trim only releases memory malloc holds unused; it takes no pointers.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_free_memory() {}

pub fn require_file(path: &Path, hint: &'static str) -> Result<(), NluError> {
    if path.exists() {
        return Ok(());
    }
    Err(NluError::MissingFile {
        path: path.to_path_buf(),
        hint,
    })
}

/// Where a text model lives and how many sessions and threads it gets.
#[derive(Clone)]
pub struct TextModelOptions {
    pub library: PathBuf,
    pub model: PathBuf,
    pub tokenizer: PathBuf,
    /// Read tokenizer.json's Unigram vocabulary into [`UnigramTokenizer`] (compact) rather than
    /// `tokenizers`' own model: for large SentencePiece vocabularies.
    pub compact_unigram: bool,
    pub sessions: usize,
    pub intra_threads: usize,
    /// ONNX Runtime's CPU arena keeps the largest activations ever seen; off, memory is returned.
    pub cpu_arena: bool,
}

/// The inputs a BERT-style export may declare; anything else is refused at load time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Input {
    Ids,
    Mask,
    TokenTypes,
}

/// One batch through the model: the output values and shape, and the attention mask fed in.
pub struct BatchOutput {
    pub values: Vec<f32>,
    pub shape: Vec<usize>,
    pub mask: Vec<i64>,
    pub batch: usize,
    pub seq: usize,
}

/// `tokenizers`' own pipeline, or the compact Unigram one (same ids, a tenth of the memory).
enum TextTokenizer {
    Full(Box<Tokenizer>),
    Unigram(Box<UnigramTokenizer>),
}

impl TextTokenizer {
    /// Whether the vocabulary holds `word` (lowercase) as one whole token.
    fn knows_word(&self, word: &str) -> bool {
        match self {
            TextTokenizer::Full(tokenizer) => tokenizer.token_to_id(word).is_some(),
            TextTokenizer::Unigram(tokenizer) => tokenizer.has_word(word),
        }
    }

    /// Token ids and attention mask of `texts`, padded to the longest: (ids, mask, seq).
    fn encode_batch(&self, texts: &[&str]) -> Result<(Vec<i64>, Vec<i64>, usize), NluError> {
        let rows = match self {
            TextTokenizer::Full(tokenizer) => full_rows(tokenizer, texts)?,
            TextTokenizer::Unigram(tokenizer) => texts
                .iter()
                .map(|t| {
                    let ids = tokenizer.encode(t, MAX_TOKENS)?;
                    let mask = vec![1; ids.len()];
                    Ok((ids, mask))
                })
                .collect::<Result<_, NluError>>()?,
        };
        let seq = rows.iter().map(|(ids, _)| ids.len()).max().unwrap_or(0);
        let (mut ids, mut mask) = (Vec::new(), Vec::new());
        for (row_ids, row_mask) in &rows {
            ids.extend(row_ids.iter().map(|&v| i64::from(v)));
            mask.extend(row_mask.iter().map(|&v| i64::from(v)));
            // Padding is masked out (attention and pooling), so its id does not matter.
            ids.extend(std::iter::repeat_n(0, seq - row_ids.len()));
            mask.extend(std::iter::repeat_n(0, seq - row_ids.len()));
        }
        Ok((ids, mask, seq))
    }
}

/// Batches at least this large are tokenized on `tokenizers`' own thread pool (building the KB's
/// vectors). A message batch is a few short texts: handing it to that pool cost more than the
/// tokenizing (two pool threads woken per batch, ~4 context switches per message at 16 clients).
const PARALLEL_TOKENIZING_FROM: usize = 64;

/// One text's token ids and attention mask, unpadded.
type TokenRow = (Vec<u32>, Vec<u32>);

/// Each text's ids and attention mask, unpadded.
fn full_rows(tokenizer: &Tokenizer, texts: &[&str]) -> Result<Vec<TokenRow>, NluError> {
    let encodings = if texts.len() >= PARALLEL_TOKENIZING_FROM {
        tokenizer.encode_batch(texts.to_vec(), true)
    } else {
        texts.iter().map(|t| tokenizer.encode(*t, true)).collect()
    };
    let encodings = encodings.map_err(|e| NluError::Inference(e.to_string()))?;
    Ok(encodings
        .into_iter()
        .map(|e| (e.get_ids().to_vec(), e.get_attention_mask().to_vec()))
        .collect())
}

pub struct TextModel {
    tokenizer: Arc<TextTokenizer>,
    sessions: Vec<Arc<Mutex<Session>>>,
    next: AtomicUsize,
    inputs: Vec<(String, Input)>,
    /// What it was loaded from, for [`TextModel::with_sessions`].
    options: TextModelOptions,
}

/// One session: full graph optimisation, `threads` intra-op threads that sleep rather than spin
/// when idle (the machine's other work, tokenizing and the KB search, needs those cores), no
/// inter-op pool (a BERT graph is one chain of operators).
fn build_session(
    env: &ort::environment::Environment,
    options: &TextModelOptions,
) -> ort::Result<Session> {
    let cpu = ort::ep::CPU::default()
        .with_arena_allocator(options.cpu_arena)
        .build();
    Session::builder(env)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(ort::Error::<()>::from)?
        .with_execution_providers([cpu])
        .map_err(ort::Error::<()>::from)?
        .with_intra_threads(options.intra_threads.max(1))
        .map_err(ort::Error::<()>::from)?
        .with_inter_threads(1)
        .map_err(ort::Error::<()>::from)?
        .with_intra_op_spinning(false)
        .map_err(ort::Error::<()>::from)?
        .with_memory_pattern(options.cpu_arena)
        .map_err(ort::Error::<()>::from)?
        .commit_from_file(&options.model)
}

fn load_tokenizer(path: &Path) -> Result<Tokenizer, NluError> {
    let mut tokenizer = Tokenizer::from_file(path)
        .map_err(|e| NluError::Model(format!("{}: {e}", path.display())))?;
    // Exports often pad every input to the maximum length; pad to the batch's longest instead.
    tokenizer.with_padding(Some(PaddingParams {
        strategy: PaddingStrategy::BatchLongest,
        ..PaddingParams::default()
    }));
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: MAX_TOKENS,
            ..Default::default()
        }))
        .map_err(|e| NluError::Model(format!("{}: {e}", path.display())))?;
    Ok(tokenizer)
}

/// Maps the session's declared inputs to what we can feed, by name.
fn declared_inputs(session: &Session, model: &Path) -> Result<Vec<(String, Input)>, NluError> {
    let mut inputs = Vec::new();
    for outlet in session.inputs() {
        let input = match outlet.name() {
            "input_ids" => Input::Ids,
            "attention_mask" => Input::Mask,
            "token_type_ids" => Input::TokenTypes,
            other => {
                return Err(NluError::Model(format!(
                    "{}: unsupported input `{other}` (expected input_ids, attention_mask, token_type_ids)",
                    model.display()
                )));
            }
        };
        inputs.push((outlet.name().to_string(), input));
    }
    if !inputs.iter().any(|(_, i)| *i == Input::Ids) {
        return Err(NluError::Model(format!(
            "{}: the model has no `input_ids` input",
            model.display()
        )));
    }
    Ok(inputs)
}

impl TextModel {
    pub fn load(options: &TextModelOptions, hint: &'static str) -> Result<TextModel, NluError> {
        runtime(&options.library)?;
        require_file(&options.model, hint)?;
        require_file(&options.tokenizer, hint)?;
        let tokenizer = if options.compact_unigram {
            TextTokenizer::Unigram(Box::new(UnigramTokenizer::load(&options.tokenizer)?))
        } else {
            TextTokenizer::Full(Box::new(load_tokenizer(&options.tokenizer)?))
        };
        TextModel::build(Arc::new(tokenizer), Vec::new(), options.clone())
    }

    /// The same graph, tokenizer and settings with `sessions` sessions, so the same outputs:
    /// a bulk job runs one session per core where serving keeps fewer. The tokenizer and this
    /// model's sessions are shared; only the missing ones are built.
    pub fn with_sessions(&self, sessions: usize) -> Result<TextModel, NluError> {
        let options = TextModelOptions {
            sessions,
            ..self.options.clone()
        };
        TextModel::build(Arc::clone(&self.tokenizer), self.sessions.clone(), options)
    }

    fn build(
        tokenizer: Arc<TextTokenizer>,
        mut sessions: Vec<Arc<Mutex<Session>>>,
        options: TextModelOptions,
    ) -> Result<TextModel, NluError> {
        let env = runtime(&options.library)?;
        while sessions.len() < options.sessions.max(1) {
            let session = build_session(env, &options)
                .map_err(|e| NluError::Model(format!("{}: {e}", options.model.display())))?;
            sessions.push(Arc::new(Mutex::new(session)));
        }
        let first = sessions[0]
            .lock()
            .map_err(|_| NluError::Model("an ONNX session panicked while loading".into()))?;
        let inputs = declared_inputs(&first, &options.model)?;
        drop(first);
        Ok(TextModel {
            tokenizer,
            sessions,
            next: AtomicUsize::new(0),
            inputs,
            options,
        })
    }

    /// Whether the tokenizer's vocabulary holds `word` (lowercase) as one whole token: a word
    /// common enough in the text the model learned from to be a real word, not a typo.
    pub fn knows_word(&self, word: &str) -> bool {
        self.tokenizer.knows_word(word)
    }

    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Tokenizes `texts` as one padded batch and runs it on the next session in turn; returns
    /// output `output` (or the first).
    pub fn run(&self, texts: &[&str], output: Option<&str>) -> Result<BatchOutput, NluError> {
        let slot = self.next.fetch_add(1, Ordering::Relaxed);
        self.run_on(slot, texts, output)
    }

    /// As [`TextModel::run`], on session `slot` (modulo the pool): a thread that owns a session
    /// never waits for another thread's.
    pub fn run_on(
        &self,
        slot: usize,
        texts: &[&str],
        output: Option<&str>,
    ) -> Result<BatchOutput, NluError> {
        let inference = |e: ort::Error| NluError::Inference(e.to_string());
        let (ids, mask, seq) = self.tokenizer.encode_batch(texts)?;
        let batch = texts.len();
        let mut feed = Vec::with_capacity(self.inputs.len());
        for (name, input) in &self.inputs {
            let values = match input {
                Input::Ids => ids.clone(),
                Input::Mask => mask.clone(),
                Input::TokenTypes => vec![0i64; batch * seq],
            };
            let tensor = Tensor::from_array(([batch, seq], values)).map_err(inference)?;
            feed.push((name.clone(), tensor));
        }
        let mut session = self.sessions[slot % self.sessions.len()]
            .lock()
            .map_err(|_| NluError::Inference("an ONNX session panicked earlier".into()))?;
        let outputs = session.run(feed).map_err(inference)?;
        let value = match output {
            Some(name) if outputs.contains_key(name) => &outputs[name],
            Some(_) | None => &outputs[0],
        };
        let (shape, values) = value.try_extract_tensor::<f32>().map_err(inference)?;
        let shape = shape
            .iter()
            .map(|&d| usize::try_from(d).unwrap_or(0))
            .collect();
        Ok(BatchOutput {
            values: values.to_vec(),
            shape,
            mask,
            batch,
            seq,
        })
    }
}
