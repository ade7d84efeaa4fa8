//! Closed-loop load driver for the message path over HTTP. For each client count, that many
//! clients each hold `--conversations` open conversations and post the next message of
//! `--messages` to them in turn, one request at a time, for `--seconds` (after a short warm-up).
//! A conversation the bot handed to a person (its replies would skip the classifier) is replaced
//! by a fresh one, outside the timed request. `--peer` sends `POST /parse {"text"}` instead, for
//! the Python peer. With `--pid`, the server's RSS (VmRSS, and its peak VmHWM) is read after
//! each point. One JSON line per point on stdout (for benches/compare.py) and a summary on stderr.
//!
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 --clients 1,4,16 --seconds 10

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Client counts, one measurement each.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64,256")]
    clients: Vec<usize>,
    /// Timed seconds per client count.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Untimed warm-up seconds before each point.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Conversations each client keeps open and writes to in turn.
    #[arg(long, default_value_t = 4)]
    conversations: usize,
    /// Messages, one per line (`#` lines skipped), sent in turn.
    #[arg(long, default_value = "benches/data/load_messages_en.txt")]
    messages: std::path::PathBuf,
    /// Target the Python peer's `POST /parse` instead of Switchboard's message API.
    #[arg(long)]
    peer: bool,
    /// Process id of the server, to report its memory.
    #[arg(long)]
    pid: Option<u32>,
    /// A label for the JSON lines.
    #[arg(long, default_value = "switchboard")]
    label: String,
}

struct Target {
    client: reqwest::Client,
    url: String,
    peer: bool,
}

/// What one client saw during a point.
#[derive(Default)]
struct Tally {
    errors: BTreeMap<String, usize>,
    /// Latencies of each reply action: all of them together, their counts, and which path makes
    /// the tail.
    by_action: BTreeMap<String, Vec<f64>>,
}

impl Target {
    async fn new_conversation(&self) -> Result<String, String> {
        let created = self
            .client
            .post(format!("{}/v1/conversations", self.url))
            .send()
            .await
            .map_err(|e| format!("create: {e}"))?;
        let created: serde_json::Value = created.json().await.map_err(|e| e.to_string())?;
        Ok(created["id"]
            .as_str()
            .ok_or("no conversation id")?
            .to_string())
    }

    /// Sends one message; returns its latency in ms and the bot's action.
    async fn send(&self, conversation: &str, text: &str) -> Result<(f64, String), String> {
        let url = if self.peer {
            format!("{}/parse", self.url)
        } else {
            format!("{}/v1/conversations/{conversation}/messages", self.url)
        };
        let started = Instant::now();
        let response = self
            .client
            .post(url)
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| format!("read: {e}"))?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() {
            return Err(format!("status {}", status.as_u16()));
        }
        let reply: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let action = reply["action"].as_str().unwrap_or("parsed").to_string();
        Ok((ms, action))
    }
}

/// One client: its conversations, written to in turn until `stop`; records once `timing`.
async fn client(
    target: Arc<Target>,
    texts: Arc<Vec<String>>,
    index: usize,
    conversations: usize,
    timing: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut tally = Tally::default();
    let mut open = Vec::new();
    for _ in 0..conversations.max(1) {
        match target.peer {
            true => open.push(String::new()),
            false => match target.new_conversation().await {
                Ok(id) => open.push(id),
                Err(e) => *tally.errors.entry(e).or_default() += 1,
            },
        }
    }
    let mut turn = index * 5;
    while !stop.load(Ordering::Relaxed) && !open.is_empty() {
        let slot = turn % open.len();
        let result = target.send(&open[slot], &texts[turn % texts.len()]).await;
        turn += 1;
        let recording = timing.load(Ordering::Relaxed);
        match result {
            Ok((ms, action)) => {
                if recording {
                    tally.by_action.entry(action.clone()).or_default().push(ms);
                }
                if (action == "escalated" || action == "queued")
                    && let Ok(id) = target.new_conversation().await
                {
                    open[slot] = id;
                }
            }
            Err(e) if recording => *tally.errors.entry(e).or_default() += 1,
            Err(_) => {}
        }
    }
    tally
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len().max(1)) - 1)
        .copied()
        .unwrap_or(0.0)
}

/// VmRSS and VmHWM of `pid`, in MB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn point(args: &Args, target: &Arc<Target>, texts: &Arc<Vec<String>>, clients: usize) {
    let (timing, stop) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let workers: Vec<_> = (0..clients)
        .map(|i| {
            let (target, texts) = (Arc::clone(target), Arc::clone(texts));
            let (timing, stop) = (Arc::clone(&timing), Arc::clone(&stop));
            tokio::spawn(client(target, texts, i, args.conversations, timing, stop))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    timing.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
    timing.store(false, Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut all = Tally::default();
    for worker in workers {
        let Ok(tally) = worker.await else { continue };
        tally
            .errors
            .into_iter()
            .for_each(|(k, v)| *all.errors.entry(k).or_default() += v);
        tally
            .by_action
            .into_iter()
            .for_each(|(k, v)| all.by_action.entry(k).or_default().extend(v));
    }
    let mut latencies: Vec<f64> = all.by_action.values().flatten().copied().collect();
    latencies.sort_by(f64::total_cmp);
    for of_action in all.by_action.values_mut() {
        of_action.sort_by(f64::total_cmp);
    }
    let actions: BTreeMap<&String, usize> =
        all.by_action.iter().map(|(a, l)| (a, l.len())).collect();
    let p99_by_action: BTreeMap<&String, f64> = all
        .by_action
        .iter()
        .map(|(action, latencies)| (action, percentile(latencies, 0.99)))
        .collect();
    let (rss, peak) = args.pid.map_or((0.0, 0.0), memory);
    let line = serde_json::json!({
        "label": args.label,
        "clients": clients,
        "seconds": seconds,
        "ok": latencies.len(),
        "msgs_per_s": latencies.len() as f64 / seconds,
        "p50_ms": percentile(&latencies, 0.50),
        "p99_ms": percentile(&latencies, 0.99),
        "errors": all.errors.values().sum::<usize>(),
        "error_kinds": all.errors,
        "actions": actions,
        "p99_ms_by_action": p99_by_action,
        "rss_mb": rss,
        "peak_rss_mb": peak,
    });
    eprintln!(
        "{} c={clients}: {:.0} msg/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, RSS {rss:.0} MB",
        args.label, line["msgs_per_s"], line["p50_ms"], line["p99_ms"], line["errors"]
    );
    println!("{line}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let texts: Vec<String> = std::fs::read_to_string(&args.messages)?
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    if texts.is_empty() {
        return Err(format!("no messages in {}", args.messages.display()).into());
    }
    let target = Arc::new(Target {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .build()?,
        url: args.url.clone(),
        peer: args.peer,
    });
    let texts = Arc::new(texts);
    for &clients in &args.clients {
        point(&args, &target, &texts, clients.max(1)).await;
    }
    Ok(())
}
