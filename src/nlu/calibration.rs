//! Calibration of a classifier on held-out logits: the softmax temperature, then the
//! out-of-scope rejection threshold, overall and per message language, with the numbers measured
//! on those logits. `train` calibrates its heads here, `calibrate` an imported classifier.

use std::collections::{BTreeMap, BTreeSet};

use super::head::{argmax, softmax};
use super::model::{LanguageCalibration, OUT_OF_SCOPE, Validation};

/// Without out-of-scope examples, the threshold may cost at most this much in-scope accuracy.
const MAX_ACCURACY_COST: f32 = 0.02;
/// How much rejecting an out-of-scope message is worth against answering an in-scope one, when
/// choosing the threshold of a model trained here (its `out_of_scope` label already rejects what
/// resembles its out-of-scope examples). Out-of-fold, a few out-of-scope examples that look like
/// in-scope ones would otherwise buy a threshold that rejects many long or colloquial in-scope
/// questions; in service, an out-of-scope message that gets through still meets the knowledge
/// base's answerability check, while a rejected in-scope question goes to a person.
pub(super) const OUT_OF_SCOPE_WEIGHT: f32 = 0.5;
/// Thresholds whose objective is within this of the best count as tied (see
/// [`choose_threshold`]): about one standard error of the weighted out-of-scope recall of a
/// few hundred held-out out-of-scope examples.
const THRESHOLD_TOLERANCE: f32 = 0.01;
/// A language gets its own calibration only with at least this many held-out examples; fewer
/// would make its threshold noise.
const MIN_LANGUAGE_EXAMPLES: usize = 50;

/// Temperature, threshold and the numbers measured on the held-out logits.
#[derive(Debug, Clone)]
pub struct Calibrated {
    pub temperature: f32,
    pub threshold: f32,
    pub validation: Validation,
}

/// [`calibrate_weighted`] with out-of-scope recall and in-scope accuracy weighted alike (for a
/// model whose only way to reject is the threshold, such as an imported classifier).
pub fn calibrate(labels: &[String], logits: &[Vec<f32>], gold: &[usize]) -> Calibrated {
    calibrate_weighted(labels, logits, gold, 1.0)
}

/// Fits the temperature, then picks the rejection threshold. With out-of-scope examples: the one
/// that maximises in-scope accuracy plus `oos_weight` times out-of-scope recall. Without: the
/// highest one that costs at most `MAX_ACCURACY_COST` of in-scope accuracy. Examples without
/// logits (never held out) are left out. A gold index of `labels.len()` marks an out-of-scope
/// example for a model that has no out-of-scope label.
pub fn calibrate_weighted(
    labels: &[String],
    logits: &[Vec<f32>],
    gold: &[usize],
    oos_weight: f32,
) -> Calibrated {
    let (logits, ys): (Vec<Vec<f32>>, Vec<usize>) = logits
        .iter()
        .zip(gold)
        .filter(|(l, _)| !l.is_empty())
        .map(|(l, &y)| (l.clone(), y))
        .unzip();
    let temperature = fit_temperature(&logits, &ys);
    let unlabelled_oos = ys.contains(&labels.len()).then_some(labels.len());
    let oos = labels
        .iter()
        .position(|l| l == OUT_OF_SCOPE)
        .or(unlabelled_oos);
    let predictions: Vec<(usize, f32)> = logits
        .iter()
        .map(|l| {
            let mut p: Vec<f32> = l.iter().map(|v| v / temperature).collect();
            softmax(&mut p);
            let best = argmax(&p);
            (best, p[best])
        })
        .collect();
    let score_at = |t: f32| score(&predictions, &ys, oos, t);
    let threshold = choose_threshold(&score_at, oos.is_some(), oos_weight);
    Calibrated {
        temperature,
        threshold,
        validation: score_at(threshold),
    }
}

