//! Training: embed the examples, fit heads on cross-validation folds to get every example's
//! held-out logits, fit the temperature and choose the out-of-scope threshold on those (overall,
//! and again per message language: [`super::calibration`]), and fit the served head on
//! everything. Deterministic end to end.

use std::collections::BTreeSet;

use super::NluError;
use super::calibration::{OUT_OF_SCOPE_WEIGHT, calibrate_languages, calibrate_weighted};
use super::chinese::mandarin;
use super::dataset::Example;
use super::encoder::Encoder;
use super::features::{SPARSE_DIM, sparse_features};
use super::head::{Features, LinearHead, TrainOptions};
use super::model::{FORMAT, IntentModel, ModelMeta, language_of};
use super::neighbours::Neighbours;
use super::with_large_blocks_reused;

const BATCH: usize = 32;
/// Cross-validation folds for calibration (each example is held out exactly once).
const FOLDS: usize = 5;
/// Embeds and featurises texts, using every encoder session in parallel. A bulk job, as a cold
/// knowledge-base build is: each lane gets as many sessions as the widest (e5 has one while
/// serving) and large blocks are reused from the heap ([`with_large_blocks_reused`]).
pub fn featurize(encoder: &Encoder, texts: &[&str]) -> Result<Vec<Features>, NluError> {
    with_large_blocks_reused(|| featurize_in_parallel(&encoder.for_bulk()?, texts))
}

/// Texts are batched with others of about their length (less padding run through the encoder)
/// and the batches dealt out in turn, so each worker gets short and long ones; the result is in
/// `texts`' order.
fn featurize_in_parallel(encoder: &Encoder, texts: &[&str]) -> Result<Vec<Features>, NluError> {
    let shares = shares_by_length(texts, encoder.session_count());
    let parts = in_parallel(shares.len(), |worker| {
        let mine: Vec<&str> = shares[worker].iter().map(|&i| texts[i]).collect();
        featurize_serial(encoder, &mine)
    })?;
    let mut all: Vec<Option<Features>> = (0..texts.len()).map(|_| None).collect();
    for (share, part) in shares.iter().zip(parts) {
        for (&i, features) in share.iter().zip(part?) {
            all[i] = Some(features);
        }
    }
    all.into_iter()
        .map(|features| {
            features.ok_or_else(|| NluError::Inference("the encoder skipped a text".into()))
        })
        .collect()
}

/// The positions of `texts` sorted by length, cut into batches of `BATCH` and dealt out to
/// `workers` in turn: one list of positions per worker, batch after batch.
fn shares_by_length(texts: &[&str], workers: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| texts[i].len());
    let workers = workers.max(1);
    let batches: Vec<&[usize]> = order.chunks(BATCH).collect();
    let share = |worker: usize| {
        let mine = batches.iter().skip(worker).step_by(workers);
        mine.flat_map(|batch| batch.iter().copied()).collect()
    };
    (0..workers).map(share).collect()
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

/// The examples' texts read as the server reads a message (`KnowledgeBase::read_message`):
/// Cantonese and traditional characters as Mandarin. Both trainers learn from these.
pub fn read_as_served(examples: &[Example]) -> Vec<String> {
    examples.iter().map(|e| mandarin(&e.text)).collect()
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
    let read = read_as_served(examples);
    let texts: Vec<&str> = read.iter().map(String::as_str).collect();
    let features = featurize(encoder, &texts)?;
    let classes = labels.len();
    // The served head trains beside the folds' heads: six share the cores, not five then one.
    let (head, logits) = beside(
        || LinearHead::train(&features, &gold, classes, options),
        || out_of_fold_logits(&features, &gold, classes, options),
    )?;
    let logits = logits?;
    let calibration = calibrate_weighted(&labels, &logits, &gold, OUT_OF_SCOPE_WEIGHT);
    let langs: Vec<&str> = texts.iter().map(|t| language_of(t)).collect();
    let languages = calibrate_languages(&labels, &logits, &gold, &langs);
    Ok(IntentModel {
        meta: ModelMeta {
            format: FORMAT.into(),
            dense_dim: encoder.dim(),
            sparse_dim: SPARSE_DIM,
            temperature: calibration.temperature,
            threshold: calibration.threshold,
            examples: examples.len(),
            validation: calibration.validation,
            languages,
            labels,
            neighbours: true,
        },
        head,
        neighbours: Some(neighbours_of(&features, &gold)),
    })
}

