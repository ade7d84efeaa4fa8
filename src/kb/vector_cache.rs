//! Passage vectors by a hash of the text embedded, so that a rebuild (an article added through
//! the API, a reindex) only embeds what changed; saved under `data_dir` so that a restart does
//! not embed the whole knowledge base again. In memory each vector keeps only its non-zero span
//! ([`SparseRow`]); the file holds whole vectors. The cache belongs to one encoder (its
//! [fingerprint](crate::nlu::Encoder::fingerprint)): another encoder, even of the same width,
//! starts from an empty cache.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::nlu::Encoder;
use crate::nlu::vectors::{SparseRow, Vectors};

use super::KbError;

/// Texts to embed from which a build counts as bulk work (a cold KB, a new encoder), run with
/// large allocations reused (see [`crate::nlu::with_large_blocks_reused`]); an edit embeds a few.
const BULK: usize = 256;
/// The file's format and the way its vectors were made (2: the encoder's fingerprint in the
/// header, one text per run). Change it when either changes: the fingerprint covers only the
/// encoder's files, and a file of the old kind is then re-embedded instead of mixed in.
const CACHE_MAGIC: &[u8; 8] = b"SBKBVEC2";

/// Vectors with the hash of the text each came from.
type Keyed = Vec<(u64, Vec<f32>)>;

/// Embeds `texts` one per encoder run ([`Encoder::embed_alone`]: a passage's vector is the one a
/// message of the same words would get, whatever else is embedded with it), one thread per
/// encoder session (each session runs on its own core), and returns (key, vector) pairs. One
/// text per run measured cheaper than batches of 32 on the sample KB (no padding to the longest
/// text of a batch), and lighter: 43 s of CPU and a 256 MB peak against 53 s and 718 MB.
fn embed_parallel(encoder: &Encoder, texts: &[(u64, &str)]) -> Result<Keyed, KbError> {
    let next = AtomicUsize::new(0);
    let worker = || -> Result<Keyed, KbError> {
        let mut out = Vec::new();
        while let Some((key, text)) = texts.get(next.fetch_add(1, Ordering::Relaxed)) {
            out.push((*key, encoder.embed_alone(text)?));
        }
        Ok(out)
    };
    let threads = encoder.session_count().min(texts.len()).max(1);
    let results: Vec<Result<Keyed, KbError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(KbError::Encoder(crate::nlu::NluError::Inference(
                        "an embedding thread panicked".into(),
                    )))
                })
            })
            .collect()
    });
    let mut all = Vec::with_capacity(texts.len());
    for result in results {
        all.extend(result?);
    }
    Ok(all)
}

/// Vectors by a hash of the embedded text, all from the encoder with fingerprint `encoder`.
#[derive(Default)]
pub struct VectorCache {
    dim: usize,
    encoder: u64,
    vectors: HashMap<u64, SparseRow>,
}

impl VectorCache {
    /// Embeds `texts` (only those not cached) and returns their vectors in order.
    pub fn embed(&mut self, encoder: &Encoder, texts: &[String]) -> Result<Vectors, KbError> {
        if self.dim != encoder.dim() || self.encoder != encoder.fingerprint() {
            self.vectors.clear();
            self.dim = encoder.dim();
            self.encoder = encoder.fingerprint();
        }
        let keys: Vec<u64> = texts.iter().map(|t| fnv1a(t)).collect();
        let mut missing: Vec<(u64, &str)> = Vec::new();
        let mut queued = HashSet::new();
        for (key, text) in keys.iter().zip(texts) {
            if !self.vectors.contains_key(key) && queued.insert(*key) {
                missing.push((*key, text));
            }
        }
        // A build of (most of) the KB also gives e5 a session per core while it runs.
        let embedded = if missing.len() >= BULK {
            crate::nlu::with_large_blocks_reused(|| embed_parallel(&encoder.for_bulk()?, &missing))?
        } else {
            embed_parallel(encoder, &missing)?
        };
        for (key, vector) in embedded {
            self.vectors.insert(key, SparseRow::compact(&vector));
        }
        let rows = keys.iter().map(|key| self.vectors.get(key));
        Ok(Vectors::from_rows(self.dim, rows))
    }

    /// Drops vectors whose text is no longer in the knowledge base.
    pub fn retain(&mut self, texts: &[String]) {
        let live: HashSet<u64> = texts.iter().map(|t| fnv1a(t)).collect();
        self.vectors.retain(|key, _| live.contains(key));
    }

    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// Reads a cache saved by [`VectorCache::save`]; a missing or unreadable file is an empty
    /// cache (it is only a cache: everything in it can be embedded again).
    pub fn load(path: &Path) -> VectorCache {
        let Ok(bytes) = std::fs::read(path) else {
            return VectorCache::default();
        };
        parse_cache(&bytes).unwrap_or_default()
    }

    /// Writes the cache atomically (temporary file, fsync, rename).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(24 + self.vectors.len() * (8 + 4 * self.dim));
        bytes.extend_from_slice(CACHE_MAGIC);
        bytes.extend_from_slice(&(self.dim as u64).to_le_bytes());
        bytes.extend_from_slice(&self.encoder.to_le_bytes());
        for (key, row) in &self.vectors {
            bytes.extend_from_slice(&key.to_le_bytes());
            row.expanded(self.dim)
                .iter()
                .for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
        }
        super::managed::write_atomically(path, &bytes)
    }
}

fn parse_cache(bytes: &[u8]) -> Option<VectorCache> {
    let rest = bytes.strip_prefix(CACHE_MAGIC.as_slice())?;
    let (dim, rest) = rest.split_at_checked(8)?;
    let dim = u64::from_le_bytes(dim.try_into().ok()?) as usize;
    let (encoder, rest) = rest.split_at_checked(8)?;
    let encoder = u64::from_le_bytes(encoder.try_into().ok()?);
    let record = 8 + 4 * dim;
    if dim == 0 || rest.len() % record != 0 {
        return None;
    }
    let mut vectors = HashMap::new();
    for chunk in rest.chunks_exact(record) {
        let (key, values) = chunk.split_at(8);
        let key = u64::from_le_bytes(key.try_into().ok()?);
        let vector: Vec<f32> = values
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        vectors.insert(key, SparseRow::compact(&vector));
    }
    Some(VectorCache {
        dim,
        encoder,
        vectors,
    })
}

/// FNV-1a 64: stable across runs and platforms, so a saved cache stays valid.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_cache_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vectors.bin");
        let mut cache = VectorCache {
            dim: 3,
            encoder: 42,
            vectors: HashMap::new(),
        };
        cache
            .vectors
            .insert(fnv1a("a"), SparseRow::compact(&[0.0, 0.5, -0.25]));
        cache.save(&path).unwrap();
        let again = VectorCache::load(&path);
        let row = again.vectors.get(&fnv1a("a")).map(|r| r.expanded(3));
        assert_eq!(row, Some(vec![0.0, 0.5, -0.25]));
        assert_eq!(again.encoder, 42);
        assert!(VectorCache::load(&dir.path().join("missing")).is_empty());
    }
}
