//! Training: embed the examples, carve a validation split, fit the head, choose the out-of-scope
//! threshold on the validation split, then refit on everything. Deterministic end to end.

use std::collections::BTreeSet;

use super::NluError;
use super::dataset::Example;
use super::encoder::Encoder;
use super::features::{SPARSE_DIM, sparse_features};
use super::head::{Features, LinearHead, TrainOptions, argmax, softmax};
use super::model::{FORMAT, IntentModel, ModelMeta, OUT_OF_SCOPE, Validation};

const BATCH: usize = 32;
/// Every n-th example of each intent goes to the validation split.
const VALIDATION_EVERY: usize = 10;
/// Without out-of-scope examples, the threshold may cost at most this much in-scope accuracy.
const MAX_ACCURACY_COST: f32 = 0.02;

/// Embeds and featurises texts, using every encoder session in parallel.
pub fn featurize(encoder: &Encoder, texts: &[&str]) -> Result<Vec<Features>, NluError> {
    let workers = encoder.session_count();
    let chunk = texts.len().div_ceil(workers).max(1);
    let parts: Vec<Result<Vec<Features>, NluError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .chunks(chunk)
            .map(|part| scope.spawn(move || featurize_serial(encoder, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(NluError::Inference("a worker panicked".into())))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(texts.len());
    for part in parts {
        all.extend(part?);
    }
    Ok(all)
}

fn featurize_serial(encoder: &Encoder, texts: &[&str]) -> Result<Vec<Features>, NluError> {
    let mut out = Vec::with_capacity(texts.len());
    for batch in texts.chunks(BATCH) {
        for (text, dense) in batch.iter().zip(encoder.embed(batch)?) {
            out.push(Features {
                dense,
                sparse: sparse_features(text),
            });
        }
    }
    Ok(out)
}

pub fn train(
    encoder: &Encoder,
    examples: &[Example],
    options: TrainOptions,
) -> Result<IntentModel, NluError> {
    let (labels, gold) = label_indices(examples);
    if labels.len() < 2 {
        return Err(NluError::Training(
            "need examples of at least two intents".into(),
        ));
    }
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let features = featurize(encoder, &texts)?;
    let (train_idx, val_idx) = split(&gold, labels.len(), VALIDATION_EVERY);
    let (train_x, train_y) = subset(&features, &gold, &train_idx);
    let (val_x, val_y) = subset(&features, &gold, &val_idx);
    let probe = LinearHead::train(&train_x, &train_y, labels.len(), options);
    let mut model = IntentModel {
        meta: ModelMeta {
            format: FORMAT.into(),
            labels,
            dense_dim: encoder.dim(),
            sparse_dim: SPARSE_DIM,
            temperature: 1.0,
            threshold: 0.0,
            examples: examples.len(),
            validation: Validation::default(),
        },
        head: probe,
    };
    model.meta.temperature = fit_temperature(&model.head, &val_x, &val_y);
    let (threshold, validation) = calibrate(&model, &val_x, &val_y);
    model.meta.threshold = threshold;
    model.meta.validation = validation;
    model.head = LinearHead::train(&features, &gold, model.meta.labels.len(), options);
    Ok(model)
}

/// The sorted distinct intents, and each example's index into them.
pub fn label_indices(examples: &[Example]) -> (Vec<String>, Vec<usize>) {
    let labels: Vec<String> = examples
        .iter()
        .map(|e| e.intent.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let gold = examples
        .iter()
        .map(|e| labels.binary_search(&e.intent).unwrap_or(0))
        .collect();
    (labels, gold)
}

/// The features and labels of the examples at `indices`.
pub fn subset(
    features: &[Features],
    gold: &[usize],
    indices: &[usize],
) -> (Vec<Features>, Vec<usize>) {
    indices
        .iter()
        .map(|&i| (features[i].clone(), gold[i]))
        .unzip()
}

/// Deterministic stratified split: every `every`-th example of an intent is held out (intents
/// with fewer than `every` examples stay whole in training).
pub fn split(gold: &[usize], classes: usize, every: usize) -> (Vec<usize>, Vec<usize>) {
    let mut seen = vec![0usize; classes];
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for (i, &label) in gold.iter().enumerate() {
        seen[label] += 1;
        if seen[label].is_multiple_of(every) {
            val.push(i);
        } else {
            train.push(i);
        }
    }
    (train, val)
}

/// Picks the rejection threshold on the validation split. With out-of-scope examples: the one
/// that maximises in-scope accuracy plus out-of-scope recall. Without: the highest one that costs
/// at most `MAX_ACCURACY_COST` of in-scope accuracy.
fn calibrate(model: &IntentModel, xs: &[Features], ys: &[usize]) -> (f32, Validation) {
    let oos = model.meta.labels.iter().position(|l| l == OUT_OF_SCOPE);
    let predictions: Vec<(usize, f32)> = xs
        .iter()
        .map(|x| {
            let p = model.probabilities(x);
            let best = argmax(&p);
            (best, p[best])
        })
        .collect();
    let score_at = |t: f32| score(&predictions, ys, oos, t);
    let candidates: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
    let base = score_at(0.0);
    let has_oos_examples = oos.is_some() && base.out_of_scope_recall.is_some();
    let best = if has_oos_examples {
        let value = |t| {
            let v = score_at(t);
            v.in_scope_accuracy + v.out_of_scope_recall.unwrap_or(0.0)
        };
        // Ties go to the lower threshold: reject no more than needed.
        candidates
            .iter()
            .copied()
            .max_by(|&a, &b| value(a).total_cmp(&value(b)).then(b.total_cmp(&a)))
    } else {
        let floor = base.in_scope_accuracy - MAX_ACCURACY_COST;
        candidates
            .iter()
            .copied()
            .rfind(|&t| score_at(t).in_scope_accuracy >= floor)
    };
    let threshold = best.unwrap_or(0.0);
    (threshold, score_at(threshold))
}

/// The temperature (from a fixed grid, so training stays deterministic) that minimises the
/// negative log-likelihood of the validation split. A head trained to near-zero loss is
/// overconfident; dividing its logits spreads the probabilities so that the rejection threshold
/// and the clarify margin mean something.
fn fit_temperature(head: &LinearHead, xs: &[Features], ys: &[usize]) -> f32 {
    if xs.is_empty() {
        return 1.0;
    }
    let logits: Vec<Vec<f32>> = xs.iter().map(|x| head.logits(x)).collect();
    let nll = |t: f32| -> f32 {
        logits
            .iter()
            .zip(ys)
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
