//! The intent head: a multinomial logistic regression over the sentence embedding and the hashed
//! n-gram features, trained with AdaGrad in a fixed, seeded order (same data, same weights), and
//! its directory on disk (`HeadDir`).

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::NluError;
use super::features::{SPARSE_DIM, Sparse};

/// One example as the head sees it.
#[derive(Clone)]
pub struct Features {
    pub dense: Vec<f32>,
    pub sparse: Sparse,
}

#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            // Chosen with examples/tune_head.rs on a split carved from Banking77's training data.
            epochs: 10,
            learning_rate: 0.1,
            l2: 1e-5,
            seed: 42,
        }
    }
}

/// Weights laid out class-minor: the weights of one input feature for every class are contiguous.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearHead {
    pub classes: usize,
    pub dense_dim: usize,
    pub bias: Vec<f32>,
    pub dense: Vec<f32>,
    pub sparse: Vec<f32>,
}

/// SplitMix64: a tiny deterministic generator for the shuffle (the same on every platform).
pub struct SplitMix(pub u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A Fisher-Yates shuffle.
    pub fn shuffle(&mut self, items: &mut [usize]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Index of the largest value (0 for an empty slice).
pub fn argmax(values: &[f32]) -> usize {
    (0..values.len())
        .max_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0)
}

pub fn softmax(logits: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in logits.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    logits.iter_mut().for_each(|v| *v /= sum);
}

impl LinearHead {
    pub fn zeros(classes: usize, dense_dim: usize) -> LinearHead {
        LinearHead {
            classes,
            dense_dim,
            bias: vec![0.0; classes],
            dense: vec![0.0; classes * dense_dim],
            sparse: vec![0.0; classes * SPARSE_DIM],
        }
    }

    /// The mean of heads of one shape (`None` for none). The head is linear, so the mean's
    /// logits are the mean of the heads' logits.
    pub fn mean(heads: Vec<LinearHead>) -> Option<LinearHead> {
        let count = heads.len() as f32;
        let mut heads = heads.into_iter();
        let mut sum = heads.next()?;
        let add =
            |into: &mut [f32], from: &[f32]| into.iter_mut().zip(from).for_each(|(a, b)| *a += b);
        for head in heads {
            add(&mut sum.bias, &head.bias);
            add(&mut sum.dense, &head.dense);
            add(&mut sum.sparse, &head.sparse);
        }
        let weights = sum
            .bias
            .iter_mut()
            .chain(&mut sum.dense)
            .chain(&mut sum.sparse);
        weights.for_each(|w| *w /= count);
        Some(sum)
    }

    pub fn logits(&self, x: &Features) -> Vec<f32> {
        let c = self.classes;
        let mut out = self.bias.clone();
        for (j, &v) in x.dense.iter().enumerate() {
            // The other encoder's half of a routed vector is zeros: nothing to add.
            if v == 0.0 {
                continue;
            }
            let row = &self.dense[j * c..(j + 1) * c];
            out.iter_mut().zip(row).for_each(|(o, w)| *o += w * v);
        }
        for &(bucket, v) in &x.sparse {
            let row = &self.sparse[bucket as usize * c..(bucket as usize + 1) * c];
            out.iter_mut().zip(row).for_each(|(o, w)| *o += w * v);
        }
        out
    }

    pub fn probabilities(&self, x: &Features) -> Vec<f32> {
        let mut logits = self.logits(x);
        softmax(&mut logits);
        logits
    }

    pub fn train(
        examples: &[Features],
        labels: &[usize],
        classes: usize,
        options: TrainOptions,
    ) -> LinearHead {
        let dense_dim = examples.first().map_or(0, |x| x.dense.len());
        let mut head = LinearHead::zeros(classes, dense_dim);
        let mut squares = LinearHead::zeros(classes, dense_dim);
        let mut seen = vec![false; dense_dim];
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = SplitMix(options.seed);
        for _ in 0..options.epochs {
            rng.shuffle(&mut order);
            for &i in &order {
                head.step(&mut squares, &mut seen, &examples[i], labels[i], options);
            }
        }
        head
    }

    /// One AdaGrad step on the cross-entropy loss of one example. `seen` marks the dense inputs
    /// that have been non-zero in an example so far.
    fn step(
        &mut self,
        squares: &mut LinearHead,
        seen: &mut [bool],
        x: &Features,
        label: usize,
        options: TrainOptions,
    ) {
        let c = self.classes;
        let mut gradient = self.probabilities(x);
        gradient[label] -= 1.0;
        let update = |w: &mut [f32], g2: &mut [f32], value: f32| {
            adagrad(w, g2, &gradient, value, options.learning_rate, options.l2);
        };
        update(&mut self.bias, &mut squares.bias, 1.0);
        for (j, &v) in x.dense.iter().enumerate() {
            // Until an input is first non-zero its weights stay at zero, and weights at zero for
            // an input of zero have nothing to learn (their gradient, L2 included, is zero):
            // training on one language skips the other encoder's half of a routed vector, and
            // the result is the same to the last bit.
            seen[j] |= v != 0.0;
            if !seen[j] {
                continue;
            }
            let row = j * c..(j + 1) * c;
            update(&mut self.dense[row.clone()], &mut squares.dense[row], v);
        }
        for &(bucket, v) in &x.sparse {
            let range = bucket as usize * c..(bucket as usize + 1) * c;
            update(
                &mut self.sparse[range.clone()],
                &mut squares.sparse[range],
                v,
            );
        }
    }

    /// Little-endian f32s: bias, dense, sparse.
    pub fn to_bytes(&self) -> Vec<u8> {
        let all = self.bias.iter().chain(&self.dense).chain(&self.sparse);
        all.flat_map(|v| v.to_le_bytes()).collect()
    }

    pub fn from_bytes(bytes: &[u8], classes: usize, dense_dim: usize) -> Option<LinearHead> {
        let expected = classes + classes * dense_dim + classes * SPARSE_DIM;
        if bytes.len() != expected * 4 {
            return None;
        }
        let floats: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let (bias, rest) = floats.split_at(classes);
        let (dense, sparse) = rest.split_at(classes * dense_dim);
        Some(LinearHead {
            classes,
            dense_dim,
            bias: bias.to_vec(),
            dense: dense.to_vec(),
            sparse: sparse.to_vec(),
        })
    }
}

/// One AdaGrad update of the weights of one input for every class: `gradient` is the loss's
/// gradient per class logit, `value` the input, `squares` the running sums of squared gradients;
/// L2 is part of the gradient. Both trainers (intents, escalation) step through here.
pub fn adagrad(
    weights: &mut [f32],
    squares: &mut [f32],
    gradient: &[f32],
    value: f32,
    learning_rate: f32,
    l2: f32,
) {
    for ((w, g2), d) in weights.iter_mut().zip(squares).zip(gradient) {
        let g = d * value + l2 * *w;
        *g2 += g * g;
        *w -= learning_rate * g / (g2.sqrt() + 1e-8);
    }
}

/// A trained head on disk: `weights.bin` beside a JSON file of metadata (`meta_file`), the layout
/// of the intent model and of the escalation scorer.
pub struct HeadDir<'a> {
    pub dir: &'a Path,
    pub meta_file: &'static str,
    /// How to make the files when they are missing (shown in the start-up error).
    pub hint: &'static str,
}

