//! Scoring over real HTTP: a seeded set of tickets with controlled timestamps, and the report and
//! CSV export compared with values computed here, independently, from the seeding plan.

use crate::common;

use std::collections::BTreeMap;

use serde_json::Value;
use switchboard::store::Append;
use switchboard::tickets::{
    BotAction, BotReply, EscalationReason, EventKind, ScoredIntent, new_ticket,
};
use uuid::Uuid;

use common::{TestApp, spawn_app_with};

const ADMIN: &str = "admin-token-for-analytics-tests";
/// 2020-09-13: every seeded ticket is long past its SLA targets if it is still waiting.
const BASE_MS: u64 = 1_600_000_000_000;
const SLA_BOT_MS: f64 = 40.0;
const SLA_HUMAN_MS: u64 = 120_000;
const SLA_RESOLUTION_MS: u64 = 3_600_000;
const INTENTS: [&str; 3] = ["roaming_activate", "bill_explain", "sim_lost"];
const REASONS: [(EscalationReason, &str); 3] = [
    (EscalationReason::ExplicitRequest, "explicit_request"),
    (EscalationReason::OutOfScope, "out_of_scope"),
    (EscalationReason::RepeatedFailure, "repeated_failure"),
];

/// One seeded ticket: what happened and when (milliseconds).
#[derive(Debug, Clone)]
struct Plan {
    tenant: &'static str,
    channel: &'static str,
    created: u64,
    start: u64,
    turns: u32,
    intent: &'static str,
    bot_latency: f64,
    escalation: Option<(u64, usize)>,
    agent: Option<(&'static str, u64)>,
    agent_reply: Option<u64>,
    resolved: Option<u64>,
    rating: Option<u8>,
}

/// A small deterministic generator (64-bit LCG), so the seed set is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn plans() -> Vec<Plan> {
    let mut rng = Lcg(42);
    (0..48u64)
        .map(|i| {
            let created = BASE_MS + i * 600_000;
            let start = created + 1_000 + rng.next(10_000);
            let escalated = rng.next(100) < 45;
            let escalation =
                escalated.then(|| (start + 20_000 + rng.next(600_000), rng.next(3) as usize));
            let agent = match escalation {
                Some((at, _)) if rng.next(100) < 80 => Some((
                    ["alice", "bob"][rng.next(2) as usize],
                    at + rng.next(60_000),
                )),
                _ => None,
            };
            let agent_reply = agent.map(|(_, at)| at + rng.next(300_000));
            let resolves = rng.next(100) < 70 && (escalation.is_none() || agent_reply.is_some());
            let last = agent_reply
                .or(escalation.map(|(at, _)| at))
                .unwrap_or(start);
            let resolved = resolves.then(|| last + 1_000 + rng.next(7_200_000));
            let rating = resolved
                .filter(|_| rng.next(100) < 75)
                .map(|_| 1 + rng.next(5) as u8);
            Plan {
                tenant: ["acme", "globex"][rng.next(2) as usize],
                channel: ["web", "sms"][rng.next(2) as usize],
                created,
                start,
                turns: 1 + rng.next(3) as u32,
                intent: INTENTS[rng.next(3) as usize],
                bot_latency: 5.0 + rng.next(80) as f64 + 0.25,
                escalation,
                agent,
                agent_reply,
                resolved,
                rating,
            }
        })
        .collect()
}

fn bot_reply(intent: &str, latency_ms: f64) -> EventKind {
    EventKind::BotReply(BotReply {
        text: Some("seeded reply".into()),
        action: BotAction::Answered,
        intent: Some(ScoredIntent {
            name: intent.into(),
            confidence: 0.9,
        }),
        runner_up: None,
        sources: Vec::new(),
        choices: Vec::new(),
        latency_ms,
    })
}

fn customer(text: &str) -> EventKind {
    EventKind::CustomerMessage { text: text.into() }
}

/// Appends `kinds` stamped `at` (seeded history).
async fn append_at(app: &TestApp, id: Uuid, at: u64, kinds: Vec<EventKind>) {
    app.store
        .append(Append::events(id, at, kinds))
        .await
        .expect("seed append");
}

