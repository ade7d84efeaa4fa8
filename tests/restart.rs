//! Durability: what the API acknowledged survives the process being killed (SIGKILL, no clean
//! shutdown), and a missing model stops start-up with a one-line error naming the fix.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    address: String,
}

fn start(data_dir: &Path, model_dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SWITCHBOARD__SERVER__PORT", "0")
        .env("SWITCHBOARD__PATHS__DATA_DIR", data_dir)
        .env("SWITCHBOARD__PATHS__MODEL_DIR", model_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the binary");
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
    let data_dir = tempfile::tempdir().unwrap();
    let model_dir = common::trained_model_dir();
    let mut server = start(data_dir.path(), &model_dir);
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

    let mut restarted = start(data_dir.path(), &model_dir);
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
