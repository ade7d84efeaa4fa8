//! The store contract, on the engine the suite runs against (sled, or PostgreSQL when
//! `SWITCHBOARD_TEST_POSTGRES` is set): appends racing on one ticket or one agent's capacity
//! have exactly the winners they should, deliveries are written with their events and handed
//! out head first, a refused document batch writes nothing, concurrent appends (grouped by
//! the sled writer) all land, numbered without gaps, and the desk's queue (and its depth gauge)
//! follows every change and outlives a restart.

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;
use switchboard::config::Settings;
use switchboard::store::{self, Append, Collection, DocWrite, SharedStore, StoreError};
use switchboard::tickets::{Conflict, EventKind, TicketStatus, new_ticket, now_ms};
use switchboard::webhooks::{self, DeliveryStatus, EndpointInput, EndpointLimits, WebhookEvent};
use uuid::Uuid;

async fn open_store() -> (tempfile::TempDir, SharedStore) {
    let (dir, settings) = store_settings();
    (dir, store::open(&settings).await.expect("store"))
}

fn store_settings() -> (tempfile::TempDir, Settings) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults();
    settings.paths.data_dir = dir.path().to_path_buf();
    common::use_test_storage(&mut settings);
    (dir, settings)
}

async fn new_conversation(store: &SharedStore, tenant: &str) -> Uuid {
    let ticket = new_ticket(tenant, "web", None, BTreeMap::new(), now_ms());
    store
        .create_ticket(ticket, now_ms())
        .await
        .unwrap()
        .ticket
        .id
}

fn message(text: &str) -> EventKind {
    EventKind::CustomerMessage { text: text.into() }
}

/// Takes the conversation for `agent` if it is still open, within `capacity`.
fn claim(id: Uuid, agent: &str, capacity: usize) -> Append {
    let assigned = EventKind::Assigned {
        agent: agent.into(),
    };
    let name = agent.to_string();
    Append::events(id, now_ms(), vec![assigned])
        .with_capacity(agent, capacity)
        .with_change(move |t| {
            if t.status != TicketStatus::Open {
                return Err(Conflict::AlreadyClaimed);
            }
            t.status = TicketStatus::Assigned;
            t.assignee = Some(name);
            Ok(())
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_eight_racing_claims_on_one_conversation_exactly_one_wins() {
    let (_dir, store) = open_store().await;
    let id = new_conversation(&store, "acme").await;
    let mut racers = tokio::task::JoinSet::new();
    for n in 0..8 {
        let store = Arc::clone(&store);
        racers.spawn(async move { store.append(claim(id, &format!("agent{n}"), 10)).await });
    }
    let results: Vec<_> = racers.join_all().await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict(Conflict::AlreadyClaimed))))
        .count();
    assert_eq!((won, refused), (1, 7), "{results:?}");
    let ticket = store.ticket(id).await.unwrap();
    assert_eq!(ticket.event_count, 2, "created + one assigned event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agents_capacity_is_counted_inside_the_append() {
    let (_dir, store) = open_store().await;
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let id = new_conversation(&store, "acme").await;
        let store = Arc::clone(&store);
        racers.spawn(async move { store.append(claim(id, "alice", 2)).await });
    }
    let results: Vec<_> = racers.join_all().await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let at_capacity = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict(Conflict::AgentAtCapacity(2)))))
        .count();
    assert_eq!((won, at_capacity), (2, 4), "{results:?}");
}

#[tokio::test]
async fn deliveries_are_queued_with_their_events_and_handed_out_head_first() {
    let (_dir, store) = open_store().await;
    let endpoint = EndpointInput {
        url: "http://127.0.0.1:9/hook".into(),
        secret: "0123456789abcdef".into(),
        events: vec![WebhookEvent::MessageCreated],
    };
    let limits = EndpointLimits { max_endpoints: 4 };
    webhooks::replace_endpoints(store.as_ref(), "acme", vec![endpoint], limits)
        .await
        .unwrap();
    let id = new_conversation(&store, "acme").await;
    let note = EventKind::InternalNote {
        agent: "a".into(),
        text: "staff only".into(),
    };
    let events = vec![message("one"), note, message("two")];
    store
        .append(Append::events(id, now_ms(), events))
        .await
        .unwrap();
    assert_eq!(store.stats().await.unwrap().pending_deliveries, 2);
    let due = store.claim_due(u64::MAX / 2, 10, 60_000).await.unwrap();
    assert_eq!(due.len(), 1, "only the head of the conversation's queue");
    assert_eq!(due[0].event_seq, 1);
    let mut delivered = due[0].clone();
    delivered.status = DeliveryStatus::Delivered;
    store.save_delivery(delivered).await.unwrap();
    let next = store.claim_due(u64::MAX / 2, 10, 60_000).await.unwrap();
    assert_eq!(next.iter().map(|d| d.event_seq).collect::<Vec<_>>(), [3]);
}

