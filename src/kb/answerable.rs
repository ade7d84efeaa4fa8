//! Whether the best passage found answers the question at all. Search always ranks something
//! first, even for a question no article covers (parental controls, a store's opening hours);
//! quoting it then misleads the customer. A small logistic model per language turns what the
//! search knows about a hit (its fused score and its lead over the next article, BM25 and cosine,
//! whether both rankings put its article first, whether it is tagged with the predicted intent)
//! into the probability that it is the right article, and a per-language threshold decides.
//!
//! The weights and thresholds are learned (`super::fitting`, `switchboard kb-eval
//! --fit-answerability`) on the dev split of the held-out KB questions (never on test) and stored
//! in `models/kb/answerability.json`, compiled in. A language without a model answers as before.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::coverage::Gap;
use super::{Hit, KbError};
use crate::nlu::Scored;

/// The model compiled into the binary (refit with `switchboard kb-eval --fit-answerability`).
const BUILTIN: &str = include_str!("../../models/kb/answerability.json");

/// What the search knows about one hit, as model inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Signals {
    /// The fused ranking score (RRF plus boosts).
    pub score: f32,
    /// Its lead over the next article in the ranking as served.
    pub margin: f32,
    pub bm25: f32,
    pub cosine: f32,
    /// The hit's article is the first of the BM25 ranking.
    pub bm25_first: bool,
    /// The hit's article is the first of the dense ranking.
    pub dense_first: bool,
    /// The classifier's confidence in an intent the article is tagged with (0: none).
    pub intent: f32,
    /// The article is tagged with the classifier's top intent.
    pub top_intent: bool,
    /// What the article's words leave out of the question (see [`super::coverage`]).
    pub gap: Gap,
    /// Cosine of the question and the closest of the article's title and customers' phrasings.
    pub phrasing_cosine: f32,
}

pub const FEATURES: usize = 11;

impl Signals {
    pub fn vector(&self) -> [f32; FEATURES] {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        [
            self.score,
            self.margin,
            self.bm25.max(0.0).ln_1p(),
            self.cosine,
            flag(self.bm25_first),
            flag(self.dense_first),
            self.intent,
            flag(self.top_intent),
            self.gap.uncovered,
            self.gap.unknown,
            self.phrasing_cosine,
        ]
    }
}

/// What the judge needs to know about a hit's article.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArticleFacts<'a> {
    pub intents: &'a [String],
    pub gap: Gap,
    /// Cosine of the question and the closest of the article's title and phrasings (0: not
    /// among the closest articles).
    pub phrasing_cosine: f32,
}

/// A hit's fused score two ways: `judged` without the phrasing ranking's share (what the model
/// was fitted on), `ranked` with it (the ranking served, whose leads are the margins).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HitScore {
    pub judged: f32,
    pub ranked: f32,
}

/// One language's logistic model and its decision threshold on the probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageModel {
    pub weights: Vec<f32>,
    pub bias: f32,
    pub threshold: f32,
}

impl LanguageModel {
    pub fn probability(&self, signals: &Signals) -> f32 {
        let z: f32 = self
            .weights
            .iter()
            .zip(signals.vector())
            .map(|(w, x)| w * x)
            .sum::<f32>()
            + self.bias;
        1.0 / (1.0 + (-z).exp())
    }
}

/// The models by language code (`en`, `zh`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answerability {
    pub languages: BTreeMap<String, LanguageModel>,
}

impl Answerability {
    /// The compiled-in model. A file that does not parse (a test guards against it) means no
    /// model: every hit answers, as before this module existed.
    pub fn builtin() -> &'static Answerability {
        static MODEL: OnceLock<Answerability> = OnceLock::new();
        MODEL.get_or_init(|| Answerability::parse(BUILTIN).unwrap_or_default())
    }

    pub fn parse(text: &str) -> Result<Answerability, serde_json::Error> {
        let model: Answerability = serde_json::from_str(text)?;
        let complete = model
            .languages
            .values()
            .all(|m| m.weights.len() == FEATURES);
        if complete {
            Ok(model)
        } else {
            Err(serde::de::Error::custom(format!(
                "every language needs {FEATURES} weights"
            )))
        }
    }

    pub fn load(path: &Path) -> Result<Answerability, KbError> {
        let text = std::fs::read_to_string(path).map_err(|source| KbError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Answerability::parse(&text).map_err(|e| KbError::BadArticle {
            path: path.to_path_buf(),
            line: e.line(),
            reason: e.to_string(),
        })
    }

    /// The probability that a hit with these signals answers a `lang` question (`None`: no model
    /// for the language).
    pub fn probability(&self, lang: &str, signals: &Signals) -> Option<f32> {
        self.languages.get(lang).map(|m| m.probability(signals))
    }

    /// Whether to quote the hit: its probability reaches the language's threshold.
    pub fn answers(&self, lang: &str, signals: &Signals) -> bool {
        self.languages
            .get(lang)
            .is_none_or(|m| m.probability(signals) >= m.threshold)
    }
}

