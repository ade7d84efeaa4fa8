//! Retrieval quality on labelled questions (`benches/data/kb_questions.jsonl`: question, expected
//! article, language): hit@1, hit@3 and MRR (over the top 10 articles) for BM25 alone, dense
//! alone and hybrid, overall and per language; plus search latency percentiles.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{KbError, KnowledgeBase, Mode, SearchRequest};
use crate::nlu::{Prediction, Scored};

/// Which questions to use: the boosts in `fusion` were chosen on `Dev` (even lines, counting
/// from 0); `Test` (odd lines) was not looked at while choosing them.
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
            .filter(|(i, _)| match self {
                Split::All => true,
                Split::Dev => i % 2 == 0,
                Split::Test => i % 2 == 1,
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
    pub article: String,
    pub lang: String,
}

/// A question with what the classifier made of it (as on the serving path).
pub struct Case {
    pub question: Question,
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
        let intents = std::iter::once(prediction.intent)
            .chain(prediction.runner_up)
            .collect();
        Case {
            question,
            intents,
            embedding,
        }
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
        let mut ranks: Vec<(&str, Option<usize>)> = Vec::new();
        for case in cases {
            let hits = kb.search(&request(case, mode, with_intent, DEPTH))?;
            let rank = hits
                .iter()
                .position(|h| h.article_id == case.question.article);
            ranks.push((&case.question.lang, rank));
        }
        let mut by_lang = BTreeMap::new();
        for lang in ["en", "zh"] {
            let subset: Vec<Option<usize>> = ranks
                .iter()
                .filter(|(l, _)| *l == lang)
                .map(|(_, r)| *r)
                .collect();
            by_lang.insert(lang.to_string(), metrics(&subset));
        }
        let all: Vec<Option<usize>> = ranks.iter().map(|(_, r)| *r).collect();
        reports.push(MethodReport {
            method,
            overall: metrics(&all),
            by_lang,
        });
    }
    Ok(reports)
}

/// The questions the serving method (hybrid + intent) does not rank first: (question, expected,
/// predicted intent, the articles it returned).
pub fn misses(kb: &KnowledgeBase, cases: &[Case]) -> Result<Vec<String>, KbError> {
    let mut out = Vec::new();
    for case in cases {
        let hits = kb.search(&request(case, Mode::Hybrid, true, 3))?;
        if hits
            .first()
            .is_some_and(|h| h.article_id == case.question.article)
        {
            continue;
        }
        let got: Vec<String> = hits
            .iter()
            .map(|h| {
                format!(
                    "{}#{} ({:.3}, bm25 {:.1}, cos {:.2})",
                    h.article_id, h.anchor, h.score, h.bm25, h.cosine
                )
            })
            .collect();
        out.push(format!(
            "{:?}\n    expected {} | intent {:?}\n    got {}",
            case.question.question,
            case.question.article,
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