/// Every example's logits from a head that never saw it: `FOLDS` heads, each trained without
/// one stratified fold. Calibrating on all of them instead of one small validation split makes
/// the temperature and threshold stable even for rare classes such as out-of-scope.
fn out_of_fold_logits(
    features: &[Features],
    gold: &[usize],
    classes: usize,
    options: TrainOptions,
) -> Result<Vec<Vec<f32>>, NluError> {
    let folds = in_parallel(FOLDS, |fold| {
        fold_logits(features, gold, classes, fold, options)
    })?;
    let mut logits = vec![Vec::new(); features.len()];
    for (i, row) in folds.into_iter().flatten() {
        logits[i] = row;
    }
    Ok(logits)
}

/// Trains without fold `fold` and returns the logits of the held-out examples.
fn fold_logits(
    features: &[Features],
    gold: &[usize],
    classes: usize,
    fold: usize,
    options: TrainOptions,
) -> Vec<(usize, Vec<f32>)> {
    let (train_idx, held_idx) = fold_split(gold, classes, fold);
    if held_idx.is_empty() {
        return Vec::new();
    }
    let (xs, ys) = subset(features, gold, &train_idx);
    let head = LinearHead::train(&xs, &ys, classes, options);
    let neighbours = neighbours_of(&xs, &ys);
    held_idx
        .into_iter()
        .map(|i| {
            let logits = head.logits(&features[i]);
            (i, neighbours.log_blend(logits, &features[i].dense))
        })
        .collect()
}

/// The examples as neighbours (see [`super::neighbours`]).
fn neighbours_of(features: &[Features], gold: &[usize]) -> Neighbours {
    let embeddings: Vec<&[f32]> = features.iter().map(|f| f.dense.as_slice()).collect();
    Neighbours::new(&embeddings, gold)
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

/// Fold `fold` of `FOLDS`: the n-th example of each intent is held out when n % FOLDS == fold.
/// Intents with fewer than `FOLDS` examples are never held out.
fn fold_split(gold: &[usize], classes: usize, fold: usize) -> (Vec<usize>, Vec<usize>) {
    let mut totals = vec![0usize; classes];
    gold.iter().for_each(|&label| totals[label] += 1);
    let mut seen = vec![0usize; classes];
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (i, &label) in gold.iter().enumerate() {
        let n = seen[label];
        seen[label] += 1;
        if totals[label] >= FOLDS && n % FOLDS == fold {
            held.push(i);
        } else {
            train.push(i);
        }
    }
    (train, held)
}

/// `work(0..count)` on one thread each, results in order. Folds (and embedding workers) are
/// independent, so they run in parallel; each is seeded, so the result does not depend on
/// scheduling.
pub fn in_parallel<T: Send>(
    count: usize,
    work: impl Fn(usize) -> T + Sync,
) -> Result<Vec<T>, NluError> {
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count).map(|i| scope.spawn(move || work(i))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| NluError::Training("a training worker panicked".into()))
            })
            .collect()
    })
}

/// `side` on a thread of its own while `main` runs on this one: (side's result, main's).
pub fn beside<T: Send, U>(
    side: impl FnOnce() -> T + Send,
    main: impl FnOnce() -> U,
) -> Result<(T, U), NluError> {
    std::thread::scope(|scope| {
        let side = scope.spawn(side);
        let main = main();
        let side = side
            .join()
            .map_err(|_| NluError::Training("a training worker panicked".into()))?;
        Ok((side, main))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_embedded_once_in_batches_of_about_its_length() {
        let texts: Vec<String> = (0..100).map(|i| "x".repeat((i * 37) % 61)).collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let shares = shares_by_length(&texts, 2);
        let mut all: Vec<usize> = shares.concat();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        for share in &shares {
            for batch in share.chunks(BATCH) {
                let lengths: Vec<usize> = batch.iter().map(|&i| texts[i].len()).collect();
                assert!(lengths.is_sorted(), "{lengths:?}");
            }
        }
        assert!(shares[0].len().abs_diff(shares[1].len()) <= BATCH);
    }
}
