//! Closed-loop clients on the message path: each posts a customer message, waits for the reply,
//! posts the next, over many conversations. Every message text is unique, so a transcript can be
//! checked for each acknowledged message exactly once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What customers ask (answered from the KB, so conversations stay with the bot).
const TEXTS: [&str; 4] = [
    "how do I turn on roaming on my phone before I travel",
    "how much does it cost to use data abroad",
    "my bill is higher than usual this month, why",
    "how do I set up an eSIM on my new phone",
];

#[derive(Default)]
pub struct Outcome {
    /// Acknowledged messages per window.
    pub windows: Vec<usize>,
    /// (conversation, text) of every 200 reply.
    pub acknowledged: Vec<(String, String)>,
    pub statuses: BTreeMap<u16, usize>,
    /// 503 replies without `Retry-After`.
    pub unhinted_503: usize,
    /// Requests that got no HTTP reply (connection refused or reset).
    pub transport_errors: usize,
    pub latencies_ms: Vec<f64>,
}

impl Outcome {
    pub fn acknowledged_count(&self) -> usize {
        self.acknowledged.len()
    }

    /// The share of 5xx replies other than `503` with `Retry-After`.
    pub fn server_errors(&self) -> usize {
        self.statuses
            .iter()
            .filter(|(status, _)| **status >= 500 && **status != 503)
            .map(|(_, count)| count)
            .sum::<usize>()
            + self.unhinted_503
    }

    pub fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

pub async fn open_conversations(
    client: &reqwest::Client,
    address: &str,
    count: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        let created: serde_json::Value = client
            .post(format!("{address}/v1/conversations"))
            .send()
            .await
            .expect("create a conversation")
            .json()
            .await
            .expect("conversation JSON");
        ids.push(created["id"].as_str().expect("id").to_string());
    }
    ids
}

/// Runs `clients` closed loops for `duration` (or until the server goes away), counting
/// acknowledged messages per `window`. `round` makes message texts unique across runs.
pub async fn run(
    address: &str,
    conversations: &[String],
    clients: usize,
    duration: Duration,
    window: Duration,
    round: usize,
) -> Outcome {
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    // One client (one connection pool) for every loop: building a client loads the TLS roots.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        // Below the server's 5-second keep-alive: a connection idle that long may be closed by
        // the server just as the pool hands it out again (hyper's IncompleteMessage), a race of
        // this client's, not a server failure.
        .pool_idle_timeout(Duration::from_secs(3))
        .build()
        .expect("HTTP client");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..clients {
        let (address, outcome) = (address.to_string(), Arc::clone(&outcome));
        let (conversations, client) = (conversations.to_vec(), client.clone());
        tasks.spawn(async move {
            let mut n = 0usize;
            while started.elapsed() < duration {
                let id = &conversations[(lane + n * clients) % conversations.len()];
                let text = format!("{} [r{round} c{lane} n{n}]", TEXTS[n % TEXTS.len()]);
                let sent = Instant::now();
                let reply = client
                    .post(format!("{address}/v1/conversations/{id}/messages"))
                    .json(&serde_json::json!({ "text": text }))
                    .send()
                    .await;
                let slot = (started.elapsed().as_secs_f64() / window.as_secs_f64()) as usize;
                let wait = retry_after(&reply);
                let gone = record(&outcome, reply, id, text, sent, slot);
                if gone {
                    return;
                }
                // A refused client waits as told, as the widget does.
                if let Some(wait) = wait {
                    tokio::time::sleep(wait).await;
                }
                n += 1;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut outcome = std::mem::take(&mut *outcome.lock().expect("outcome"));
    let slots = (duration.as_secs_f64() / window.as_secs_f64()).floor() as usize;
    outcome.windows.resize(slots.max(1), 0);
    outcome
}

/// The wait a `503` asks for (`Retry-After`, in seconds).
fn retry_after(reply: &reqwest::Result<reqwest::Response>) -> Option<Duration> {
    let response = reply.as_ref().ok()?;
    let seconds = response
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// Records one reply; true when the server is gone (the client stops).
fn record(
    outcome: &Mutex<Outcome>,
    reply: reqwest::Result<reqwest::Response>,
    id: &str,
    text: String,
    sent: Instant,
    slot: usize,
) -> bool {
    let mut outcome = outcome.lock().expect("outcome");
    let response = match reply {
        Ok(response) => response,
        Err(error) => {
            if outcome.transport_errors < 3 {
                eprintln!("transport error after {:?}: {error:?}", sent.elapsed());
            }
            outcome.transport_errors += 1;
            return true;
        }
    };
    let status = response.status().as_u16();
    *outcome.statuses.entry(status).or_default() += 1;
    if status == 503 && response.headers().get("retry-after").is_none() {
        outcome.unhinted_503 += 1;
    }
    if status == 200 {
        outcome
            .latencies_ms
            .push(sent.elapsed().as_secs_f64() * 1000.0);
        outcome.acknowledged.push((id.to_string(), text));
        if outcome.windows.len() <= slot {
            outcome.windows.resize(slot + 1, 0);
        }
        outcome.windows[slot] += 1;
    }
    false
}
