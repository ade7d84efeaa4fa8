//! `/metrics` scraped over real HTTP after real traffic, parsed line by line as Prometheus text
//! exposition format, and checked for the expected series and values.

use crate::common;

use std::collections::HashMap;
use std::net::TcpListener;
use std::time::Duration;

use serde_json::json;

use common::spawn_app_with;

const ADMIN: &str = "admin-token-for-metrics-tests";

/// One sample line: the metric name, its labels, its value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parses `{a="x",b="y"}` (with `\\`, `\"` and `\n` escapes); returns the labels and the rest.
fn parse_labels(text: &str) -> Result<(HashMap<String, String>, &str), String> {
    let mut labels = HashMap::new();
    let mut rest = text.strip_prefix('{').ok_or("no {")?;
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let (name, after) = rest.split_once("=\"").ok_or(format!("no =\" in {rest}"))?;
        if !valid_name(name) {
            return Err(format!("bad label name {name:?}"));
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().ok_or("unterminated label value")? {
                (i, '"') => break i,
                (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                    'n' => value.push('\n'),
                    c @ ('\\' | '"') => value.push(c),
                    c => return Err(format!("bad escape \\{c}")),
                },
                (_, c) => value.push(c),
            }
        };
        labels.insert(name.to_string(), value);
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => text.parse().map_err(|_| format!("bad value {text:?}")),
    }
}

/// Every line must be a `# HELP`, a `# TYPE` (of a known type) or a sample.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            let (kind, name, rest) = (parts.next(), parts.next(), parts.next());
            assert!(name.is_some_and(valid_name), "{line}");
            match kind {
                Some("HELP") => assert!(rest.is_some(), "{line}"),
                Some("TYPE") => assert!(
                    matches!(
                        rest,
                        Some("counter" | "gauge" | "histogram" | "summary" | "untyped")
                    ),
                    "{line}"
                ),
                _ => panic!("unknown comment line {line:?}"),
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).expect(line);
        let name = &line[..name_end];
        assert!(valid_name(name), "{line}");
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..]).unwrap_or_else(|e| panic!("{e}: {line}"))
        } else {
            (HashMap::new(), &line[name_end..])
        };
        let mut fields = rest.trim_start().split(' ');
        let value =
            parse_value(fields.next().expect(line)).unwrap_or_else(|e| panic!("{e}: {line}"));
        if let Some(timestamp) = fields.next() {
            timestamp.parse::<i64>().expect(line);
        }
        assert!(fields.next().is_none(), "{line}");
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    samples
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

#[tokio::test]
async fn metrics_are_valid_exposition_text_with_the_expected_series_after_traffic() {
    let app = spawn_app_with(|settings| {
        settings.admin.token = ADMIN.into();
        settings.webhooks.poll_interval_ms = 20;
        settings.webhooks.initial_backoff_ms = 20;
        settings.webhooks.max_backoff_ms = 100;
    })
    .await;
    // Webhooks to a port nobody listens on: every attempt fails.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let subscribe = app
        .client
        .put(format!("{}/v1/admin/tenants/demo/webhooks", app.address))
        .bearer_auth(ADMIN)
        .json(
            &json!({ "endpoints": [{ "url": format!("http://127.0.0.1:{port}/"),
            "secret": "0123456789abcdef", "events": ["message.created"] }] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(subscribe.status(), 200);

    let id = app.new_conversation().await;
    app.say(&id, "how do I turn on roaming on my phone?").await;
    app.say(&id, "hello there").await;
    let other = app.new_conversation().await;
    app.say(&other, "I want to talk to a real person please")
        .await;
    app.transcript(&id).await;
    let missing = app
        .client
        .get(format!("{}/no/such/route/{id}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    let samples = parse_exposition(&text);
    assert!(
        !text.contains(&id) && !text.contains(&other),
        "ids never become labels"
    );

    let messages = [
        ("method", "POST"),
        ("route", "/v1/conversations/{id}/messages"),
        ("status", "200"),
    ];
    assert_eq!(
        value(&samples, "switchboard_http_requests_total", &messages),
        Some(3.0)
    );
    let unmatched = [("route", "unmatched"), ("status", "404")];
    assert_eq!(
        value(&samples, "switchboard_http_requests_total", &unmatched),
        Some(1.0)
    );
    let latency = [
        ("method", "POST"),
        ("route", "/v1/conversations/{id}/messages"),
    ];
    assert_eq!(
        value(
            &samples,
            "switchboard_http_request_duration_seconds_count",
            &latency
        ),
        Some(3.0)
    );
    let latency_sum = value(
        &samples,
        "switchboard_http_request_duration_seconds_sum",
        &latency,
    )
    .unwrap();
    assert!(latency_sum > 0.0 && latency_sum < 60.0, "{latency_sum}");
    let stage = |name| {
        value(
            &samples,
            "switchboard_stage_duration_seconds_count",
            &[("stage", name)],
        )
    };
    assert_eq!(stage("classify"), Some(3.0));
    assert_eq!(stage("store"), Some(3.0));
    assert!(stage("retrieve").is_some_and(|n| n >= 1.0));
    let infinite_bucket = [("stage", "classify"), ("le", "+Inf")];
    assert_eq!(
        value(
            &samples,
            "switchboard_stage_duration_seconds_bucket",
            &infinite_bucket
        ),
        Some(3.0)
    );
    let escalations = [("reason", "explicit_request")];
    assert_eq!(
        value(&samples, "switchboard_escalations_total", &escalations),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "switchboard_escalation_queue_depth", &[]),
        Some(1.0)
    );
    let failed = value(
        &samples,
        "switchboard_webhook_deliveries_total",
        &[("outcome", "failed_attempt")],
    );
    assert!(failed.is_some_and(|n| n >= 2.0), "{failed:?}");
    let pending = value(&samples, "switchboard_webhook_outbox_pending", &[]).unwrap();
    assert!(
        pending >= 5.0,
        "customer and bot messages wait in the outbox: {pending}"
    );
}
