//! The semantic half of retrieval: one unit-length vector per passage from the same sentence
//! encoder the classifier uses, searched exactly (brute-force cosine, i.e. dot products). A few
//! thousand passages take well under a millisecond; 40,000 take a few milliseconds.
//!
//! [`VectorCache`] remembers the vector of every passage text it has seen, so that a rebuild
//! (an article added through the API, a reindex) only embeds what changed; it is saved under
//! `data_dir` so that a restart does not embed the whole knowledge base again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::nlu::Encoder;

use super::KbError;

/// Passages embedded per encoder call.
const BATCH: usize = 32;
const CACHE_MAGIC: &[u8; 8] = b"SBKBVEC1";

/// Row-major matrix: passage `i` is `data[i*dim..(i+1)*dim]`.
pub struct Vectors {
    dim: usize,
    data: Vec<f32>,
}

impl Vectors {
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Cosine of passage `number` with a unit-length `query`.
    pub fn cosine(&self, number: usize, query: &[f32]) -> f32 {
        let row = self.data.get(number * self.dim..(number + 1) * self.dim);
        row.filter(|_| query.len() == self.dim)
            .map_or(0.0, |row| dot(row, query))
    }

    /// The `limit` passages most similar to `query` among those `visible` allows:
    /// (passage number, cosine), best first.
    pub fn search(
        &self,
        query: &[f32],
        limit: usize,
        visible: impl Fn(usize) -> bool,
    ) -> Vec<(usize, f32)> {
        if query.len() != self.dim || self.dim == 0 {
            return Vec::new();
        }
        // A routed query is zero outside its encoder's half: those products add nothing.
        let active = nonzero_span(query);
        let query = &query[active.clone()];
        let mut scored: Vec<(usize, f32)> = self
            .data
            .chunks_exact(self.dim)
            .enumerate()
            .filter(|(number, _)| visible(*number))
            .map(|(number, row)| (number, dot(&row[active.clone()], query)))
            .collect();
        // Ties go to the lower row, so a truncated search orders them as a full one does.
        let by_score = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit, by_score);
            scored.truncate(limit);
        }
        scored.sort_by(by_score);
        scored
    }
}

/// Summed in eight independent lanes: the compiler keeps them in SIMD registers, where one
/// running sum would force every addition to wait for the previous one.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (a_chunks, a_tail) = a.as_chunks::<8>();
    let (b_chunks, b_tail) = b.as_chunks::<8>();
    let mut lanes = [0.0f32; 8];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

/// The index range from the first to the last non-zero component (empty for a zero vector).
fn nonzero_span(vector: &[f32]) -> std::ops::Range<usize> {
    let first = vector.iter().position(|v| *v != 0.0).unwrap_or(0);
    let last = vector
        .iter()
        .rposition(|v| *v != 0.0)
        .map_or(first, |i| i + 1);
    first..last
}

/// Vectors with the hash of the text each came from.
type Keyed = Vec<(u64, Vec<f32>)>;

