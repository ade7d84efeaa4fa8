//! The training examples as neighbours: how close a message is to each intent's nearest
//! examples, blended into the head's probabilities. A linear head draws one boundary per intent
//! and smooths over the odd phrasing that only a handful of examples share; the nearest examples
//! remember it. Measured on a split carved from the default intents' training data (every 5th
//! example held out, `examples/knn_probe.rs`): the head alone 84.1%, blended 86.1%, on a plateau
//! from weight 0.15 to 0.25 and sharpness 0.005 to 0.015 (BENCHMARKS.md).
//!
//! Stored beside the head as `neighbours.bin`: the examples' unit-length embeddings and labels;
//! held in memory in 8 bits as [`Vectors`] (3 MB for the default intents' 3,947 examples).

use std::path::Path;

use super::NluError;
use super::features::normalize;
use super::head::softmax;
use super::vectors::{SparseRow, Vectors};

/// Share of the blend that the neighbours carry.
pub const WEIGHT: f32 = 0.2;
/// Softmax temperature over the intents' similarities: cosines differ by hundredths.
const SHARPNESS: f32 = 0.01;
/// An intent's similarity is the mean of its this many closest examples' cosines.
const CLOSEST: usize = 2;
pub const FILE: &str = "neighbours.bin";

pub struct Neighbours {
    /// Row `i` is example `i`'s intent.
    labels: Vec<u32>,
    /// One unit-length row per example, kept by lane in 8 bits: an encoder routed by language
    /// fills one half of the vector, so a message is compared with its own language's examples,
    /// on that half only.
    rows: Vectors,
}

impl Neighbours {
    pub fn new(embeddings: &[&[f32]], labels: &[usize]) -> Neighbours {
        let dim = embeddings.first().map_or(0, |e| e.len());
        let rows: Vec<SparseRow> = embeddings
            .iter()
            .map(|e| SparseRow::compact(&unit(e)))
            .collect();
        Neighbours {
            labels: labels.iter().map(|&l| l as u32).collect(),
            rows: Vectors::from_rows(dim, rows.iter().map(Some)),
        }
    }

    /// `head` (the head's probabilities, one per intent) blended with the intents' closeness to
    /// `embedding`.
    pub fn blend(&self, head: &[f32], embedding: &[f32]) -> Vec<f32> {
        let mut near: Vec<f32> = self
            .similarities(embedding, head.len())
            .into_iter()
            .map(|s| s / SHARPNESS)
            .collect();
        softmax(&mut near);
        head.iter()
            .zip(&near)
            .map(|(h, n)| (1.0 - WEIGHT) * h + WEIGHT * n)
            .collect()
    }

    /// The head's `logits` blended with the neighbours of `embedding`, as log-probabilities: what
    /// the calibration's temperature divides, in training and in serving alike.
    pub fn log_blend(&self, mut logits: Vec<f32>, embedding: &[f32]) -> Vec<f32> {
        softmax(&mut logits);
        self.blend(&logits, embedding)
            .into_iter()
            .map(|p| p.max(1e-12).ln())
            .collect()
    }

    /// Per intent, the mean cosine of its [`CLOSEST`] examples nearest to `embedding` (-1 for
    /// an intent without examples in the message's half).
    fn similarities(&self, embedding: &[f32], classes: usize) -> Vec<f32> {
        let mut best = vec![[-1.0f32; CLOSEST]; classes];
        self.rows.visit(&unit(embedding), |row, cosine| {
            let Some(top) = best.get_mut(self.labels[row] as usize) else {
                return;
            };
            if cosine > top[CLOSEST - 1] {
                top[CLOSEST - 1] = cosine;
                top.sort_by(|a, b| b.total_cmp(a));
            }
        });
        best.iter()
            .map(|top| top.iter().sum::<f32>() / CLOSEST as f32)
            .collect()
    }

    pub fn save(&self, dir: &Path) -> Result<(), NluError> {
        let count = self.labels.len();
        let dim = self.rows.dim();
        let mut bytes = Vec::with_capacity(8 + count * 4 + count * dim * 4);
        bytes.extend((count as u32).to_le_bytes());
        bytes.extend((dim as u32).to_le_bytes());
        self.labels
            .iter()
            .for_each(|l| bytes.extend(l.to_le_bytes()));
        for number in 0..count {
            // Floats again (what the 8 bits stand for): reading them back gives the same bits.
            let row = self.rows.expanded(number);
            row.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
        }
        let path = dir.join(FILE);
        std::fs::write(&path, bytes)
            .map_err(|e| NluError::Model(format!("{}: {e}", path.display())))
    }

