//! Retrieval quality on labelled questions (`benches/data/kb_heldout.jsonl`, or the older
//! `kb_questions.jsonl`: question, right article or none, language, split): hit@1, hit@3 and MRR
//! (over the top 10 articles, questions with an article) for BM25 alone, dense alone and hybrid,
//! overall and per language; for questions no article covers, the share the search does not
//! offer as an answer; search latency percentiles. The dialogue-level headline is `first_turn`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::answerable::{Answerability, Signals};
use super::fitting::{self, Outcome, Quoted};
use super::{KbError, KnowledgeBase, Mode, SearchRequest};
use crate::nlu::{Classifier, NluError, Prediction, Scored};

/// Which questions to use: a question's own `split` field, or for files without one even lines
/// (counting from 0) are `Dev` and odd ones `Test`. Everything tuned (the boosts in `fusion`,
/// the answerability model) is chosen on `Dev`; `Test` is only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    All,
    Dev,
    Test,
}

impl Split {
    pub fn select(self, questions: Vec<Question>) -> Vec<Question> {
        questions
            .into_iter()
            .enumerate()
            .filter(|(i, q)| {
                let dev = q.split.as_deref().map_or(i % 2 == 0, |s| s == "dev");
                match self {
                    Split::All => true,
                    Split::Dev => dev,
                    Split::Test => !dev,
                }
            })
            .map(|(_, q)| q)
            .collect()
    }
}

/// Articles ranked per question for MRR.
const DEPTH: usize = 10;

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub question: String,
    /// The right article (`None`: no article covers the question).
    pub article: Option<String>,
    /// Other articles that are equally right.
    #[serde(default)]
    pub also: Vec<String>,
    pub lang: String,
    /// `dev` or `test`; absent in older files (then the line number decides, see [`Split`]).
    #[serde(default)]
    pub split: Option<String>,
}

impl Question {
    /// Whether quoting article `id` answers this question.
    pub fn is_right(&self, id: &str) -> bool {
        self.article.as_deref() == Some(id) || self.also.iter().any(|a| a == id)
    }
}