/// Embeds `texts` in batches, one thread per encoder session (each session runs on its own
/// core), and returns (key, vector) pairs.
fn embed_parallel(encoder: &Encoder, texts: &[(u64, &str)]) -> Result<Keyed, KbError> {
    let chunks: Vec<&[(u64, &str)]> = texts.chunks(BATCH).collect();
    let next = AtomicUsize::new(0);
    let worker = || -> Result<Keyed, KbError> {
        let mut out = Vec::new();
        while let Some(chunk) = chunks.get(next.fetch_add(1, Ordering::Relaxed)) {
            let batch: Vec<&str> = chunk.iter().map(|(_, text)| *text).collect();
            let vectors = encoder.embed(&batch)?;
            out.extend(chunk.iter().map(|(key, _)| *key).zip(vectors));
        }
        Ok(out)
    };
    let threads = encoder.session_count().min(chunks.len()).max(1);
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

/// Vectors by a hash of the embedded text.
#[derive(Default)]
pub struct VectorCache {
    dim: usize,
    vectors: HashMap<u64, Vec<f32>>,
}

impl VectorCache {
    /// Embeds `texts` (only those not cached) and returns their vectors in order.
    pub fn embed(&mut self, encoder: &Encoder, texts: &[String]) -> Result<Vectors, KbError> {
        if self.dim != encoder.dim() {
            self.vectors.clear();
            self.dim = encoder.dim();
        }
        let keys: Vec<u64> = texts.iter().map(|t| fnv1a(t)).collect();
        let mut missing: Vec<(u64, &str)> = Vec::new();
        for (key, text) in keys.iter().zip(texts) {
            if !self.vectors.contains_key(key) && !missing.iter().any(|(k, _)| k == key) {
                missing.push((*key, text));
            }
        }
        for (key, vector) in embed_parallel(encoder, &missing)? {
            self.vectors.insert(key, vector);
        }
        let mut data = Vec::with_capacity(keys.len() * self.dim);
        for key in &keys {
            match self.vectors.get(key) {
                Some(vector) => data.extend_from_slice(vector),
                None => data.extend(std::iter::repeat_n(0.0, self.dim)),
            }
        }
        Ok(Vectors {
            dim: self.dim,
            data,
        })
    }

    /// Drops vectors whose text is no longer in the knowledge base.
    pub fn retain(&mut self, texts: &[String]) {
        let live: std::collections::HashSet<u64> = texts.iter().map(|t| fnv1a(t)).collect();
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
        let mut bytes = Vec::with_capacity(16 + self.vectors.len() * (8 + 4 * self.dim));
        bytes.extend_from_slice(CACHE_MAGIC);
        bytes.extend_from_slice(&(self.dim as u64).to_le_bytes());
        for (key, vector) in &self.vectors {
            bytes.extend_from_slice(&key.to_le_bytes());
            vector
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
    let record = 8 + 4 * dim;
    if dim == 0 || rest.len() % record != 0 {
        return None;
    }
    let mut vectors = HashMap::new();
    for chunk in rest.chunks_exact(record) {
        let (key, values) = chunk.split_at(8);
        let key = u64::from_le_bytes(key.try_into().ok()?);
        let vector = values
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        vectors.insert(key, vector);
    }
    Some(VectorCache { dim, vectors })
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

    fn vectors(rows: &[[f32; 2]]) -> Vectors {
        Vectors {
            dim: 2,
            data: rows.iter().flatten().copied().collect(),
        }
    }

    #[test]
    fn nearest_rows_come_first_and_hidden_rows_never() {
        let v = vectors(&[[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.8, 0.6]]);
        let top = v.search(&[1.0, 0.0], 2, |n| n != 0);
        let numbers: Vec<usize> = top.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![3, 2]);
    }

    #[test]
    fn the_lane_sum_matches_a_plain_sum_and_a_half_zero_query_ranks_as_the_whole() {
        let row = |seed: usize| -> Vec<f32> {
            (0..771)
                .map(|i| (((i * 7 + seed * 13) % 17) as f32 - 8.0) / 10.0)
                .collect()
        };
        let (a, b) = (row(1), row(2));
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3 * plain.abs().max(1.0));

        let data: Vec<f32> = (0..5).flat_map(row).collect();
        let v = Vectors { dim: 771, data };
        let mut query = row(3);
        query[400..].fill(0.0);
        assert_eq!(nonzero_span(&query), 0..400);
        let full: Vec<(usize, f32)> = (0..5).map(|n| (n, v.cosine(n, &query))).collect();
        for (n, score) in v.search(&query, 5, |_| true) {
            assert!(
                (score - full[n].1).abs() < 1e-3,
                "row {n}: {score} vs {}",
                full[n].1
            );
        }
    }

    #[test]
    fn saved_cache_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vectors.bin");
        let mut cache = VectorCache {
            dim: 2,
            vectors: HashMap::new(),
        };
        cache.vectors.insert(fnv1a("a"), vec![0.5, -0.25]);
        cache.save(&path).unwrap();
        let again = VectorCache::load(&path);
        assert_eq!(again.vectors.get(&fnv1a("a")), Some(&vec![0.5, -0.25]));
        assert!(VectorCache::load(&dir.path().join("missing")).is_empty());
    }
}
