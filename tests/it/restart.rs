//! Durability: what the API acknowledged survives the process being killed (SIGKILL, no clean
//! shutdown), and a missing model stops start-up with a one-line error naming the fix.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    address: String,
}

/// The store a restarted server must find again: sled under the data dir, or (when the suite runs
/// on PostgreSQL) one schema for the whole test.
struct Storage {
    data_dir: tempfile::TempDir,
    schema: String,
}

fn storage() -> Storage {
    Storage {
        data_dir: tempfile::tempdir().unwrap(),
        schema: common::fresh_schema(),
    }
}

fn start(storage: &Storage, model_dir: &Path) -> Server {
    common::seed_default_kb_vectors(storage.data_dir.path());
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SWITCHBOARD__SERVER__PORT", "0")
        .env("SWITCHBOARD__PATHS__DATA_DIR", storage.data_dir.path())
        .env("SWITCHBOARD__PATHS__MODEL_DIR", model_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped());
    if let Some(url) = common::test_postgres() {
        command
            .env("SWITCHBOARD__STORAGE__URL", url)
            .env("SWITCHBOARD__STORAGE__SCHEMA", &storage.schema);
    }
    let mut child = command.spawn().expect("start the binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .expect("a listening line")
        .to_string();
    Server { child, address }
}

#[tokio::test]
async fn acknowledged_conversations_survive_a_crash_and_restart() {
    let storage = storage();
    let model_dir = common::trained_model_dir();
    let mut server = start(&storage, &model_dir);
    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(format!("{}/v1/conversations", server.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let url = format!("{}/v1/conversations/{id}/messages", server.address);
    for text in [
        "hi",
        "how do I unlock my phone for another network",
        "I want a human",
    ] {
        let response = client
            .post(&url)
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let before: serde_json::Value = client
        .get(format!("{}/v1/conversations/{id}", server.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    server.child.kill().unwrap(); // SIGKILL: no shutdown hook runs
    server.child.wait().unwrap();

    let mut restarted = start(&storage, &model_dir);
    let after: serde_json::Value = client
        .get(format!("{}/v1/conversations/{id}", restarted.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();
    assert_eq!(before, after);
    assert_eq!(after["events"].as_array().unwrap().len(), 8);
    assert_eq!(after["status"], "escalated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_an_open_event_stream_and_requests_in_flight_exits_within_5_s_losing_nothing()
{
    let storage = storage();
    let model_dir = common::trained_model_dir();
    let server = start(&storage, &model_dir);
    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(format!("{}/v1/conversations", server.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let stream = client
        .get(format!("{}/v1/conversations/{id}/events", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let url = format!("{}/v1/conversations/{id}/messages", server.address);
    let mut senders = tokio::task::JoinSet::new();
    for n in 0..8 {
        let (client, url) = (client.clone(), url.clone());
        senders.spawn(async move {
            let text = format!("how do I set up voicemail, message {n}");
            let reply = client
                .post(&url)
                .json(&serde_json::json!({ "text": text }))
                .send()
                .await;
            reply.is_ok_and(|r| r.status() == 200).then_some(text)
        });
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut child = server.child;
    let exited = tokio::task::spawn_blocking(move || {
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        None
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(
        exited.is_some() && took < Duration::from_secs(5),
        "exit took {took:?}"
    );
    let acknowledged: Vec<String> = senders.join_all().await.into_iter().flatten().collect();
    drop(stream);

    let mut restarted = start(&storage, &model_dir);
    let transcript: serde_json::Value = client
        .get(format!("{}/v1/conversations/{id}", restarted.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();
    let stored: Vec<&str> = transcript["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "customer_message")
        .filter_map(|e| e["text"].as_str())
        .collect();
    for text in &acknowledged {
        assert_eq!(stored.iter().filter(|s| *s == text).count(), 1, "{text}");
    }
}

#[test]
fn a_missing_model_fails_start_up_with_one_line_naming_the_file_and_the_fix() {
    let data_dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SWITCHBOARD__SERVER__PORT", "0")
        .env("SWITCHBOARD__PATHS__DATA_DIR", data_dir.path())
        .env("SWITCHBOARD__PATHS__MODEL_DIR", "/nonexistent/model")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(
        line.contains("/nonexistent/model/model.json") && line.contains("make model"),
        "{stderr}"
    );
}

#[test]
fn a_missing_runtime_fails_start_up_with_one_line_naming_the_file_and_the_fix() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "SWITCHBOARD__PATHS__ORT_LIBRARY",
            "/nonexistent/libonnxruntime.so",
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(
        line.contains("/nonexistent/libonnxruntime.so") && line.contains("make setup"),
        "{stderr}"
    );
}
