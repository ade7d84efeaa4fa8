//! Costs added by issue 6 on the store: scoring a whole store for the analytics report, and the
//! webhook outbox's share of an append (a turn appended with and without a subscribed endpoint).
//! `cargo bench --bench scoring` (numbers in BENCHMARKS.md).

use criterion::{Criterion, criterion_group, criterion_main};
use switchboard::analytics::{self, report};
use switchboard::config::Settings;
use switchboard::tickets::{
    BotAction, BotReply, EscalationReason, EventKind, ScoredIntent, TicketStore, now_ms,
};
use switchboard::webhooks::{EndpointInput, EndpointLimits, WebhookEvent};

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
        latency_ms,
    })
}

fn customer() -> EventKind {
    EventKind::CustomerMessage {
        text: "how do I turn on roaming?".into(),
    }
}

/// 5,000 tickets of 4-8 events: a third escalated to a person, most resolved and rated.
fn seeded_store(dir: &std::path::Path) -> TicketStore {
    let store = TicketStore::open(dir).unwrap();
    for i in 0..TICKETS {
        let at = 1_700_000_000_000 + i * 60_000;
        let id = store.create_at("acme", "web", at).unwrap().id;
        let turn = vec![customer(), bot_reply((i % 90) as f64)];
        store.append_at(id, at + 1_000, turn).unwrap();
        if i % 3 == 0 {
            let escalated = EventKind::Escalated {
                reason: EscalationReason::ExplicitRequest,
                evidence: "asked".into(),
            };
            let assigned = EventKind::Assigned {
                agent: "alice".into(),
            };
            store
                .append_at(id, at + 5_000, vec![escalated, assigned])
                .unwrap();
            let reply = EventKind::AgentMessage {
                agent: "alice".into(),
                text: "hi".into(),
            };
            store.append_at(id, at + 65_000, vec![reply]).unwrap();
        }
        if i % 4 != 0 {
            let resolved = EventKind::Resolved {
                by: "bot".into(),
                tag: None,
            };
            let rated = EventKind::Rated {
                score: (i % 5) as u8 + 1,
                comment: None,
            };
            store
                .append_at(id, at + 600_000, vec![resolved, rated])
                .unwrap();
        }
    }
    store
}

fn scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(dir.path());
    let sla = Settings::defaults().sla;
    c.bench_function(
        "analytics report over 5000 tickets (scan + score + group by intent)",
        |b| {
            b.iter(|| {
                let now = now_ms();
                let scores: Vec<_> = store
                    .tickets_after(None)
                    .map(|ticket| {
                        let ticket = ticket.unwrap();
                        let events = store.events(ticket.id).unwrap();
                        analytics::score(&ticket, &events, &sla, now)
                    })
                    .collect();
                report::report(&scores, Some(report::GroupBy::Intent))
            })
        },
    );
}

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = TicketStore::open(dir.path()).unwrap();
    let plain = store.create("plain", "web").unwrap().id;
    let hooked = store.create("hooked", "web").unwrap().id;
    let endpoint = EndpointInput {
        url: "https://desk.example/hook".into(),
        secret: "0123456789abcdef0123".into(),
        events: vec![WebhookEvent::MessageCreated],
    };
    let limits = EndpointLimits { max_endpoints: 10 };
    store
        .webhooks()
        .replace_endpoints("hooked", vec![endpoint], limits)
        .unwrap();
    let mut group = c.benchmark_group("append a turn (customer + bot reply), no fsync");
    group.bench_function("tenant without webhooks", |b| {
        b.iter(|| {
            store
                .append(plain, vec![customer(), bot_reply(12.0)], |_| {})
                .unwrap()
        })
    });
    group.bench_function("tenant with one endpoint (2 deliveries queued)", |b| {
        b.iter(|| {
            store
                .append(hooked, vec![customer(), bot_reply(12.0)], |_| {})
                .unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = scan, append
}
criterion_main!(benches);