/// Writes a plan's timeline into the store with its own timestamps.
async fn seed(app: &TestApp, plan: &Plan) -> Uuid {
    let ticket = new_ticket(
        plan.tenant,
        plan.channel,
        None,
        BTreeMap::new(),
        plan.created,
    );
    let id = app
        .store
        .create_ticket(ticket, plan.created)
        .await
        .expect("seed ticket")
        .ticket
        .id;
    let first = vec![customer("first"), bot_reply(plan.intent, plan.bot_latency)];
    append_at(app, id, plan.start, first).await;
    for turn in 1..plan.turns {
        // Later turns carry a different intent and a slow reply: only the first counts.
        let at = plan.start + 5_000 * u64::from(turn);
        let later = vec![customer("more"), bot_reply("greeting", 9_999.0)];
        append_at(app, id, at, later).await;
    }
    if let Some((at, reason)) = plan.escalation {
        let kind = EventKind::Escalated {
            reason: REASONS[reason].0,
            evidence: "seeded".into(),
        };
        append_at(app, id, at, vec![kind]).await;
    }
    if let Some((agent, at)) = plan.agent {
        let assigned = EventKind::Assigned {
            agent: agent.into(),
        };
        append_at(app, id, at, vec![assigned]).await;
    }
    if let (Some((agent, _)), Some(at)) = (plan.agent, plan.agent_reply) {
        let reply = EventKind::AgentMessage {
            agent: agent.into(),
            text: "hi".into(),
        };
        append_at(app, id, at, vec![reply]).await;
    }
    if let Some(at) = plan.resolved {
        let by = plan.agent.map_or("bot", |(agent, _)| agent);
        let resolved = EventKind::Resolved {
            by: by.into(),
            tag: None,
        };
        append_at(app, id, at, vec![resolved]).await;
        if let Some(score) = plan.rating {
            let rated = EventKind::Rated {
                score,
                comment: None,
            };
            append_at(app, id, at + 1_000, vec![rated]).await;
        }
    }
    id
}

