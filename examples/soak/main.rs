//! Soak, crash and shutdown runs against the release binary (issue 11's acceptance; numbers in
//! BENCHMARKS.md). Three modes:
//!
//! - `soak`: `--clients` closed loops for `--seconds` over many conversations; prints msgs/s per
//!   10-second window, latency, status counts and RSS; `--check` fails the run if a window falls
//!   below half the median, a 5xx other than `503` + `Retry-After` appears, RSS grows, or the
//!   server stops answering.
//! - `kill`: `--rounds` of load, SIGKILL mid-load, restart; every acknowledged message must be in
//!   its transcript exactly once.
//! - `sigterm`: load plus open event streams, SIGTERM: the process must exit within 5 s and
//!   nothing acknowledged may be lost.
//! - `engines`: the same load on sled, on one PostgreSQL replica and on two (clients split over
//!   them), in one run; prints msgs/s and latency for each (needs `--postgres`).
//!
//! cargo run --release --example soak -- soak --clients 256 --seconds 600
//! cargo run --release --example soak -- kill --rounds 10 [--postgres postgres://…]

mod load;
mod server;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use server::{Server, Storage};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Soak,
    Kill,
    Sigterm,
    Engines,
}

#[derive(Parser)]
struct Args {
    mode: Mode,
    #[arg(long, default_value_t = 64)]
    clients: usize,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    #[arg(long, default_value_t = 512)]
    conversations: usize,
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Fail (exit 1) when the soak's acceptance does not hold.
    #[arg(long)]
    check: bool,
    /// Run on PostgreSQL (a fresh schema in this database) instead of sled.
    #[arg(long)]
    postgres: Option<String>,
    #[arg(long, default_value = "target/release/switchboard")]
    binary: PathBuf,
    #[arg(long, default_value = ".cache/models/intents")]
    model: PathBuf,
}

const WINDOW: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let storage = Storage {
        data_dir: dir.path().to_path_buf(),
        postgres: args.postgres.clone().map(|url| {
            let schema = format!("soak{}", uuid::Uuid::new_v4().simple());
            (url, schema)
        }),
    };
    let engine = if storage.postgres.is_some() {
        "postgres"
    } else {
        "sled"
    };
    println!("engine: {engine}; machine: {} cores", num_cpus());
    let passed = match args.mode {
        Mode::Soak => soak(&args, &storage).await,
        Mode::Kill => kill_rounds(&args, &storage).await,
        Mode::Sigterm => sigterm(&args, &storage).await,
        Mode::Engines => engines(&args, dir.path()).await,
    };
    if passed || !args.check && args.mode == Mode::Soak {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

async fn soak(args: &Args, storage: &Storage) -> bool {
    let server = Server::start(&args.binary, storage, &args.model);
    let client = reqwest::Client::new();
    let ids = load::open_conversations(&client, &server.address, args.conversations).await;
    let rss = sample_rss(&server);
    eprintln!(
        "load started: {} clients on {} (pid {})",
        args.clients,
        server.address,
        server.pid()
    );
    let duration = Duration::from_secs(args.seconds);
    let outcome = load::run(&server.address, &ids, args.clients, duration, WINDOW, 0).await;
    let samples = rss.stop();
    let healthy = client
        .get(format!("{}/health", server.address))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    server.kill();
    report_soak(args, &outcome, &samples, healthy)
}

/// RSS sampled once per window while the load runs.
struct RssSampler {
    samples: std::sync::Arc<std::sync::Mutex<Vec<f64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn stop(self) -> Vec<f64> {
        self.task.abort();
        self.samples.lock().expect("samples").clone()
    }
}

fn sample_rss(server: &Server) -> RssSampler {
    let samples = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let pid = server.pid();
    let shared = std::sync::Arc::clone(&samples);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(WINDOW);
        loop {
            tick.tick().await;
            if let Some(mb) = server::rss_of(pid) {
                shared.lock().expect("samples").push(mb);
            }
        }
    });
    RssSampler { samples, task }
}

