//! A small cache of message embeddings for short texts that customers repeat word for word
//! ("hi", "thanks", "talk to a person"). Only texts up to `max_bytes` long are kept: longer
//! messages are almost never repeated exactly, and caching them would only hold memory.
//!
//! Two generations approximate least-recently-used eviction without bookkeeping per hit: new
//! entries go into `young`; when it is full, `young` becomes `old` and the previous `old` is
//! dropped; a hit in `old` is moved back into `young`.

use std::collections::HashMap;
use std::sync::Mutex;

pub struct EmbeddingCache {
    capacity: usize,
    max_bytes: usize,
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<String, Vec<f32>>,
    old: HashMap<String, Vec<f32>>,
}

impl EmbeddingCache {
    /// At most about `capacity` vectors (0 turns the cache off), of texts up to `max_bytes`.
    pub fn new(capacity: usize, max_bytes: usize) -> EmbeddingCache {
        EmbeddingCache {
            capacity,
            max_bytes,
            generations: Mutex::new(Generations::default()),
        }
    }

    /// Whether `text` is short enough to be cached at all.
    pub fn eligible(&self, text: &str) -> bool {
        self.capacity > 0 && text.len() <= self.max_bytes
    }

    pub fn get(&self, text: &str) -> Option<Vec<f32>> {
        if !self.eligible(text) {
            return None;
        }
        let mut generations = self.generations.lock().ok()?;
        if let Some(vector) = generations.young.get(text) {
            return Some(vector.clone());
        }
        let vector = generations.old.remove(text)?;
        generations.insert(text, vector.clone(), self.capacity);
        Some(vector)
    }

    pub fn put(&self, text: &str, vector: &[f32]) {
        if !self.eligible(text) {
            return;
        }
        if let Ok(mut generations) = self.generations.lock() {
            generations.insert(text, vector.to_vec(), self.capacity);
        }
    }
}

impl Generations {
    fn insert(&mut self, text: &str, vector: Vec<f32>, capacity: usize) {
        // Each generation holds half the capacity, so both together hold at most `capacity`.
        if self.young.len() >= capacity.div_ceil(2) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(text.to_string(), vector);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_remembered_and_long_ones_never() {
        let cache = EmbeddingCache::new(8, 10);
        cache.put("thanks", &[1.0]);
        cache.put("a much longer message", &[2.0]);
        assert_eq!(cache.get("thanks"), Some(vec![1.0]));
        assert_eq!(cache.get("a much longer message"), None);
    }

    #[test]
    fn recently_used_entries_survive_eviction() {
        let cache = EmbeddingCache::new(4, 10);
        cache.put("hi", &[1.0]);
        cache.put("a", &[0.0]);
        cache.put("b", &[0.0]); // young full: {hi, a} becomes old
        assert_eq!(cache.get("hi"), Some(vec![1.0])); // moved back to young
        cache.put("c", &[0.0]); // young {b, hi} full: becomes old, dropping {a}
        assert_eq!(cache.get("hi"), Some(vec![1.0]));
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let cache = EmbeddingCache::new(0, 100);
        cache.put("hi", &[1.0]);
        assert_eq!(cache.get("hi"), None);
    }
}
