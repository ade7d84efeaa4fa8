//! Live-update latency against a running server: the time from an agent's `POST .../messages`
//! to the customer's Server-Sent Event carrying it, and the time of a console login (argon2id
//! verification included). Start the server with an admin token first:
//!
//! ```sh
//! SWITCHBOARD__ADMIN__TOKEN=bench SWITCHBOARD__PATHS__DATA_DIR=/tmp/livebench \
//!     target/release/switchboard serve &
//! cargo run --release --example live_latency -- --url http://127.0.0.1:8080 --token bench
//! ```

use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Options {
    url: String,
    token: String,
    replies: usize,
    logins: usize,
}

fn options() -> Options {
    let mut options = Options {
        url: "http://127.0.0.1:8080".into(),
        token: "bench".into(),
        replies: 200,
        logins: 20,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--url" => options.url = value,
            "--token" => options.token = value,
            "--replies" => options.replies = value.parse().expect("--replies N"),
            "--logins" => options.logins = value.parse().expect("--logins N"),
            other => panic!("unknown option {other}"),
        }
    }
    options
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

async fn post(client: &reqwest::Client, url: String, cookie: &str, body: Value) -> Value {
    let response = client
        .post(url)
        .header("Cookie", cookie)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> String {
    let response = client
        .post(format!("{base}/v1/console/login"))
        .json(&json!({"username": username, "password": "benchmark password"}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"].to_str().expect("ascii");
    cookie.split(';').next().expect("cookie").to_string()
}

/// Reads the stream until an `agent_message` event arrives.
async fn next_agent_message(stream: &mut reqwest::Response, buffer: &mut String) {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.contains("event: agent_message") {
                return;
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("an event within 10 s")
            .expect("stream")
            .expect("stream open");
        buffer.push_str(std::str::from_utf8(&chunk).expect("utf-8"));
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    let client = reqwest::Client::new();
    let base = options.url.trim_end_matches('/').to_string();
    let username = format!("bench{}", std::process::id());
    let agent = json!({"tenant": "bench", "username": username, "display_name": "Bench",
        "role": "agent", "password": "benchmark password"});
    let added = client
        .post(format!("{base}/v1/admin/agents"))
        .bearer_auth(&options.token)
        .json(&agent)
        .send()
        .await
        .expect("add agent");
    assert_eq!(added.status(), 201, "admin token?");

    let mut logins = Vec::new();
    for _ in 0..options.logins {
        let started = Instant::now();
        login(&client, &base, &username).await;
        logins.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let cookie = login(&client, &base, &username).await;

    let ticket = post(
        &client,
        format!("{base}/v1/conversations"),
        "",
        json!({"tenant": "bench"}),
    )
    .await;
    let id = ticket["id"].as_str().expect("id").to_string();
    post(
        &client,
        format!("{base}/v1/conversations/{id}/handoff"),
        "",
        json!({}),
    )
    .await;
    let conversation = format!("{base}/v1/console/conversations/{id}");
    let claimed = post(&client, format!("{conversation}/claim"), &cookie, json!({})).await;
    // Only what comes after the claim: the stream then carries the replies as they happen.
    let after = claimed["event_count"].as_u64().expect("event_count") - 1;
    let mut stream = client
        .get(format!("{base}/v1/conversations/{id}/events?after={after}"))
        .send()
        .await
        .expect("stream");
    let mut buffer = String::new();

    let mut live = Vec::new();
    for i in 0..options.replies {
        let started = Instant::now();
        let text = json!({ "text": format!("reply {i}") });
        post(&client, format!("{conversation}/messages"), &cookie, text).await;
        next_agent_message(&mut stream, &mut buffer).await;
        live.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "agent reply -> customer SSE event, {} replies: p50 {:.2} ms  p99 {:.2} ms",
        live.len(),
        percentile(&mut live, 0.5),
        percentile(&mut live, 0.99)
    );
    println!(
        "console login (argon2id verify), {} logins: p50 {:.1} ms  p99 {:.1} ms",
        logins.len(),
        percentile(&mut logins, 0.5),
        percentile(&mut logins, 0.99)
    );
}
