//! Load generator for the message path over HTTP. Each request is a fresh conversation and one
//! customer message drawn from a held-out file, so every message runs the full path (classify,
//! search, store, fsync). `--peer` sends `POST /parse {"text"}` instead, for the Python peer.
//!
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 --requests 3000 --concurrency 4

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, default_value_t = 3000)]
    requests: usize,
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Messages to send (YAML `intent: [texts]`, CSV or JSONL, as for `switchboard train`).
    #[arg(long, default_value = "models/intents/test.yaml")]
    messages: std::path::PathBuf,
    /// Target the Python peer's `POST /parse` instead of Switchboard's message API.
    #[arg(long)]
    peer: bool,
}

struct Target {
    client: reqwest::Client,
    url: String,
    peer: bool,
}

impl Target {
    /// Sends one message; returns the latency of the message request alone, in ms.
    async fn send(&self, text: &str) -> Result<f64, String> {
        let body = serde_json::json!({ "text": text });
        let url = if self.peer {
            format!("{}/parse", self.url)
        } else {
            let created = self
                .client
                .post(format!("{}/v1/conversations", self.url))
                .send()
                .await;
            let created: serde_json::Value = created
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let id = created["id"]
                .as_str()
                .ok_or("no conversation id")?
                .to_string();
            format!("{}/v1/conversations/{id}/messages", self.url)
        };
        let started = Instant::now();
        let response = self
            .client
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        response.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("status {status}"));
        }
        Ok(started.elapsed().as_secs_f64() * 1000.0)
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let texts: Arc<Vec<String>> = Arc::new(
        switchboard::nlu::dataset::load(&args.messages)?
            .into_iter()
            .map(|e| e.text)
            .collect(),
    );
    let target = Arc::new(Target {
        client: reqwest::Client::new(),
        url: args.url.clone(),
        peer: args.peer,
    });
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (target, texts, next, total) = (
            Arc::clone(&target),
            Arc::clone(&texts),
            Arc::clone(&next),
            args.requests,
        );
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), Vec::new());
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return (latencies, errors);
                }
                match target.send(&texts[i % texts.len()]).await {
                    Ok(ms) => latencies.push(ms),
                    Err(e) => errors.push(e),
                }
            }
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), Vec::new());
    for worker in workers {
        let (l, e) = worker.await?;
        latencies.extend(l);
        errors.extend(e);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    if latencies.is_empty() {
        return Err(format!("every request failed, first: {:?}", errors.first()).into());
    }
    println!(
        "{} ok, {} errors, concurrency {}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.0} msg/s",
        latencies.len(),
        errors.len(),
        args.concurrency,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
        latencies.len() as f64 / seconds
    );
    Ok(())
}