fn report_soak(args: &Args, outcome: &load::Outcome, rss: &[f64], healthy: bool) -> bool {
    let rates: Vec<f64> = outcome
        .windows
        .iter()
        .map(|n| *n as f64 / WINDOW.as_secs_f64())
        .collect();
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let worst = sorted.first().copied().unwrap_or(0.0);
    let total = outcome.acknowledged_count() as f64 / args.seconds as f64;
    println!(
        "clients {} for {} s: {total:.1} msgs/s, p50 {:.1} ms, p99 {:.1} ms",
        args.clients,
        args.seconds,
        outcome.percentile(50.0),
        outcome.percentile(99.0)
    );
    println!("per 10 s window (msgs/s): {}", fmt_list(&rates));
    println!(
        "median window {median:.1}, worst {worst:.1} ({:.0}% of median)",
        100.0 * worst / median.max(1e-9)
    );
    println!(
        "statuses {:?}; 503 without Retry-After {}; transport errors {}",
        outcome.statuses, outcome.unhinted_503, outcome.transport_errors
    );
    println!("RSS MB per window: {}", fmt_list(rss));
    let first = rss.get(1).or(rss.first()).copied().unwrap_or(0.0);
    let middle = rss.get(rss.len() / 2).copied().unwrap_or(0.0);
    let last = rss.last().copied().unwrap_or(0.0);
    // Bounded caches fill during the first half (sled's page cache grows with the data up to
    // `storage.sled_cache_mb`, the allocator's arenas with the peak concurrency); a leak keeps
    // growing through the second half.
    let flat = last <= middle * 1.1 + 16.0;
    let steady = worst >= median / 2.0;
    let clean = outcome.server_errors() == 0 && outcome.transport_errors == 0;
    println!(
        "steady: {steady}; no stray 5xx: {clean}; RSS flat: {flat} ({first:.0} -> {middle:.0} at half time -> {last:.0} MB); healthy after: {healthy}"
    );
    steady && clean && flat && healthy
}

fn fmt_list(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.0}"))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn kill_rounds(args: &Args, storage: &Storage) -> bool {
    let client = reqwest::Client::new();
    let mut acknowledged = Vec::new();
    let mut ids = Vec::new();
    for round in 0..args.rounds {
        let server = Server::start(&args.binary, storage, &args.model);
        if ids.is_empty() {
            ids = load::open_conversations(&client, &server.address, args.conversations).await;
        }
        let address = server.address.clone();
        let (clients, conversations) = (args.clients, ids.clone());
        let load = tokio::spawn(async move {
            load::run(
                &address,
                &conversations,
                clients,
                Duration::from_secs(3600),
                WINDOW,
                round,
            )
            .await
        });
        let pause = 1_500 + fastrand::u64(0..2_500);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        server.kill();
        let outcome = load.await.expect("load task");
        println!(
            "round {}: killed after {pause} ms, {} acknowledged",
            round + 1,
            outcome.acknowledged_count()
        );
        acknowledged.extend(outcome.acknowledged);
    }
    let server = Server::start(&args.binary, storage, &args.model);
    let check = verify::transcripts(&client, &server.address, &acknowledged).await;
    server.kill();
    println!(
        "{} rounds: {} acknowledged, {} missing, {} doubled",
        args.rounds, check.acknowledged, check.missing, check.doubled
    );
    check.passed()
}

