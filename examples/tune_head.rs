//! Sweeps the intent head's training options on a split carved from the training data (every 5th
//! example of each intent held out), embedding the data once. A tuning tool: the numbers it
//! prints are validation numbers, never the ones to report as final.
//!
//! cargo run --release --example tune_head -- --data ../shared/datasets/banking77/train.csv

use std::path::PathBuf;

use clap::Parser;
use switchboard::config::Settings;
use switchboard::nlu::head::{Features, LinearHead, TrainOptions};
use switchboard::nlu::{dataset, train};
use switchboard::startup;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data: PathBuf,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let encoder = startup::load_encoder(&Settings::defaults())?;
    let examples = dataset::load(&args.data)?;
    let mut labels: Vec<&str> = examples.iter().map(|e| e.intent.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    let gold: Vec<usize> = examples
        .iter()
        .map(|e| labels.binary_search(&e.intent.as_str()).unwrap_or(0))
        .collect();
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let features = train::featurize(&encoder, &texts)?;
    let mut seen = vec![0usize; labels.len()];
    let (mut fit, mut held) = (Vec::new(), Vec::new());
    for (i, &label) in gold.iter().enumerate() {
        seen[label] += 1;
        if seen[label].is_multiple_of(5) {
            held.push(i);
        } else {
            fit.push(i);
        }
    }
    let pick = |idx: &[usize]| -> (Vec<Features>, Vec<usize>) {
        idx.iter()
            .map(|&i| {
                let f = &features[i];
                let copy = Features {
                    dense: f.dense.clone(),
                    sparse: f.sparse.clone(),
                };
                (copy, gold[i])
            })
            .unzip()
    };
    let (fit_x, fit_y) = pick(&fit);
    let (held_x, held_y) = pick(&held);
    for epochs in [10, 20] {
        for learning_rate in [0.1, 0.3] {
            for l2 in [1e-6, 1e-5] {
                let options = TrainOptions {
                    epochs,
                    learning_rate,
                    l2,
                    seed: 42,
                };
                let head = LinearHead::train(&fit_x, &fit_y, labels.len(), options);
                let correct = held_x
                    .iter()
                    .zip(&held_y)
                    .filter(|(x, y)| argmax(&head.logits(x)) == **y)
                    .count();
                let accuracy = correct as f64 / held_y.len() as f64;
                println!(
                    "epochs {epochs:>2} lr {learning_rate:<4} l2 {l2:<7} accuracy {accuracy:.4}"
                );
            }
        }
    }
    Ok(())
}

fn argmax(values: &[f32]) -> usize {
    (0..values.len())
        .max_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0)
}
