//! Training the escalation scorer: embed the labelled examples with the shared encoder, fit the
//! multi-label head (one logistic output per label, AdaGrad, averaged over several seeded
//! orders), and keep the out-of-fold scores of the deciding labels' positives per language, from
//! which the serving thresholds are chosen. Deterministic: same data, same bytes.

use super::scorer::{
    ANGER, EscalationModel, FORMAT, HeldOut, KIND_OFFSET, LABELS, SENSITIVE, ScorerMeta, features,
    sigmoid,
};
use std::path::Path;

use crate::nlu::dataset::{self, Example};
use crate::nlu::encoder::Encoder;
use crate::nlu::features::is_cjk;
use crate::nlu::head::{Features, LinearHead, SplitMix, adagrad};
use crate::nlu::{NluError, train as intent_train};

/// Intents of the intent training data that are not calm examples for the scorer: complaints
/// are often angry, and people asking for a person often are too.
const NOT_CALM: [&str; 2] = ["complaint", "human_agent"];

/// The scorer's examples: the labelled ones in `data` (a YAML file or directory: label ->
/// messages), then every example of the intent data in `intents` except [`NOT_CALM`], as calm.
/// Also returns how many came from `data`.
pub fn load_examples(data: &Path, intents: &Path) -> Result<(Vec<Example>, usize), NluError> {
    let mut examples = dataset::load(data)?;
    let labelled = examples.len();
    let calm = dataset::load(intents)?
        .into_iter()
        .filter(|e| !NOT_CALM.contains(&e.intent.as_str()));
    examples.extend(calm);
    Ok((examples, labelled))
}

/// Cross-validation folds for the held-out scores.
const FOLDS: usize = 5;
const EPOCHS: usize = 12;
const LEARNING_RATE: f32 = 0.1;
const L2: f32 = 1e-5;
const SEED: u64 = 14;
/// Example orders the head is fitted in and averaged over. One head's scores move with the order
/// AdaGrad saw the examples in: across single seeds the Chinese sensitive threshold went 0.18-0.23
/// and dev F1 0.941-0.952. Averages of eight agree (two base seeds: thresholds within 0.01, dev
/// numbers equal) for 25 s more training.
const ORDERS: u64 = 8;

/// The labels an example of `group` (its YAML key) is a positive of, as a bit set over
/// [`LABELS`]: a kind is also its deciding label; plain `anger` is anger alone; anything else
/// (`calm`, intent names) is a negative of every label.
pub fn targets_of(group: &str) -> u16 {
    let Some(index) = LABELS.iter().position(|label| *label == group) else {
        return 0;
    };
    let decider = match index {
        SENSITIVE | ANGER => index,
        kind if super::scorer::SENSITIVE_KINDS.contains(&kind) => SENSITIVE,
        _ => ANGER,
    };
    (1 << index) | (1 << decider)
}

pub fn train(encoder: &Encoder, examples: &[Example]) -> Result<EscalationModel, NluError> {
    let targets: Vec<u16> = examples.iter().map(|e| targets_of(&e.intent)).collect();
    for (label, name) in LABELS.iter().enumerate().skip(KIND_OFFSET) {
        if !targets.iter().any(|t| t & (1 << label) != 0) {
            return Err(NluError::Training(format!("no examples of `{name}`")));
        }
    }
    let read = intent_train::read_as_served(examples);
    let texts: Vec<&str> = read.iter().map(String::as_str).collect();
    let embedded = intent_train::featurize(encoder, &texts)?;
    let inputs: Vec<Features> = texts
        .iter()
        .zip(&embedded)
        .map(|(text, x)| features(text, &x.dense))
        .collect();
    let chinese: Vec<bool> = texts.iter().map(|t| t.chars().any(is_cjk)).collect();
    // The served head trains beside the folds' heads (its result is the same).
    let (head, held_out) = intent_train::beside(
        || fit(&inputs, &targets),
        || held_out_scores(&inputs, &targets, &chinese),
    )?;
    Ok(EscalationModel {
        meta: ScorerMeta {
            format: FORMAT.into(),
            labels: LABELS.iter().map(|l| l.to_string()).collect(),
            embedding_dim: encoder.dim(),
            examples: examples.len(),
            held_out: held_out?,
        },
        head,
    })
}

/// Positives of a label weigh more the rarer they are (square root of the class ratio), so a
/// kind with fifty examples among three thousand still moves its output.
fn positive_weights(targets: &[u16]) -> Vec<f32> {
    (0..LABELS.len())
        .map(|label| {
            let positives = targets.iter().filter(|t| *t & (1 << label) != 0).count();
            let negatives = targets.len() - positives;
            (negatives as f32 / positives.max(1) as f32).sqrt().max(1.0)
        })
        .collect()
}