/// [`calibrate_weighted`] again on the examples of each language that has at least
/// `MIN_LANGUAGE_EXAMPLES` held-out logits: its own temperature and threshold.
pub fn calibrate_languages(
    labels: &[String],
    logits: &[Vec<f32>],
    gold: &[usize],
    langs: &[&str],
) -> BTreeMap<String, LanguageCalibration> {
    let distinct: BTreeSet<&str> = langs.iter().copied().collect();
    let mut out = BTreeMap::new();
    for lang in distinct {
        let (logits, ys): (Vec<Vec<f32>>, Vec<usize>) = logits
            .iter()
            .zip(gold)
            .zip(langs)
            .filter(|((l, _), code)| **code == lang && !l.is_empty())
            .map(|((l, &y), _)| (l.clone(), y))
            .unzip();
        if logits.len() < MIN_LANGUAGE_EXAMPLES {
            continue;
        }
        let fitted = calibrate_weighted(labels, &logits, &ys, OUT_OF_SCOPE_WEIGHT);
        let calibration = LanguageCalibration {
            temperature: fitted.temperature,
            threshold: fitted.threshold,
            validation: fitted.validation,
        };
        out.insert(lang.to_string(), calibration);
    }
    out
}

fn choose_threshold(
    score_at: &dyn Fn(f32) -> Validation,
    may_have_oos: bool,
    oos_weight: f32,
) -> f32 {
    let candidates: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
    let base = score_at(0.0);
    let best = if may_have_oos && base.out_of_scope_recall.is_some() {
        let value = |t| {
            let v = score_at(t);
            v.in_scope_accuracy + oos_weight * v.out_of_scope_recall.unwrap_or(0.0)
        };
        // Near-ties go to the lowest threshold: reject no more than needed. Out of fold, the
        // objective is flat near its best, and which threshold wins there is noise.
        let values: Vec<f32> = candidates.iter().map(|&t| value(t)).collect();
        let best = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        candidates
            .iter()
            .zip(&values)
            .find(|(_, v)| **v >= best - THRESHOLD_TOLERANCE)
            .map(|(&t, _)| t)
    } else {
        let floor = base.in_scope_accuracy - MAX_ACCURACY_COST;
        candidates
            .iter()
            .copied()
            .rfind(|&t| score_at(t).in_scope_accuracy >= floor)
    };
    best.unwrap_or(0.0)
}

/// The temperature (from a fixed grid, so training stays deterministic) that minimises the
/// negative log-likelihood of held-out logits. A head trained to near-zero loss is
/// overconfident; dividing its logits spreads the probabilities so that the rejection threshold
/// and the clarify margin mean something.
fn fit_temperature(logits: &[Vec<f32>], ys: &[usize]) -> f32 {
    if logits.is_empty() {
        return 1.0;
    }
    let nll = |t: f32| -> f32 {
        logits
            .iter()
            .zip(ys)
            .filter(|(l, y)| **y < l.len())
            .map(|(l, &y)| {
                let mut scaled: Vec<f32> = l.iter().map(|v| v / t).collect();
                softmax(&mut scaled);
                -scaled[y].max(1e-12).ln()
            })
            .sum()
    };
    (2..=80)
        .map(|i| i as f32 * 0.25)
        .map(|t| (t, nll(t)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(1.0, |(t, _)| t)
}

fn score(
    predictions: &[(usize, f32)],
    ys: &[usize],
    oos: Option<usize>,
    threshold: f32,
) -> Validation {
    let (mut correct, mut in_scope, mut in_scope_correct, mut oos_total, mut oos_rejected) =
        (0, 0, 0, 0, 0);
    for (&(predicted, confidence), &gold) in predictions.iter().zip(ys) {
        let rejected = Some(predicted) == oos || confidence < threshold;
        let is_oos = Some(gold) == oos;
        if is_oos {
            oos_total += 1;
            oos_rejected += usize::from(rejected);
            correct += usize::from(rejected);
        } else {
            in_scope += 1;
            let right = !rejected && predicted == gold;
            in_scope_correct += usize::from(right);
            correct += usize::from(right);
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f32 / b as f32 };
    Validation {
        examples: predictions.len(),
        accuracy: ratio(correct, predictions.len()),
        in_scope_accuracy: ratio(in_scope_correct, in_scope),
        out_of_scope_recall: (oos_total > 0).then(|| ratio(oos_rejected, oos_total)),
    }
}