impl HeadDir<'_> {
    pub fn save<M: Serialize>(&self, meta: &M, head: &LinearHead) -> Result<(), NluError> {
        let io = |e: std::io::Error| NluError::Model(format!("{}: {e}", self.dir.display()));
        std::fs::create_dir_all(self.dir).map_err(io)?;
        let meta = serde_json::to_vec_pretty(meta).map_err(|e| NluError::Model(e.to_string()))?;
        std::fs::write(self.dir.join("weights.bin"), head.to_bytes()).map_err(io)?;
        std::fs::write(self.dir.join(self.meta_file), meta).map_err(io)?;
        Ok(())
    }

    /// The metadata, after checking that both files exist.
    pub fn read_meta<M: DeserializeOwned>(&self) -> Result<M, NluError> {
        for name in [self.meta_file, "weights.bin"] {
            let path = self.dir.join(name);
            if !path.exists() {
                return Err(NluError::MissingFile {
                    path,
                    hint: self.hint,
                });
            }
        }
        let text = std::fs::read(self.dir.join(self.meta_file))
            .map_err(|e| self.corrupt(e.to_string()))?;
        serde_json::from_slice(&text).map_err(|e| self.corrupt(format!("{}: {e}", self.meta_file)))
    }

    /// The weights, checked against the shape the metadata promises.
    pub fn read_head(&self, labels: usize, dense_dim: usize) -> Result<LinearHead, NluError> {
        let bytes =
            std::fs::read(self.dir.join("weights.bin")).map_err(|e| self.corrupt(e.to_string()))?;
        LinearHead::from_bytes(&bytes, labels, dense_dim)
            .ok_or_else(|| self.corrupt(format!("weights.bin does not match {}", self.meta_file)))
    }

    pub fn corrupt(&self, reason: String) -> NluError {
        NluError::Model(format!("{}: {reason}", self.dir.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nlu::features::sparse_features;

    fn example(text: &str) -> Features {
        Features {
            dense: vec![0.0; 4],
            sparse: sparse_features(text),
        }
    }

    #[test]
    fn learns_separable_classes_deterministically() {
        let texts = [
            "pay my bill",
            "bill payment",
            "roaming abroad",
            "travel roaming",
        ];
        let examples: Vec<Features> = texts.iter().map(|t| example(t)).collect();
        let labels = [0, 0, 1, 1];
        let head = LinearHead::train(&examples, &labels, 2, TrainOptions::default());
        let again = LinearHead::train(&examples, &labels, 2, TrainOptions::default());
        assert_eq!(head, again);
        let p = head.probabilities(&example("roaming when I travel"));
        assert!(p[1] > p[0]);
        let restored = LinearHead::from_bytes(&head.to_bytes(), 2, 4).unwrap();
        assert_eq!(restored, head);
    }
}