/// Fits the head on every example: the average of heads fitted in [`ORDERS`] seeded orders.
pub fn fit(inputs: &[Features], targets: &[u16]) -> LinearHead {
    let heads: Vec<LinearHead> = (0..ORDERS)
        .map(|k| fit_in_order(inputs, targets, SEED + k))
        .collect();
    LinearHead::mean(heads).unwrap_or_else(|| LinearHead::zeros(LABELS.len(), 0))
}

/// Fits one head on every example in the order seeded by `seed`.
fn fit_in_order(inputs: &[Features], targets: &[u16], seed: u64) -> LinearHead {
    let dense_dim = inputs.first().map_or(0, |x| x.dense.len());
    let weights = positive_weights(targets);
    let mut head = LinearHead::zeros(LABELS.len(), dense_dim);
    let mut squares = LinearHead::zeros(LABELS.len(), dense_dim);
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    let mut rng = SplitMix(seed);
    for _ in 0..EPOCHS {
        rng.shuffle(&mut order);
        for &i in &order {
            step(&mut head, &mut squares, &inputs[i], targets[i], &weights);
        }
    }
    head
}

/// One AdaGrad step on the weighted logistic loss of every label.
fn step(head: &mut LinearHead, squares: &mut LinearHead, x: &Features, target: u16, w: &[f32]) {
    let c = head.classes;
    let gradient: Vec<f32> = head
        .logits(x)
        .into_iter()
        .enumerate()
        .map(|(k, logit)| {
            let positive = target & (1 << k) != 0;
            let error = sigmoid(logit) - f32::from(u8::from(positive));
            if positive { error * w[k] } else { error }
        })
        .collect();
    let update = |weights: &mut [f32], g2: &mut [f32], value: f32| {
        adagrad(weights, g2, &gradient, value, LEARNING_RATE, L2);
    };
    update(&mut head.bias, &mut squares.bias, 1.0);
    for (j, &v) in x.dense.iter().enumerate() {
        let range = j * c..(j + 1) * c;
        update(&mut head.dense[range.clone()], &mut squares.dense[range], v);
    }
    for &(bucket, v) in &x.sparse {
        let range = bucket as usize * c..(bucket as usize + 1) * c;
        update(
            &mut head.sparse[range.clone()],
            &mut squares.sparse[range],
            v,
        );
    }
}

/// Every example's scores from a head that never saw it (example `i` is in fold `i % FOLDS`;
/// folds train in parallel), reduced to what the thresholds need.
fn held_out_scores(
    inputs: &[Features],
    targets: &[u16],
    chinese: &[bool],
) -> Result<HeldOut, NluError> {
    let folds = intent_train::in_parallel(FOLDS, |fold| fold_scores(inputs, targets, fold))?;
    let mut held_out = HeldOut::default();
    let mut negatives = [(0usize, 0usize); 2];
    for (i, scores) in folds.into_iter().flatten() {
        let lang = usize::from(chinese[i]);
        for (label, score) in [(SENSITIVE, scores[0]), (ANGER, scores[1])] {
            if targets[i] & (1 << label) != 0 {
                let list = match label {
                    SENSITIVE => &mut held_out.sensitive[lang],
                    _ => &mut held_out.anger[lang],
                };
                list.push(score);
            }
        }
        if targets[i] == 0 {
            negatives[lang].0 += 1;
            negatives[lang].1 += usize::from(scores[0] >= 0.5 || scores[1] >= 0.5);
        }
    }
    for list in held_out
        .sensitive
        .iter_mut()
        .chain(held_out.anger.iter_mut())
    {
        list.sort_by(f32::total_cmp);
    }
    for (lang, (total, flagged)) in negatives.into_iter().enumerate() {
        held_out.false_positive_rate_at_half[lang] = flagged as f32 / total.max(1) as f32;
    }
    Ok(held_out)
}

fn fold_scores(inputs: &[Features], targets: &[u16], fold: usize) -> Vec<(usize, [f32; 2])> {
    let (train, held): (Vec<usize>, Vec<usize>) =
        (0..inputs.len()).partition(|i| i % FOLDS != fold);
    let xs: Vec<Features> = train.iter().map(|&i| inputs[i].clone()).collect();
    let ys: Vec<u16> = train.iter().map(|&i| targets[i]).collect();
    let head = fit(&xs, &ys);
    held.into_iter()
        .map(|i| {
            let logits = head.logits(&inputs[i]);
            (i, [sigmoid(logits[SENSITIVE]), sigmoid(logits[ANGER])])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_also_a_positive_of_its_reason() {
        assert_eq!(targets_of("sarcasm"), (1 << 7) | (1 << ANGER));
        assert_eq!(targets_of("fraud"), (1 << 2) | (1 << SENSITIVE));
        assert_eq!(targets_of("anger"), 1 << ANGER);
        assert_eq!(targets_of("calm"), 0);
        assert_eq!(targets_of("roaming_activate"), 0);
    }
}