    /// `None` when `dir` has no neighbours file or it does not hold `dim`-wide rows of at most
    /// `classes` labels.
    pub fn load(dir: &Path, dim: usize, classes: usize) -> Option<Neighbours> {
        let bytes = std::fs::read(dir.join(FILE)).ok()?;
        let word = |i: usize| -> Option<[u8; 4]> { bytes.get(i * 4..i * 4 + 4)?.try_into().ok() };
        let count = u32::from_le_bytes(word(0)?) as usize;
        let stored_dim = u32::from_le_bytes(word(1)?) as usize;
        if stored_dim != dim || bytes.len() != 8 + count * 4 + count * dim * 4 {
            return None;
        }
        let labels: Vec<u32> = (0..count)
            .map(|i| word(2 + i).map(u32::from_le_bytes))
            .collect::<Option<_>>()?;
        if labels.iter().any(|&l| l as usize >= classes) {
            return None;
        }
        let rows: Vec<SparseRow> = (0..count)
            .map(|row| {
                let at = 2 + count + row * dim;
                let values: Option<Vec<f32>> = (at..at + dim)
                    .map(|i| word(i).map(f32::from_le_bytes))
                    .collect();
                values.map(|v| SparseRow::compact(&v))
            })
            .collect::<Option<_>>()?;
        Some(Neighbours {
            labels,
            rows: Vectors::from_rows(dim, rows.iter().map(Some)),
        })
    }
}

/// `vector` scaled to unit length (zero stays zero).
fn unit(vector: &[f32]) -> Vec<f32> {
    let mut unit = vector.to_vec();
    normalize(&mut unit);
    unit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neighbours() -> Neighbours {
        let rows: [&[f32]; 4] = [&[1.0, 0.0], &[0.9, 0.1], &[0.0, 1.0], &[0.1, 0.9]];
        Neighbours::new(&rows, &[0, 0, 1, 1])
    }

    #[test]
    fn a_message_next_to_an_intents_examples_leans_towards_it() {
        let blended = neighbours().blend(&[0.5, 0.5], &[0.95, 0.05]);
        assert!(blended[0] > blended[1], "{blended:?}");
        let sum: f32 = blended.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "{blended:?}");
    }

    #[test]
    fn the_head_still_decides_a_clear_case_against_the_neighbours() {
        let blended = neighbours().blend(&[0.95, 0.05], &[0.0, 1.0]);
        assert!(blended[0] > blended[1], "{blended:?}");
    }

    #[test]
    fn a_message_is_compared_with_the_examples_of_its_own_half_only() {
        // Two lanes of two: English examples fill the first half, Chinese ones the second.
        let rows: [&[f32]; 4] = [
            &[1.0, 0.0, 0.0, 0.0],
            &[0.6, 0.8, 0.0, 0.0],
            &[0.0, 0.0, 1.0, 0.0],
            &[0.0, 0.0, 0.0, 1.0],
        ];
        let near = Neighbours::new(&rows, &[0, 0, 1, 1]).similarities(&[0.0, 0.0, 0.8, 0.6], 2);
        // Intent 0 has no example in the message's half: as if it had none at all.
        assert_eq!(near[0], -1.0);
        assert!((near[1] - 0.7).abs() < 0.01, "{near:?}");
    }

    #[test]
    fn saved_neighbours_load_back_and_a_wrong_width_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        neighbours().save(dir.path()).expect("saved");
        let loaded = Neighbours::load(dir.path(), 2, 2).expect("loads");
        assert_eq!(loaded.labels, vec![0, 0, 1, 1]);
        let again = tempfile::tempdir().expect("temp dir");
        loaded.save(again.path()).expect("saved again");
        let reloaded = Neighbours::load(again.path(), 2, 2).expect("loads again");
        let values = |n: &Neighbours| (0..4).map(|i| n.rows.expanded(i)).collect::<Vec<_>>();
        assert_eq!(values(&reloaded), values(&loaded));
        assert!(Neighbours::load(dir.path(), 3, 2).is_none());
        assert!(Neighbours::load(dir.path(), 2, 1).is_none());
    }
}