/// A question with what the classifier made of it (as on the serving path).
pub struct Case {
    pub question: Question,
    pub prediction: Prediction,
    /// The classifier's top two intents.
    pub intents: Vec<Scored>,
    pub embedding: Vec<f32>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Metrics {
    pub questions: usize,
    pub hit_at_1: f64,
    pub hit_at_3: f64,
    pub mrr: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MethodReport {
    pub method: &'static str,
    pub overall: Metrics,
    pub by_lang: BTreeMap<String, Metrics>,
    /// Per language, the share of no-article questions whose best hit is judged not to answer
    /// (hybrid search only: the other methods never judge).
    pub no_article_not_answered: BTreeMap<String, Share>,
}

/// `count` of `of`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Share {
    pub count: usize,
    pub of: usize,
    pub rate: f64,
}

impl Share {
    pub fn new(count: usize, of: usize) -> Share {
        let rate = if of == 0 {
            0.0
        } else {
            count as f64 / of as f64
        };
        Share { count, of, rate }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub what: &'static str,
    pub searches: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The methods compared: (name, mode, whether the predicted intent is used).
pub const METHODS: [(&str, Mode, bool); 4] = [
    ("bm25", Mode::Bm25, false),
    ("dense", Mode::Dense, false),
    ("hybrid (rrf, no intent)", Mode::Hybrid, false),
    ("hybrid (rrf + intent)", Mode::Hybrid, true),
];

impl Case {
    /// A question with the classifier's view of it, as the service would search for it.
    pub fn new(question: Question, prediction: Prediction, embedding: Vec<f32>) -> Case {
        let intents = prediction.best_two();
        Case {
            question,
            prediction,
            intents,
            embedding,
        }
    }

    /// `question` as the service reads it (in Mandarin, pinyin expanded: [`KnowledgeBase::read_message`]),
    /// classified by `classifier`.
    pub fn classified(
        kb: &KnowledgeBase,
        classifier: &Classifier,
        mut question: Question,
    ) -> Result<Case, NluError> {
        if let Some(expanded) = kb.read_message(&question.question) {
            question.question = expanded;
        }
        let (prediction, embedding) = classifier.classify_embedded(&question.question)?;
        Ok(Case::new(question, prediction, embedding))
    }
}

pub fn load_questions(path: &Path) -> Result<Vec<Question>, KbError> {
    let source = std::fs::read_to_string(path).map_err(|source| KbError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut questions = Vec::new();
    for (i, line) in source.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let question = serde_json::from_str(line).map_err(|e| KbError::BadArticle {
            path: path.to_path_buf(),
            line: i + 1,
            reason: e.to_string(),
        })?;
        questions.push(question);
    }
    Ok(questions)
}

fn request<'a>(case: &'a Case, mode: Mode, with_intent: bool, limit: usize) -> SearchRequest<'a> {
    SearchRequest {
        text: &case.question.question,
        intents: if with_intent { &case.intents } else { &[] },
        lang: &case.question.lang,
        tenant: None,
        limit,
        embedding: Some(&case.embedding),
        mode,
    }
}

pub fn evaluate(kb: &KnowledgeBase, cases: &[Case]) -> Result<Vec<MethodReport>, KbError> {
    let mut reports = Vec::new();
    for (method, mode, with_intent) in METHODS {
        // (language, rank of the first right article; None for a no-article question, whether
        // the best hit was judged to answer it)
        let mut ranks: Vec<(&str, Option<Option<usize>>, bool)> = Vec::new();
        for case in cases {
            let hits = kb.search(&request(case, mode, with_intent, DEPTH))?;
            let answered = hits.first().is_some_and(|h| h.answerable);
            let rank = case.question.article.as_ref().map(|_| {
                hits.iter()
                    .position(|h| case.question.is_right(&h.article_id))
            });
            ranks.push((&case.question.lang, rank, answered));
        }
        let ranked = |lang: Option<&str>| -> Vec<Option<usize>> {
            ranks
                .iter()
                .filter(|(l, _, _)| lang.is_none_or(|lang| *l == lang))
                .filter_map(|(_, r, _)| *r)
                .collect()
        };
        let mut by_lang = BTreeMap::new();
        let mut no_article_not_answered = BTreeMap::new();
        for lang in ["en", "zh"] {
            by_lang.insert(lang.to_string(), metrics(&ranked(Some(lang))));
            let no_article: Vec<bool> = ranks
                .iter()
                .filter(|(l, r, _)| *l == lang && r.is_none())
                .map(|(_, _, answered)| *answered)
                .collect();
            let silent = no_article.iter().filter(|a| !**a).count();
            no_article_not_answered.insert(lang.to_string(), Share::new(silent, no_article.len()));
        }
        reports.push(MethodReport {
            method,
            overall: metrics(&ranked(None)),
            by_lang,
            no_article_not_answered,
        });
    }
    Ok(reports)
}

/// hit@1, hit@3 and MRR per language of the serving method alone (hybrid + intent), for tuning.
pub fn serving_metrics(
    kb: &KnowledgeBase,
    cases: &[Case],
) -> Result<BTreeMap<String, Metrics>, KbError> {
    let mut ranks: BTreeMap<String, Vec<Option<usize>>> = BTreeMap::new();
    for case in cases.iter().filter(|c| c.question.article.is_some()) {
        let hits = kb.search(&request(case, Mode::Hybrid, true, DEPTH))?;
        let rank = hits
            .iter()
            .position(|h| case.question.is_right(&h.article_id));
        ranks
            .entry(case.question.lang.clone())
            .or_default()
            .push(rank);
    }
    Ok(ranks.into_iter().map(|(l, r)| (l, metrics(&r))).collect())
}

/// Each case's best hybrid hit (as the service searches) as answerability training data: its
/// signals and whether quoting it would be right, wrong, or an answer where none exists.
pub fn answerability_samples(
    kb: &KnowledgeBase,
    cases: &[Case],
) -> Result<Vec<(String, Signals, Outcome)>, KbError> {
    let mut samples = Vec::new();
    for case in cases {
        let hits = kb.search(&request(case, Mode::Hybrid, true, 3))?;
        let Some(best) = hits.first() else { continue };
        let outcome = match &case.question.article {
            None => Outcome::NoArticle,
            Some(_) if case.question.is_right(&best.article_id) => Outcome::Right,
            Some(_) => Outcome::Wrong,
        };
        samples.push((case.question.lang.clone(), best.signals, outcome));
    }
    Ok(samples)
}

/// Fits one answerability model per language on `cases` (the dev split), with each language's
/// out-of-fold estimate of the same fit.
pub fn fit_answerability(
    kb: &KnowledgeBase,
    cases: &[Case],
) -> Result<(Answerability, BTreeMap<String, Quoted>), KbError> {
    let samples = answerability_samples(kb, cases)?;
    let mut model = Answerability::default();
    let mut estimates = BTreeMap::new();
    for lang in ["en", "zh"] {
        let of_lang: Vec<(Signals, Outcome)> = samples
            .iter()
            .filter(|(l, _, _)| l == lang)
            .map(|(_, s, o)| (*s, *o))
            .collect();
        if !of_lang.is_empty() {
            model
                .languages
                .insert(lang.to_string(), fitting::fit(&of_lang));
            estimates.insert(lang.to_string(), fitting::out_of_fold(&of_lang));
        }
    }
    Ok((model, estimates))
}

/// The questions the serving method (hybrid + intent) gets wrong: the right article not first or
/// not judged to answer, or a no-article question answered. (question, expected, predicted
/// intents, the articles returned with their answerability.)
pub fn misses(kb: &KnowledgeBase, cases: &[Case]) -> Result<Vec<String>, KbError> {
    let mut out = Vec::new();
    for case in cases {
        let hits = kb.search(&request(case, Mode::Hybrid, true, 3))?;
        let best = hits.first();
        let right = best.is_some_and(|h| case.question.is_right(&h.article_id));
        let answered = best.is_some_and(|h| h.answerable);
        if right == answered && (right || case.question.article.is_none()) {
            continue;
        }
        let got: Vec<String> = hits
            .iter()
            .map(|h| {
                format!(
                    "{}#{} ({:.3}, bm25 {:.1}, cos {:.2}, answers {:.2} {})",
                    h.article_id,
                    h.anchor,
                    h.score,
                    h.bm25,
                    h.cosine,
                    h.answerability.unwrap_or(1.0),
                    h.answerable
                )
            })
            .collect();
        out.push(format!(
            "{:?}\n    expected {} | intent {:?}\n    got {}",
            case.question.question,
            case.question.article.as_deref().unwrap_or("(none)"),
            case.intents
                .iter()
                .map(|i| format!("{} {:.2}", i.name, i.confidence))
                .collect::<Vec<_>>(),
            got.join("\n        ")
        ));
    }
    Ok(out)
}

fn metrics(ranks: &[Option<usize>]) -> Metrics {
    let n = ranks.len().max(1) as f64;
    let within = |k: usize| ranks.iter().filter(|r| r.is_some_and(|r| r < k)).count() as f64 / n;
    Metrics {
        questions: ranks.len(),
        hit_at_1: within(1),
        hit_at_3: within(3),
        mrr: ranks
            .iter()
            .map(|r| r.map_or(0.0, |r| 1.0 / (r + 1) as f64))
            .sum::<f64>()
            / n,
    }
}

/// Latency of `rounds` passes over the questions: BM25 alone, hybrid with the question's
/// embedding given (as the service does, reusing the classifier's), and hybrid that runs the
/// encoder on the question itself.
pub fn latency(kb: &KnowledgeBase, cases: &[Case], rounds: usize) -> Result<Vec<Latency>, KbError> {
    let mut out = Vec::new();
    let runs: [(&str, Mode, bool); 3] = [
        ("bm25 search", Mode::Bm25, true),
        ("hybrid search, embedding given", Mode::Hybrid, true),
        ("hybrid search + encoder call", Mode::Hybrid, false),
    ];
    for (what, mode, embedded) in runs {
        let mut samples = Vec::new();
        for _ in 0..rounds {
            for case in cases {
                let mut request = request(case, mode, true, 3);
                if !embedded {
                    request.embedding = None;
                }
                let started = Instant::now();
                kb.search(&request)?;
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        samples.sort_by(f64::total_cmp);
        out.push(Latency {
            what,
            searches: samples.len(),
            p50_ms: percentile(&samples, 0.50),
            p99_ms: percentile(&samples, 0.99),
        });
    }
    Ok(out)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_count_hits_and_reciprocal_ranks() {
        let m = metrics(&[Some(0), Some(2), None, Some(1)]);
        assert_eq!(m.hit_at_1, 0.25);
        assert_eq!(m.hit_at_3, 0.75);
        assert!((m.mrr - (1.0 + 1.0 / 3.0 + 0.5) / 4.0).abs() < 1e-12);
    }
}
