//! Probe: does blending the head with nearest training examples help? Split carved from the
//! training data (every 5th example of each intent held out).
//!
//! cargo run --release --example knn_probe -- --data models/intents/train.yaml

use std::path::PathBuf;

use clap::Parser;
use switchboard::config::Settings;
use switchboard::nlu::head::{LinearHead, TrainOptions, argmax, softmax};
use switchboard::nlu::{dataset, train};
use switchboard::startup;

const HELD_OUT_EVERY: usize = 5;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    data: PathBuf,
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let encoder = startup::load_encoder(&Settings::defaults())?;
    let examples = dataset::load(&args.data)?;
    let (labels, gold) = train::label_indices(&examples);
    let read = train::read_as_served(&examples);
    let texts: Vec<&str> = read.iter().map(String::as_str).collect();
    let features = train::featurize(&encoder, &texts)?;
    let (fit, held) = train::split(&gold, labels.len(), HELD_OUT_EVERY);
    let (fit_x, fit_y) = train::subset(&features, &gold, &fit);
    let (held_x, held_y) = train::subset(&features, &gold, &held);
    let head = LinearHead::train(&fit_x, &fit_y, labels.len(), TrainOptions::default());
    let classes = labels.len();
    let rows: Vec<(Vec<f32>, Vec<f32>)> = held_x
        .iter()
        .map(|x| {
            let mut p = head.logits(x);
            softmax(&mut p);
            let mut best = vec![-1.0f32; classes];
            let mut second = vec![-1.0f32; classes];
            for (f, &y) in fit_x.iter().zip(&fit_y) {
                let c = cosine(&x.dense, &f.dense);
                if c > best[y] {
                    second[y] = best[y];
                    best[y] = c;
                } else if c > second[y] {
                    second[y] = c;
                }
            }
            let sims: Vec<f32> = best
                .iter()
                .zip(&second)
                .map(|(a, b)| (a + b) / 2.0)
                .collect();
            (p, sims)
        })
        .collect();
    for tau in [0.005f32, 0.01, 0.015] {
        for lambda in [0.0f32, 0.1, 0.15, 0.2, 0.25, 0.3] {
            let correct = rows
                .iter()
                .zip(&held_y)
                .filter(|((p, sims), y)| {
                    let mut k: Vec<f32> = sims.iter().map(|s| s / tau).collect();
                    softmax(&mut k);
                    let blend: Vec<f32> = p
                        .iter()
                        .zip(&k)
                        .map(|(a, b)| (1.0 - lambda) * a + lambda * b)
                        .collect();
                    argmax(&blend) == **y
                })
                .count();
            println!(
                "tau {tau:<5} lambda {lambda:<5} accuracy {:.4} ({} held out)",
                correct as f64 / held_y.len() as f64,
                held_y.len()
            );
        }
    }
    Ok(())
}