/// Nearest rank, written again here.
fn nearest_rank(mut values: Vec<f64>, p: f64) -> Value {
    if values.is_empty() {
        return Value::Null;
    }
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let rank = ((p / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
    Value::from(values[rank - 1])
}

fn human(plan: &Plan) -> bool {
    plan.escalation.is_some() || plan.agent.is_some()
}

fn contained(plan: &Plan) -> bool {
    plan.resolved.is_some() && !human(plan)
}

/// The expected summary of `plans`, field by field, as JSON.
fn expected_summary(plans: &[&Plan]) -> BTreeMap<&'static str, Value> {
    let n = plans.len() as f64;
    let rate = |count: usize| Value::from(count as f64 / n);
    let contained_count = plans.iter().filter(|p| contained(p)).count();
    let escalated = plans.iter().filter(|p| p.escalation.is_some()).count();
    let durations = |pick: &dyn Fn(&Plan) -> Option<f64>| -> Value {
        let values: Vec<f64> = plans.iter().filter_map(|p| pick(p)).collect();
        serde_json::json!({
            "count": values.len(),
            "p50": nearest_rank(values.clone(), 50.0),
            "p90": nearest_rank(values, 90.0),
        })
    };
    let csat = |keep: &dyn Fn(&Plan) -> bool| -> Value {
        let ratings: Vec<f64> = plans
            .iter()
            .filter(|p| keep(p))
            .filter_map(|p| p.rating)
            .map(f64::from)
            .collect();
        let count = ratings.len() as f64;
        let mean = (count > 0.0).then(|| ratings.iter().sum::<f64>() / count);
        let happy =
            (count > 0.0).then(|| ratings.iter().filter(|&&r| r >= 4.0).count() as f64 / count);
        serde_json::json!({ "responses": ratings.len(), "mean": mean, "share_4_5": happy })
    };
    let mut by_reason = serde_json::Map::new();
    for (index, (_, name)) in REASONS.iter().enumerate() {
        let count = plans
            .iter()
            .filter(|p| p.escalation.is_some_and(|(_, r)| r == index))
            .count();
        if count > 0 {
            by_reason.insert(
                name.to_string(),
                serde_json::json!({ "count": count, "rate": count as f64 / n }),
            );
        }
    }
    let human_wait_breach = |p: &Plan| match (p.escalation, p.agent_reply) {
        (Some((at, _)), Some(reply)) => reply - at > SLA_HUMAN_MS,
        (Some(_), None) => p.resolved.is_none(),
        (None, _) => false,
    };
    let resolution_breach = |p: &Plan| p.resolved.is_none_or(|at| at - p.start > SLA_RESOLUTION_MS);
    BTreeMap::from([
        ("tickets", Value::from(plans.len())),
        ("contained", Value::from(contained_count)),
        ("containment_rate", rate(contained_count)),
        ("escalated", Value::from(escalated)),
        ("escalation_rate", rate(escalated)),
        ("escalations_by_reason", Value::Object(by_reason)),
        ("bot_first_response_ms", durations(&|p| Some(p.bot_latency))),
        (
            "time_to_escalation_ms",
            durations(&|p| p.escalation.map(|(at, _)| (at - p.start) as f64)),
        ),
        (
            "human_first_response_ms",
            durations(&|p| {
                p.escalation
                    .zip(p.agent_reply)
                    .map(|((at, _), reply)| (reply - at) as f64)
            }),
        ),
        (
            "resolution_ms",
            durations(&|p| p.resolved.map(|at| (at - p.start) as f64)),
        ),
        (
            "csat",
            serde_json::json!({
                "all": csat(&|_| true),
                "bot": csat(&|p| !human(p)),
                "human": csat(&|p| human(p)),
            }),
        ),
        (
            "sla_breaches",
            serde_json::json!({
                "bot_first_response": plans.iter().filter(|p| p.bot_latency > SLA_BOT_MS).count(),
                "human_first_response": plans.iter().filter(|p| human_wait_breach(p)).count(),
                "resolution": plans.iter().filter(|p| resolution_breach(p)).count(),
            }),
        ),
    ])
}

/// Compares numbers with a tolerance (means and rates are divisions) and everything else exactly.
fn assert_close(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            assert!((a - e).abs() < 1e-9, "{path}: {a} != {e}");
        }
        (Value::Object(a), Value::Object(e)) => {
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                e.keys().collect::<Vec<_>>(),
                "{path}"
            );
            for (key, value) in e {
                assert_close(&a[key], value, &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(actual, expected, "{path}"),
    }
}

fn assert_summary(actual: &Value, plans: &[&Plan], label: &str) {
    for (field, expected) in expected_summary(plans) {
        assert_close(&actual[field], &expected, &format!("{label}.{field}"));
    }
}

async fn seeded_app() -> (TestApp, Vec<(Uuid, Plan)>) {
    let app = spawn_app_with(|settings| {
        settings.admin.token = ADMIN.into();
        settings.sla.bot_first_response_ms = SLA_BOT_MS as u64;
        settings.sla.human_first_response_ms = SLA_HUMAN_MS;
        settings.sla.resolution_ms = SLA_RESOLUTION_MS;
    })
    .await;
    let mut seeded = Vec::new();
    for plan in plans() {
        seeded.push((seed(&app, &plan).await, plan));
    }
    (app, seeded)
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn aggregates_per_intent_equal_values_computed_from_the_seeded_timelines() {
    let (app, seeded) = seeded_app().await;
    // Tickets 4..40 of the 48, and only acme's.
    let (from, to) = (BASE_MS + 4 * 600_000, BASE_MS + 40 * 600_000);
    let response = get(
        &app,
        &format!("/v1/admin/analytics?from={from}&to={to}&tenant=acme&group_by=intent"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    let chosen: Vec<&Plan> = seeded
        .iter()
        .map(|(_, p)| p)
        .filter(|p| p.tenant == "acme" && p.created >= from && p.created < to)
        .collect();
    assert!(chosen.len() >= 10, "the seed gives a real sample");
    assert_summary(&report["total"], &chosen, "total");
    let groups = report["groups"].as_array().unwrap();
    let mut seen = 0;
    for intent in INTENTS {
        let members: Vec<&Plan> = chosen
            .iter()
            .copied()
            .filter(|p| p.intent == intent)
            .collect();
        let Some(group) = groups.iter().find(|g| g["key"] == intent) else {
            assert!(members.is_empty(), "{intent} is missing");
            continue;
        };
        assert_summary(group, &members, intent);
        seen += members.len();
    }
    assert_eq!(seen, chosen.len(), "the groups partition the tickets");
}

#[tokio::test]
async fn aggregates_per_agent_and_tenant_cover_every_ticket() {
    let (app, seeded) = seeded_app().await;
    let plans: Vec<&Plan> = seeded.iter().map(|(_, p)| p).collect();
    let report: Value = get(&app, "/v1/admin/analytics?group_by=agent")
        .await
        .json()
        .await
        .unwrap();
    assert_summary(&report["total"], &plans, "total");
    for agent in ["alice", "bob"] {
        let members: Vec<&Plan> = plans
            .iter()
            .copied()
            .filter(|p| p.agent.is_some_and(|(a, _)| a == agent))
            .collect();
        let group = report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == agent)
            .unwrap();
        assert_summary(group, &members, agent);
    }
    let nobody: Vec<&Plan> = plans
        .iter()
        .copied()
        .filter(|p| p.agent.is_none())
        .collect();
    let group = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "(none)")
        .unwrap();
    assert_summary(group, &nobody, "(none)");

    let report: Value = get(&app, "/v1/admin/analytics?group_by=tenant")
        .await
        .json()
        .await
        .unwrap();
    for tenant in ["acme", "globex"] {
        let members: Vec<&Plan> = plans
            .iter()
            .copied()
            .filter(|p| p.tenant == tenant)
            .collect();
        let group = report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == tenant)
            .unwrap();
        assert_summary(group, &members, tenant);
    }
}

#[tokio::test]
async fn the_csv_export_has_one_row_per_ticket_with_its_scores() {
    let (app, seeded) = seeded_app().await;
    let response = get(&app, "/v1/admin/analytics/tickets.csv?tenant=globex").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let globex: Vec<&(Uuid, Plan)> = seeded
        .iter()
        .filter(|(_, p)| p.tenant == "globex")
        .collect();
    assert_eq!(rows.len(), globex.len());
    for (id, plan) in globex {
        let row = rows
            .iter()
            .find(|r| r[column("ticket_id")] == id.to_string())
            .unwrap();
        let cell = |name: &str| row[column(name)].to_string();
        let optional = |value: Option<u64>| value.map(|v| v.to_string()).unwrap_or_default();
        assert_eq!(cell("intent"), plan.intent);
        assert_eq!(cell("turns"), plan.turns.to_string());
        assert_eq!(cell("bot_first_response_ms"), plan.bot_latency.to_string());
        assert_eq!(
            cell("resolution_ms"),
            optional(plan.resolved.map(|at| at - plan.start))
        );
        assert_eq!(
            cell("human_first_response_ms"),
            optional(
                plan.escalation
                    .zip(plan.agent_reply)
                    .map(|((at, _), reply)| reply - at)
            )
        );
        assert_eq!(
            cell("escalation_reason"),
            plan.escalation.map_or("", |(_, r)| REASONS[r].1)
        );
        assert_eq!(
            cell("rating"),
            plan.rating.map(|r| r.to_string()).unwrap_or_default()
        );
        assert_eq!(cell("contained"), contained(plan).to_string());
        assert_eq!(
            cell("handled_by"),
            if human(plan) { "human" } else { "bot" }
        );
    }
}

/// Registers `tenant` over the admin API and returns its first partner key.
async fn partner_key(app: &TestApp, tenant: &str) -> String {
    let response = app
        .client
        .post(format!("{}/v1/admin/tenants", app.address))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({ "id": tenant, "name": tenant }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    created["api_key"]["key"].as_str().unwrap().to_string()
}

async fn partner_get(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_partner_key_sees_the_scores_of_its_own_tenant_only() {
    let (app, seeded) = seeded_app().await;
    let acme_key = partner_key(&app, "acme").await;
    partner_key(&app, "globex").await;
    let acme: Vec<&Plan> = seeded
        .iter()
        .map(|(_, p)| p)
        .filter(|p| p.tenant == "acme")
        .collect();
    assert!(acme.len() < seeded.len(), "the seed has another tenant");

    let response = partner_get(&app, &acme_key, "/v1/partner/analytics?group_by=tenant").await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["tenant"], "acme");
    assert_summary(&report["total"], &acme, "total");
    let groups = report["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{report}");
    assert_eq!(groups[0]["key"], "acme");

    let (from, to) = (BASE_MS + 4 * 600_000, BASE_MS + 40 * 600_000);
    let ranged: Vec<&Plan> = acme
        .iter()
        .copied()
        .filter(|p| p.created >= from && p.created < to)
        .collect();
    let path = format!("/v1/partner/analytics?from={from}&to={to}&group_by=intent");
    let report: Value = partner_get(&app, &acme_key, &path)
        .await
        .json()
        .await
        .unwrap();
    assert_summary(&report["total"], &ranged, "ranged total");

    let response = partner_get(&app, &acme_key, "/v1/partner/analytics/tickets.csv").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "ticket_id")
        .unwrap();
    let mut listed: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .collect();
    let mut expected: Vec<String> = seeded
        .iter()
        .filter(|(_, p)| p.tenant == "acme")
        .map(|(id, _)| id.to_string())
        .collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected, "exactly acme's tickets");
}

