//! Grouping unanswered messages into topics: greedy clustering by cosine similarity, in one pass,
//! never across languages.
//!
//! Each message is the service's sentence-encoder vector plus its hashed word and character
//! n-grams (the classifier's lexical features). The encoder is English-only (all-MiniLM-L6-v2), so
//! for Chinese messages the n-grams carry most of the weight; in English the encoder does, and
//! the n-grams keep two phrasings with the same key words (an "eSIM", a "PUK code") together.
//! A message joins the first topic whose centroid is at least [`THRESHOLD`] similar, else starts a
//! new one. Messages are fed newest first, so each topic is seeded by its latest example.

use std::collections::HashMap;

use crate::dialogue::Lang;
use crate::nlu::features::Sparse;

/// How similar a message must be to a topic's centroid to join it. Chosen on the paraphrase sets
/// in `tests/gaps.rs` (same question reworded: 0.6-0.9; different questions on the same subject:
/// 0.3-0.55).
pub const THRESHOLD: f32 = 0.58;

/// Weight of the encoder's cosine (the rest is the n-grams'), per language.
fn dense_weight(lang: Lang) -> f32 {
    match lang {
        Lang::En => 0.7,
        Lang::Zh => 0.3,
    }
}

/// A message as the clustering sees it.
pub struct Point {
    pub lang: Lang,
    /// Unit length (the encoder's output).
    pub dense: Vec<f32>,
    /// Unit length (`nlu::features::sparse_features`).
    pub sparse: Sparse,
}

/// A topic being built: the sums of its members' vectors.
struct Centroid {
    lang: Lang,
    dense: Vec<f32>,
    sparse: HashMap<u32, f32>,
    members: Vec<usize>,
}

impl Centroid {
    fn new(index: usize, point: &Point) -> Centroid {
        Centroid {
            lang: point.lang,
            dense: point.dense.clone(),
            sparse: point.sparse.iter().copied().collect(),
            members: vec![index],
        }
    }

    fn add(&mut self, index: usize, point: &Point) {
        self.dense
            .iter_mut()
            .zip(&point.dense)
            .for_each(|(sum, v)| *sum += v);
        for (bucket, value) in &point.sparse {
            *self.sparse.entry(*bucket).or_insert(0.0) += value;
        }
        self.members.push(index);
    }

    /// Cosine of the point (unit length) with the centroid, blended per language.
    fn similarity(&self, point: &Point) -> f32 {
        let dense_dot: f32 = self
            .dense
            .iter()
            .zip(&point.dense)
            .map(|(a, b)| a * b)
            .sum();
        let dense_norm = self.dense.iter().map(|v| v * v).sum::<f32>().sqrt();
        let sparse_dot: f32 = point
            .sparse
            .iter()
            .map(|(bucket, value)| value * self.sparse.get(bucket).copied().unwrap_or(0.0))
            .sum();
        let sparse_norm = self.sparse.values().map(|v| v * v).sum::<f32>().sqrt();
        let cosine = |dot: f32, norm: f32| if norm > 0.0 { dot / norm } else { 0.0 };
        let weight = dense_weight(self.lang);
        weight * cosine(dense_dot, dense_norm) + (1.0 - weight) * cosine(sparse_dot, sparse_norm)
    }
}

/// The similarity of two messages (what a topic of one member compares against).
pub fn similarity(a: &Point, b: &Point) -> f32 {
    if a.lang != b.lang {
        return 0.0;
    }
    Centroid::new(0, a).similarity(b)
}

/// Groups `points` (in the order given) into topics: lists of indices, each in input order,
/// the topics in the order they were started.
pub fn cluster(points: &[Point], threshold: f32) -> Vec<Vec<usize>> {
    let mut topics: Vec<Centroid> = Vec::new();
    for (index, point) in points.iter().enumerate() {
        let best = topics
            .iter_mut()
            .filter(|topic| topic.lang == point.lang)
            .map(|topic| (topic.similarity(point), topic))
            .filter(|(score, _)| *score >= threshold)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match best {
            Some((_, topic)) => topic.add(index, point),
            None => topics.push(Centroid::new(index, point)),
        }
    }
    topics.into_iter().map(|topic| topic.members).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lang: Lang, dense: [f32; 2], sparse: &[(u32, f32)]) -> Point {
        Point {
            lang,
            dense: dense.to_vec(),
            sparse: sparse.to_vec(),
        }
    }

    #[test]
    fn close_points_share_a_topic_and_far_ones_do_not() {
        let points = [
            point(Lang::En, [1.0, 0.0], &[(1, 1.0)]),
            point(Lang::En, [0.0, 1.0], &[(2, 1.0)]),
            point(Lang::En, [0.995, 0.0998], &[(1, 1.0)]),
        ];
        assert_eq!(cluster(&points, THRESHOLD), vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn languages_never_share_a_topic() {
        let points = [
            point(Lang::En, [1.0, 0.0], &[(1, 1.0)]),
            point(Lang::Zh, [1.0, 0.0], &[(1, 1.0)]),
        ];
        assert_eq!(cluster(&points, THRESHOLD), vec![vec![0], vec![1]]);
        assert_eq!(similarity(&points[0], &points[1]), 0.0);
    }
}