async fn sigterm(args: &Args, storage: &Storage) -> bool {
    let client = reqwest::Client::new();
    let server = Server::start(&args.binary, storage, &args.model);
    let ids = load::open_conversations(&client, &server.address, args.conversations).await;
    let mut streams = Vec::new();
    for id in ids.iter().take(8) {
        let stream = client
            .get(format!("{}/v1/conversations/{id}/events", server.address))
            .send()
            .await;
        streams.push(stream.expect("event stream"));
    }
    let (address, clients, conversations) = (server.address.clone(), args.clients, ids.clone());
    let load = tokio::spawn(async move {
        load::run(
            &address,
            &conversations,
            clients,
            Duration::from_secs(3600),
            WINDOW,
            0,
        )
        .await
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    let exited = tokio::task::spawn_blocking(move || server.terminate(Duration::from_secs(10)))
        .await
        .expect("terminate");
    let outcome = load.await.expect("load task");
    drop(streams);
    let restarted = Server::start(&args.binary, storage, &args.model);
    let check = verify::transcripts(&client, &restarted.address, &outcome.acknowledged).await;
    restarted.kill();
    let seconds = exited.map(|d| d.as_secs_f64());
    println!(
        "SIGTERM with {} clients and 8 open event streams: exited after {seconds:?} s; {} acknowledged, {} missing, {} doubled",
        args.clients, check.acknowledged, check.missing, check.doubled
    );
    exited.is_some_and(|d| d < Duration::from_secs(5)) && check.passed()
}

/// One row of the engines table: `replicas` servers on one store, clients split over them.
async fn engine_row(args: &Args, storage: &Storage, replicas: usize) -> load::Outcome {
    let servers: Vec<Server> = (0..replicas)
        .map(|_| Server::start(&args.binary, storage, &args.model))
        .collect();
    let client = reqwest::Client::new();
    let ids = load::open_conversations(&client, &servers[0].address, args.conversations).await;
    let addresses: Vec<String> = servers.iter().map(|s| s.address.clone()).collect();
    let duration = Duration::from_secs(args.seconds);
    let mut runs = tokio::task::JoinSet::new();
    for (n, address) in addresses.into_iter().enumerate() {
        let (ids, clients) = (
            ids.clone(),
            args.clients / replicas + usize::from(n < args.clients % replicas),
        );
        runs.spawn(async move { load::run(&address, &ids, clients, duration, WINDOW, n).await });
    }
    let mut total = load::Outcome::default();
    for outcome in runs.join_all().await {
        total.acknowledged.extend(outcome.acknowledged);
        total.latencies_ms.extend(outcome.latencies_ms);
        for (status, count) in outcome.statuses {
            *total.statuses.entry(status).or_default() += count;
        }
    }
    for server in servers {
        server.kill();
    }
    total
}

async fn engines(args: &Args, dir: &std::path::Path) -> bool {
    let Some(url) = args.postgres.clone() else {
        eprintln!("engines: give --postgres URL");
        return false;
    };
    let sled = Storage {
        data_dir: dir.join("sled"),
        postgres: None,
    };
    let rows = [
        ("sled", sled, 1),
        ("postgres, 1 replica", pg_storage(dir, &url, "one"), 1),
        ("postgres, 2 replicas", pg_storage(dir, &url, "two"), 2),
    ];
    println!("| store | clients | msgs/s | p50 ms | p99 ms | non-200 |");
    println!("|---|---|---|---|---|---|");
    for (name, storage, replicas) in rows {
        let outcome = engine_row(args, &storage, replicas).await;
        let rate = outcome.acknowledged_count() as f64 / args.seconds as f64;
        let refused: usize = outcome
            .statuses
            .iter()
            .filter(|(s, _)| **s != 200)
            .map(|(_, n)| n)
            .sum();
        println!(
            "| {name} | {} | {rate:.1} | {:.1} | {:.1} | {refused} |",
            args.clients,
            outcome.percentile(50.0),
            outcome.percentile(99.0)
        );
    }
    true
}

fn pg_storage(dir: &std::path::Path, url: &str, name: &str) -> Storage {
    let id = uuid::Uuid::new_v4().simple().to_string();
    // storage.schema allows 40 characters.
    let schema = format!("engines_{name}_{}", &id[..12]);
    Storage {
        data_dir: dir.join(name),
        postgres: Some((url.to_string(), schema)),
    }
}
