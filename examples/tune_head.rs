//! Sweeps the intent head's training options on a split carved from the training data (every 5th
//! example of each intent held out), embedding the data once. A tuning tool: the numbers it
//! prints are validation numbers, never the ones to report as final.
//!
//! cargo run --release --example tune_head -- --data ../shared/datasets/banking77/train.csv

use std::path::PathBuf;

use clap::Parser;
use switchboard::config::Settings;
use switchboard::nlu::head::{LinearHead, TrainOptions, argmax};
use switchboard::nlu::{dataset, train};
use switchboard::startup;

/// Every n-th example of each intent is held out for scoring.
const HELD_OUT_EVERY: usize = 5;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data: PathBuf,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let encoder = startup::load_encoder(&Settings::defaults())?;
    let examples = dataset::load(&args.data)?;
    let (labels, gold) = train::label_indices(&examples);
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let features = train::featurize(&encoder, &texts)?;
    let (fit, held) = train::split(&gold, labels.len(), HELD_OUT_EVERY);
    let (fit_x, fit_y) = train::subset(&features, &gold, &fit);
    let (held_x, held_y) = train::subset(&features, &gold, &held);
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