impl Answerability {
    /// Sets every hit's `answerability` and `answerable` from its signals. `scores` are the
    /// hits' fused scores, hit by hit; `intents` are the classifier's top intents
    /// (best first); `firsts` the articles first in the BM25 and the dense ranking;
    /// `about` an article's intent tags and what its words leave out of the question.
    pub fn judge<'a>(
        &self,
        hits: &mut [Hit],
        scores: &[HitScore],
        intents: &[Scored],
        lang: &str,
        firsts: [Option<&str>; 2],
        about: impl Fn(&str) -> ArticleFacts<'a>,
    ) {
        let unscored = |hit: &Hit| HitScore {
            judged: hit.score,
            ranked: hit.score,
        };
        for (i, hit) in hits.iter_mut().enumerate() {
            let facts = about(&hit.article_id);
            let tags = facts.intents;
            let tagged = |name: &str| tags.iter().any(|t| t == name);
            let own = scores.get(i).copied().unwrap_or_else(|| unscored(hit));
            // The last hit has nothing after it: its lead is its whole (judged) score.
            let next = scores
                .get(i + 1)
                .map_or(own.ranked - own.judged, |s| s.ranked);
            let signals = Signals {
                score: own.judged,
                margin: own.ranked - next,
                bm25: hit.bm25,
                cosine: hit.cosine,
                bm25_first: firsts[0] == Some(hit.article_id.as_str()),
                dense_first: firsts[1] == Some(hit.article_id.as_str()),
                intent: intents
                    .iter()
                    .filter(|i| tagged(&i.name))
                    .map(|i| i.confidence)
                    .fold(0.0, f32::max),
                top_intent: intents.first().is_some_and(|i| tagged(&i.name)),
                gap: facts.gap,
                phrasing_cosine: facts.phrasing_cosine,
            };
            hit.signals = signals;
            hit.answerability = self.probability(lang, &signals);
            hit.answerable = self.answers(lang, &signals);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, score: f32) -> Hit {
        Hit {
            article_id: id.into(),
            title: id.into(),
            anchor: String::new(),
            heading: id.into(),
            text: "the answer".into(),
            lang: "zh".into(),
            score,
            bm25: 1.0,
            cosine: 0.5,
            answerable: true,
            answerability: None,
            signals: Signals::default(),
        }
    }

    #[test]
    fn a_hits_lead_is_read_in_the_ranking_served_and_its_score_as_judged() {
        // The phrasing share puts `a` first; without it `b` would score higher.
        let mut hits = vec![hit("a", 6.2), hit("b", 6.0)];
        let scores = [
            HitScore {
                judged: 5.8,
                ranked: 6.2,
            },
            HitScore {
                judged: 6.0,
                ranked: 6.0,
            },
        ];
        Answerability::default().judge(&mut hits, &scores, &[], "zh", [None, None], |_| {
            ArticleFacts::default()
        });
        assert!(
            (hits[0].signals.margin - 0.2).abs() < 1e-5,
            "{:?}",
            hits[0].signals
        );
        assert!(
            (hits[0].signals.score - 5.8).abs() < 1e-5,
            "{:?}",
            hits[0].signals
        );
        assert!(
            (hits[1].signals.margin - 6.0).abs() < 1e-5,
            "{:?}",
            hits[1].signals
        );
    }

    #[test]
    fn the_compiled_in_model_parses() {
        assert!(Answerability::parse(BUILTIN).is_ok());
    }

    #[test]
    fn a_language_without_a_model_always_answers() {
        let model = Answerability::default();
        assert!(model.answers("en", &Signals::default()));
        assert_eq!(model.probability("en", &Signals::default()), None);
    }
}
