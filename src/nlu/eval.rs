//! Evaluation of an intent model on labelled examples: accuracy, macro-F1, per-intent precision
//! and recall, out-of-scope precision and recall at the model's threshold, top confusions, and
//! per-message latency.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::dataset::Example;
use super::model::{OUT_OF_SCOPE, language_of};
use super::{Classifier, NluError};

#[derive(Debug, Serialize)]
pub struct IntentScore {
    pub intent: String,
    pub support: usize,
    pub precision: f32,
    pub recall: f32,
    pub f1: f32,
}

#[derive(Debug, Serialize)]
pub struct Confusion {
    pub expected: String,
    pub predicted: String,
    pub count: usize,
}

/// The headline numbers on the messages of one script: `zh` (any CJK character) or `en`.
#[derive(Debug, Serialize)]
pub struct LanguageScore {
    pub lang: &'static str,
    pub examples: usize,
    pub accuracy: f32,
    pub in_scope_accuracy: f32,
    pub accuracy_without_rejection: f32,
    /// Share of this language's out-of-scope examples rejected (none: it has no such example).
    pub out_of_scope_recall: Option<f32>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub examples: usize,
    pub accuracy: f32,
    pub in_scope_accuracy: f32,
    /// Accuracy of the top intent with the rejection threshold switched off (a data set without
    /// out-of-scope examples is usually reported this way).
    pub accuracy_without_rejection: f32,
    pub macro_f1: f32,
    pub out_of_scope_precision: Option<f32>,
    pub out_of_scope_recall: Option<f32>,
    pub threshold: f32,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub by_language: Vec<LanguageScore>,
    pub per_intent: Vec<IntentScore>,
    pub top_confusions: Vec<Confusion>,
}

fn language_score(
    lang: &'static str,
    examples: &[Example],
    predicted: &[String],
    top: &[String],
) -> LanguageScore {
    let wanted = |e: &Example| language_of(&e.text) == lang;
    let rows: Vec<(&Example, &String, &String)> = examples
        .iter()
        .zip(predicted)
        .zip(top)
        .map(|((e, p), t)| (e, p, t))
        .filter(|(e, _, _)| wanted(e))
        .collect();
    let in_scope: Vec<_> = rows.iter().filter(|r| r.0.intent != OUT_OF_SCOPE).collect();
    let oos: Vec<_> = rows.iter().filter(|r| r.0.intent == OUT_OF_SCOPE).collect();
    LanguageScore {
        lang,
        examples: rows.len(),
        accuracy: ratio(
            rows.iter().filter(|r| r.0.intent == *r.1).count(),
            rows.len(),
        ),
        in_scope_accuracy: ratio(
            in_scope.iter().filter(|r| r.0.intent == *r.1).count(),
            in_scope.len(),
        ),
        accuracy_without_rejection: ratio(
            rows.iter().filter(|r| r.0.intent == *r.2).count(),
            rows.len(),
        ),
        out_of_scope_recall: (!oos.is_empty()).then(|| {
            ratio(
                oos.iter().filter(|r| r.1.as_str() == OUT_OF_SCOPE).count(),
                oos.len(),
            )
        }),
    }
}

fn ratio(a: usize, b: usize) -> f32 {
    if b == 0 { 0.0 } else { a as f32 / b as f32 }
}

/// Classifies each example one at a time, read as Mandarin as the server reads messages
/// (`chinese::mandarin`), and scores the results. A message the model rejects counts as
/// `out_of_scope`.
pub fn evaluate(classifier: &Classifier, examples: &[Example]) -> Result<Report, NluError> {
    let mut predicted = Vec::with_capacity(examples.len());
    let mut top_labels = Vec::with_capacity(examples.len());
    let mut latencies = Vec::with_capacity(examples.len());
    for example in examples {
        let started = Instant::now();
        let prediction = classifier.classify(&super::chinese::mandarin(&example.text))?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        top_labels.push(prediction.intent.name.clone());
        let label = if prediction.out_of_scope {
            OUT_OF_SCOPE.to_string()
        } else {
            prediction.intent.name
        };
        predicted.push(label);
    }
    latencies.sort_by(f64::total_cmp);
    let pairs: Vec<(&str, &str)> = examples
        .iter()
        .map(|e| e.intent.as_str())
        .zip(predicted.iter().map(String::as_str))
        .collect();
    let per_intent = per_intent_scores(&pairs);
    let in_scope: Vec<&(&str, &str)> = pairs
        .iter()
        .filter(|(gold, _)| *gold != OUT_OF_SCOPE)
        .collect();
    let oos = per_intent.iter().find(|s| s.intent == OUT_OF_SCOPE);
    let scored: Vec<&IntentScore> = per_intent.iter().filter(|s| s.support > 0).collect();
    Ok(Report {
        examples: pairs.len(),
        accuracy: ratio(pairs.iter().filter(|(g, p)| g == p).count(), pairs.len()),
        in_scope_accuracy: ratio(
            in_scope.iter().filter(|(g, p)| g == p).count(),
            in_scope.len(),
        ),
        accuracy_without_rejection: ratio(
            examples
                .iter()
                .zip(&top_labels)
                .filter(|(e, top)| e.intent == **top)
                .count(),
            pairs.len(),
        ),
        by_language: ["en", "zh"]
            .into_iter()
            .map(|lang| language_score(lang, examples, &predicted, &top_labels))
            .filter(|score| score.examples > 0)
            .collect(),
        macro_f1: scored.iter().map(|s| s.f1).sum::<f32>() / scored.len().max(1) as f32,
        out_of_scope_precision: oos.filter(|s| s.support > 0).map(|s| s.precision),
        out_of_scope_recall: oos.filter(|s| s.support > 0).map(|s| s.recall),
        threshold: classifier.model().summary().threshold,
        latency_p50_ms: percentile(&latencies, 0.50),
        latency_p99_ms: percentile(&latencies, 0.99),
        top_confusions: confusions(&pairs, 10),
        per_intent,
    })
}

pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn per_intent_scores(pairs: &[(&str, &str)]) -> Vec<IntentScore> {
    let mut counts: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new(); // (tp, gold, predicted)
    for &(gold, predicted) in pairs {
        counts.entry(gold).or_default().1 += 1;
        counts.entry(predicted).or_default().2 += 1;
        if gold == predicted {
            counts.entry(gold).or_default().0 += 1;
        }
    }
    counts
        .into_iter()
        .map(|(intent, (tp, gold, predicted))| {
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, gold));
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            IntentScore {
                intent: intent.to_string(),
                support: gold,
                precision,
                recall,
                f1,
            }
        })
        .collect()
}

fn confusions(pairs: &[(&str, &str)], limit: usize) -> Vec<Confusion> {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for &(gold, predicted) in pairs.iter().filter(|(g, p)| g != p) {
        *counts.entry((gold, predicted)).or_default() += 1;
    }
    let mut list: Vec<Confusion> = counts
        .into_iter()
        .map(|((e, p), count)| Confusion {
            expected: e.into(),
            predicted: p.into(),
            count,
        })
        .collect();
    list.sort_by_key(|c| std::cmp::Reverse(c.count));
    list.truncate(limit);
    list
}
