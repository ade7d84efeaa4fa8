//! Costs on the store: scoring a whole store for the analytics report, and an append through the
//! sled writer (group commit, fsync included) with and without a subscribed webhook endpoint.
//! `cargo bench --bench scoring` (numbers in BENCHMARKS.md).

use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::sync::Arc;
use switchboard::analytics::{self, report};
use switchboard::config::Settings;

use switchboard::store::sled::SledStore;
use switchboard::store::{Append, SharedStore, TicketFilter};
use switchboard::tickets::{
    BotAction, BotReply, EscalationReason, EventKind, ScoredIntent, new_ticket, now_ms,
};
use switchboard::webhooks::{self, EndpointInput, EndpointLimits, WebhookEvent};
use tokio::runtime::Runtime;

const TICKETS: u64 = 5_000;

fn bot_reply(latency_ms: f64) -> EventKind {
    EventKind::BotReply(BotReply {
        text: Some("Roaming is off by default; turn it on in the app.".into()),
        action: BotAction::Answered,
        intent: Some(ScoredIntent {
            name: ["roaming_activate", "bill_explain", "sim_lost"][latency_ms as usize % 3].into(),
            confidence: 0.9,
        }),
        runner_up: None,
        sources: Vec::new(),
        choices: Vec::new(),
        latency_ms,
    })
}

fn customer() -> EventKind {
    EventKind::CustomerMessage {
        text: "how do I turn on roaming?".into(),
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn open(dir: &std::path::Path) -> SharedStore {
    Arc::new(SledStore::open(dir, 64).unwrap())
}

async fn append_at(store: &SharedStore, id: uuid::Uuid, at: u64, kinds: Vec<EventKind>) {
    store.append(Append::events(id, at, kinds)).await.unwrap();
}

/// One ticket's history: a turn, for a third an escalation and an agent's reply, for most a
/// resolution and a rating.
async fn seed_ticket(store: SharedStore, i: u64) {
    let at = 1_700_000_000_000 + i * 60_000;
    let ticket = new_ticket("acme", "web", None, BTreeMap::new(), at);
    let id = store.create_ticket(ticket, at).await.unwrap().ticket.id;
    append_at(
        &store,
        id,
        at + 1_000,
        vec![customer(), bot_reply((i % 90) as f64)],
    )
    .await;
    if i.is_multiple_of(3) {
        let escalated = EventKind::Escalated {
            reason: EscalationReason::ExplicitRequest,
            evidence: "asked".into(),
        };
        let assigned = EventKind::Assigned {
            agent: "alice".into(),
        };
        append_at(&store, id, at + 5_000, vec![escalated, assigned]).await;
        let reply = EventKind::AgentMessage {
            agent: "alice".into(),
            text: "hi".into(),
        };
        append_at(&store, id, at + 65_000, vec![reply]).await;
    }
    if !i.is_multiple_of(4) {
        let resolved = EventKind::Resolved {
            by: "bot".into(),
            tag: None,
        };
        let rated = EventKind::Rated {
            score: (i % 5) as u8 + 1,
            comment: None,
        };
        append_at(&store, id, at + 600_000, vec![resolved, rated]).await;
    }
}

/// 5,000 tickets of 4-8 events, written by 64 concurrent tasks (so the writer groups them).
fn seeded_store(runtime: &Runtime, dir: &std::path::Path) -> SharedStore {
    let store = open(dir);
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for lane in 0..64 {
            let store = Arc::clone(&store);
            tasks.spawn(async move {
                for i in (lane..TICKETS).step_by(64) {
                    seed_ticket(Arc::clone(&store), i).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    });
    store
}

async fn score_store(store: &SharedStore) -> report::Report {
    let sla = Settings::defaults().sla;
    let now = now_ms();
    let mut scores = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .tickets(TicketFilter::default(), after, 500)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for ticket in page {
            let events = store.events_after(ticket.id, None).await.unwrap();
            scores.push(analytics::score(&ticket, &events, &sla, now));
        }
    }
    report::report(&scores, Some(report::GroupBy::Intent))
}

fn scan(c: &mut Criterion) {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(&runtime, dir.path());
    c.bench_function(
        "analytics report over 5000 tickets (scan + score + group by intent)",
        |b| b.iter(|| runtime.block_on(score_store(&store))),
    );
}

fn append(c: &mut Criterion) {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let endpoint = EndpointInput {
        url: "https://desk.example/hook".into(),
        secret: "0123456789abcdef0123".into(),
        events: vec![WebhookEvent::MessageCreated],
    };
    let limits = EndpointLimits { max_endpoints: 10 };
    let (plain, hooked) = runtime.block_on(async {
        webhooks::replace_endpoints(store.as_ref(), "hooked", vec![endpoint], limits)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for tenant in ["plain", "hooked"] {
            let ticket = new_ticket(tenant, "web", None, BTreeMap::new(), now_ms());
            ids.push(
                store
                    .create_ticket(ticket, now_ms())
                    .await
                    .unwrap()
                    .ticket
                    .id,
            );
        }
        (ids[0], ids[1])
    });
    let turn = |id| Append::events(id, now_ms(), vec![customer(), bot_reply(12.0)]);
    let mut group = c.benchmark_group("append a turn (customer + bot reply), durable");
    group.bench_function("tenant without webhooks", |b| {
        b.iter(|| runtime.block_on(store.append(turn(plain))).unwrap())
    });
    group.bench_function("tenant with one endpoint (2 deliveries queued)", |b| {
        b.iter(|| runtime.block_on(store.append(turn(hooked))).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = scan, append
}
criterion_main!(benches);