#[tokio::test]
async fn partner_analytics_refuses_a_tenant_parameter_and_missing_keys() {
    let (app, _) = seeded_app().await;
    let key = partner_key(&app, "acme").await;
    for path in [
        "/v1/partner/analytics?tenant=globex",
        "/v1/partner/analytics?tenant=acme",
        "/v1/partner/analytics/tickets.csv?tenant=globex",
    ] {
        let response = partner_get(&app, &key, path).await;
        assert_eq!(response.status(), 422, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_request", "{path}: {body}");
    }
    let grouped = partner_get(
        &app,
        &key,
        "/v1/partner/analytics/tickets.csv?group_by=agent",
    )
    .await;
    assert_eq!(grouped.status(), 422);
    for path in ["/v1/partner/analytics", "/v1/partner/analytics/tickets.csv"] {
        let anonymous = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{path}");
        let admin = partner_get(&app, ADMIN, path).await;
        assert_eq!(
            admin.status(),
            401,
            "the admin token is not a partner key: {path}"
        );
    }
}

#[tokio::test]
async fn analytics_refuses_bad_filters_and_missing_tokens() {
    let (app, _) = seeded_app().await;
    let anonymous = app
        .client
        .get(format!("{}/v1/admin/analytics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    for query in [
        "group_by=colour",
        "from=yesterday",
        "from=20&to=10",
        "tenant=ACME!",
        "to=2026-13-40",
    ] {
        let response = get(&app, &format!("/v1/admin/analytics?{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["error"]["code"], "invalid_parameter",
            "{query}: {body}"
        );
    }
    let unknown = get(&app, "/v1/admin/analytics?colour=red").await;
    assert_eq!(unknown.status(), 422);
    let dated = get(&app, "/v1/admin/analytics?from=2020-09-13&to=2020-09-14").await;
    assert_eq!(dated.status(), 200);
}

#[tokio::test]
async fn the_dashboard_is_served_with_a_strict_content_policy() {
    let (app, _) = seeded_app().await;
    for (path, kind) in [
        ("/dashboard", "text/html"),
        ("/dashboard/dashboard.js", "text/javascript"),
        ("/dashboard/dashboard.css", "text/css"),
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert_eq!(
            response.headers()["content-security-policy"],
            "default-src 'self'"
        );
    }
    let script = app
        .client
        .get(format!("{}/dashboard/dashboard.js", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !script.contains("innerHTML"),
        "data goes in with textContent"
    );
}