#[tokio::test]
async fn a_document_batch_with_one_existing_key_writes_nothing() {
    let (_dir, store) = open_store().await;
    let first = DocWrite::insert(Collection::Agents, "alice", json!({"n": 1}));
    store.write_docs(vec![first]).await.unwrap();
    let batch = vec![
        DocWrite::put(Collection::Agents, "bob", json!({"n": 2})),
        DocWrite::insert(Collection::Agents, "alice", json!({"n": 3})),
    ];
    let refused = store.write_docs(batch).await;
    assert!(
        matches!(refused, Err(StoreError::Exists { .. })),
        "{refused:?}"
    );
    assert_eq!(store.doc(Collection::Agents, "bob").await.unwrap(), None);
    let alice = store.doc(Collection::Agents, "alice").await.unwrap();
    assert_eq!(alice, Some(json!({"n": 1})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_all_land_numbered_without_gaps() {
    let (_dir, store) = open_store().await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(new_conversation(&store, "acme").await);
    }
    let mut writers = tokio::task::JoinSet::new();
    for lane in 0..64usize {
        let (store, id) = (Arc::clone(&store), ids[lane % ids.len()]);
        writers.spawn(async move {
            for turn in 0..10 {
                let text = format!("lane {lane} turn {turn}");
                let append = Append::events(id, now_ms(), vec![message(&text)]);
                store.append(append).await.unwrap();
            }
        });
    }
    writers.join_all().await;
    for id in ids {
        let events = store.events_after(id, None).await.unwrap();
        assert_eq!(events.len(), 1 + 8 * 10);
        assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64));
    }
}

/// Moves the conversation to `status` (and `assignee`), as the service's appends do.
fn set_status(id: Uuid, status: TicketStatus, assignee: Option<&str>) -> Append {
    let assignee = assignee.map(str::to_string);
    Append::events(id, now_ms(), vec![message("status")]).with_change(move |t| {
        t.status = status;
        t.assignee = assignee;
        Ok(())
    })
}

async fn queued_ids(store: &SharedStore, tenant: &str) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = store
        .queue(tenant)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_queue_follows_every_change_keeps_tenants_apart_and_outlives_a_restart() {
    let (_dir, settings) = store_settings();
    let store = store::open(&settings).await.expect("store");
    let waiting = new_conversation(&store, "acme").await;
    let taken = new_conversation(&store, "acme").await;
    let answered = new_conversation(&store, "acme").await;
    let elsewhere = new_conversation(&store, "globex").await;
    assert!(queued_ids(&store, "acme").await.is_empty());
    for id in [waiting, taken, elsewhere] {
        store
            .append(set_status(id, TicketStatus::Escalated, None))
            .await
            .unwrap();
    }
    let mut both = vec![waiting, taken];
    both.sort();
    assert_eq!(queued_ids(&store, "acme").await, both);
    assert_eq!(queued_ids(&store, "globex").await, vec![elsewhere]);
    assert_eq!(store.gauges().await.unwrap().escalated, 3);

    store
        .append(set_status(taken, TicketStatus::Assigned, Some("alice")))
        .await
        .unwrap();
    store
        .append(set_status(waiting, TicketStatus::Resolved, None))
        .await
        .unwrap();
    store
        .append(Append::events(answered, now_ms(), vec![message("hi")]))
        .await
        .unwrap();
    let queue = store.queue("acme").await.unwrap();
    assert_eq!(
        queue.len(),
        1,
        "the resolved one left, the open one never came"
    );
    assert_eq!(queue[0].id, taken);
    assert_eq!(
        queue[0].assignee.as_deref(),
        Some("alice"),
        "the header as committed"
    );
    let gauges = store.gauges().await.unwrap();
    assert_eq!(
        gauges.escalated, 1,
        "assigned and resolved ones no longer wait"
    );
    assert_eq!(gauges.escalated, store.stats().await.unwrap().escalated);

    store.close().await;
    drop(store);
    let reopened = store::open(&settings).await.expect("reopened");
    assert_eq!(queued_ids(&reopened, "acme").await, vec![taken]);
    assert_eq!(queued_ids(&reopened, "globex").await, vec![elsewhere]);
    assert_eq!(reopened.gauges().await.unwrap().escalated, 1);
}
