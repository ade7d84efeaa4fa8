//! The server under test: the release binary started on port 0 with its own data directory (or
//! PostgreSQL schema), stopped with SIGKILL or SIGTERM, and its resident memory read from /proc.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the server keeps its state: sled under a directory, or a PostgreSQL schema.
#[derive(Clone)]
pub struct Storage {
    pub data_dir: PathBuf,
    pub postgres: Option<(String, String)>,
}

pub struct Server {
    child: Child,
    pub address: String,
}

impl Server {
    /// Starts `binary serve` and waits for its "listening on" line.
    pub fn start(binary: &Path, storage: &Storage, model_dir: &Path) -> Server {
        let vectors = storage.data_dir.join("kb").join("vectors.bin");
        seed_vectors(&vectors);
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env("SWITCHBOARD__SERVER__PORT", "0")
            .env("SWITCHBOARD__PATHS__DATA_DIR", &storage.data_dir)
            .env("SWITCHBOARD__PATHS__MODEL_DIR", model_dir)
            // The load comes from one address and one tenant: no rate limits.
            .env("SWITCHBOARD__LIMITS__IP_PER_MINUTE", "0")
            .env("SWITCHBOARD__LIMITS__TENANT_PER_MINUTE", "0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped());
        if let Some((url, schema)) = &storage.postgres {
            command
                .env("SWITCHBOARD__STORAGE__URL", url)
                .env("SWITCHBOARD__STORAGE__SCHEMA", schema);
        }
        let mut child = command.spawn().expect("start the server binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no listening line, got {line:?}"))
            .to_string();
        keep_vectors(&vectors);
        Server { child, address }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        let _already_dead = self.child.kill();
        let _reaped = self.child.wait();
    }

    /// Sends SIGTERM and waits up to `limit` for the process to exit; returns how long it took
    /// (None: still running at the limit, then killed).
    pub fn terminate(mut self, limit: Duration) -> Option<Duration> {
        let started = Instant::now();
        send_signal(self.pid(), "TERM");
        while started.elapsed() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

/// The knowledge base's passage vectors, kept between runs: a fresh data directory would
/// otherwise spend minutes (on 2 cores) embedding the KB before it listens. The file carries the
/// fingerprint of the encoder that made it and the server ignores another encoder's, so any copy
/// is safe to offer: a stale one costs time, never correctness.
const SHARED_VECTORS: &str = ".cache/soak/kb-vectors.bin";

/// Gives a fresh data directory the kept vectors, or else the integration suite's
/// (`target/test-kb-vectors-*`, newest first). Only a speed-up: without a copy the server
/// embeds the KB itself.
fn seed_vectors(to: &Path) {
    if to.exists() {
        return;
    }
    let Some(from) = std::iter::once(PathBuf::from(SHARED_VECTORS))
        .chain(integration_suite_vectors())
        .find(|path| path.exists())
    else {
        return;
    };
    if let Some(parent) = to.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::copy(from, to);
}

/// The vectors the integration suite left under `target/`, newest first.
fn integration_suite_vectors() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("target") else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("test-kb-vectors-")
        })
        .map(|entry| entry.path().join("kb").join("vectors.bin"))
        .filter_map(|path| Some((path.metadata().ok()?.modified().ok()?, path)))
        .collect();
    found.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    found.into_iter().map(|(_, path)| path).collect()
}

/// Keeps what the server uses now (written before it listened) for the next run; renamed into
/// place, so a replica starting meanwhile never reads half a file.
fn keep_vectors(from: &Path) {
    let staging = format!("{SHARED_VECTORS}.{}", std::process::id());
    let _ = std::fs::create_dir_all(".cache/soak");
    if std::fs::copy(from, &staging).is_ok() {
        let _ = std::fs::rename(&staging, SHARED_VECTORS);
    }
}

/// Resident set size of `pid` in MB (from /proc), if readable.
pub fn rss_of(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}
