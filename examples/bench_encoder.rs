//! The encoder alone, sentences per second: each graph (MiniLM fp32, MiniLM int8, e5 4-bit) at
//! batch 1 (one caller, one text per run), in batches of 32 (one caller), and through the
//! micro-batcher with `--callers` threads each embedding one text at a time (what concurrent
//! messages do). Texts: benches/data/load_messages_{en,zh}.txt (Chinese for e5).
//!
//! cargo run --release --example bench_encoder -- --seconds 3

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use switchboard::config::Settings;
use switchboard::nlu::batcher::BatchOptions;
use switchboard::nlu::{Encoder, EncoderKind, EncoderOptions};

#[derive(Parser)]
struct Args {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Concurrent callers for the micro-batched measurement.
    #[arg(long, default_value_t = 16)]
    callers: usize,
    /// Intra-op threads per session (sessions = 2 / threads, so both cores are used).
    #[arg(long, default_value_t = 1)]
    intra_threads: usize,
}

fn messages(file: &str) -> Result<Vec<String>, std::io::Error> {
    let text = std::fs::read_to_string(PathBuf::from("benches/data").join(file))?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

fn load(
    kind: EncoderKind,
    file: &str,
    sessions: usize,
    threads: usize,
    batch: bool,
) -> Result<Encoder, Box<dyn std::error::Error>> {
    let mut options = EncoderOptions::from_settings(&Settings::defaults())?;
    options.kind = kind;
    options.model_file = file.to_string();
    options.sessions = sessions;
    options.multilingual_sessions = sessions;
    options.intra_threads = threads;
    options.cache_entries = 0;
    options.batch = batch.then_some(BatchOptions {
        max_batch: 32,
        max_wait: Duration::ZERO,
    });
    Ok(Encoder::load(&options)?)
}

/// Texts per second with `callers` threads, each embedding `per_call` texts per call.
fn rate(encoder: &Encoder, texts: &[String], callers: usize, per_call: usize, seconds: f64) -> f64 {
    let (done, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for caller in 0..callers {
            let (done, stop) = (&done, &stop);
            scope.spawn(move || {
                let mut i = caller * 7;
                while !stop.load(Ordering::Relaxed) {
                    let batch: Vec<&str> = (0..per_call)
                        .map(|k| texts[(i + k) % texts.len()].as_str())
                        .collect();
                    i += per_call;
                    if encoder.embed(&batch).is_ok() {
                        done.fetch_add(per_call, Ordering::Relaxed);
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (en, zh) = (
        messages("load_messages_en.txt")?,
        messages("load_messages_zh.txt")?,
    );
    let threads = args.intra_threads.max(1);
    let sessions = (2 / threads).max(1);
    println!(
        "| graph | texts | batch 1, 1 caller (2 threads) | batch 32, 1 caller (2 threads) | {} callers, micro-batched ({sessions} sessions x {threads} threads) |",
        args.callers
    );
    println!("|---|---|---|---|---|");
    let graphs = [
        ("MiniLM fp32", EncoderKind::MiniLm, "model.onnx", &en, "en"),
        (
            "MiniLM int8",
            EncoderKind::MiniLm,
            "model.int8.onnx",
            &en,
            "en",
        ),
        ("e5-small 4-bit", EncoderKind::E5, "model.onnx", &zh, "zh"),
        ("e5-small 4-bit", EncoderKind::E5, "model.onnx", &en, "en"),
    ];
    for (name, kind, file, texts, lang) in graphs {
        let single = load(kind, file, 1, 2, false)?;
        let one = rate(&single, texts, 1, 1, args.seconds);
        let batched = rate(&single, texts, 1, 32, args.seconds);
        drop(single);
        let pooled = Arc::new(load(kind, file, sessions, threads, true)?);
        let micro = rate(&pooled, texts, args.callers, 1, args.seconds);
        println!("| {name} | {lang} | {one:.0}/s | {batched:.0}/s | {micro:.0}/s |");
    }
    Ok(())
}
