//! The delivery worker: a tokio task that, every `poll_interval_ms`, claims the due head of each
//! (endpoint, conversation) queue from the store (leased to this replica, so no other sends it)
//! and sends it as a signed JSON POST (each in its own task, at most
//! `max_concurrent` in flight, so a slow receiver holds up only its own queues), records the
//! attempt in the delivery log, and on failure schedules the next attempt with capped exponential
//! backoff and jitter. A delivery still failing `give_up_after_ms` after it was queued is marked
//! failed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;

use super::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use super::{Delivery, DeliveryStatus, Endpoint};
use crate::config::WebhookSettings;
use crate::metrics::Metrics;
use crate::store::SharedStore;
use crate::tickets::now_ms;

const DELIVERY_HEADER: &str = "X-Switchboard-Delivery";
const EVENT_HEADER: &str = "X-Switchboard-Event";
const LOGGED_ERROR_CHARS: usize = 300;

/// Starts the worker on the current tokio runtime; it stops when `closed` resolves (attempts
/// already started finish on their own).
pub fn spawn(
    store: SharedStore,
    settings: WebhookSettings,
    metrics: Arc<Metrics>,
    closed: impl std::future::Future<Output = ()> + Send + 'static,
) {
    tokio::spawn(async move {
        tokio::select! {
            () = run(store, settings, metrics) => {}
            () = closed => {}
        }
    });
}

async fn run(store: SharedStore, settings: WebhookSettings, metrics: Arc<Metrics>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Switchboard-Webhooks/1")
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "webhook worker cannot build its HTTP client; webhooks are off");
            return;
        }
    };
    let worker = Worker {
        store,
        client,
        settings,
        metrics,
        in_flight: Arc::new(Mutex::new(HashSet::new())),
    };
    loop {
        worker.tick().await;
        tokio::time::sleep(Duration::from_millis(
            worker.settings.poll_interval_ms.max(1),
        ))
        .await;
    }
}

#[derive(Clone)]
struct Worker {
    store: SharedStore,
    client: reqwest::Client,
    settings: WebhookSettings,
    metrics: Arc<Metrics>,
    /// Deliveries being sent now: still at the head of their queue, so `due` lists them again.
    in_flight: Arc<Mutex<HashSet<u64>>>,
}

impl Worker {
    fn in_flight(&self) -> MutexGuard<'_, HashSet<u64>> {
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts an attempt for each due queue head not already in flight, up to `max_concurrent`.
    async fn tick(&self) {
        let limit = self.settings.max_concurrent.max(1);
        let busy = self.in_flight().len();
        if busy >= limit {
            return;
        }
        let due = match self
            .store
            .claim_due(now_ms(), limit - busy, self.lease_ms())
            .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, "webhook outbox unreadable");
                return;
            }
        };
        let mut started = busy;
        for delivery in due {
            if started >= limit || !self.in_flight().insert(delivery.id) {
                continue;
            }
            started += 1;
            let worker = self.clone();
            tokio::spawn(async move {
                let id = delivery.id;
                worker.attempt(delivery).await;
                // Saved first, released second: the next tick sees the new state, never a repeat.
                worker.in_flight().remove(&id);
            });
        }
    }

    /// How long a claimed delivery stays this replica's: longer than any attempt can take.
    fn lease_ms(&self) -> u64 {
        self.settings
            .timeout_ms
            .saturating_mul(2)
            .saturating_add(30_000)
    }

    async fn attempt(&self, mut delivery: Delivery) {
        let endpoint = match super::endpoints(self.store.as_ref(), &delivery.tenant).await {
            Ok(endpoints) => endpoints.into_iter().find(|e| e.id == delivery.endpoint_id),
            Err(error) => {
                tracing::error!(%error, tenant = %delivery.tenant, "webhook endpoints unreadable");
                return;
            }
        };
        delivery.last_attempt_at_ms = Some(now_ms());
        let Some(endpoint) = endpoint else {
            delivery.status = DeliveryStatus::Failed;
            delivery.last_error = Some("the endpoint was removed".into());
            self.finish(delivery, "dropped").await;
            return;
        };
        delivery.attempts += 1;
        let (status, error) = self.send(&endpoint, &delivery).await;
        delivery.last_status = status;
        let Some(error) = error else {
            delivery.status = DeliveryStatus::Delivered;
            delivery.delivered_at_ms = Some(now_ms());
            delivery.last_error = None;
            self.finish(delivery, "delivered").await;
            return;
        };
        self.retry_later(delivery, error).await;
    }

    /// One signed POST: the receiver's status (if it answered) and, unless it was a 2xx, the error.
    async fn send(
        &self,
        endpoint: &Endpoint,
        delivery: &Delivery,
    ) -> (Option<u16>, Option<String>) {
        let timestamp = now_ms() / 1000;
        let signature = sign(&endpoint.secret, timestamp, delivery.body.as_bytes());
        let sent = self
            .client
            .post(&endpoint.url)
            .header(CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .header(DELIVERY_HEADER, delivery.id.to_string())
            .header(EVENT_HEADER, event_name(delivery))
            .body(delivery.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                (Some(response.status().as_u16()), None)
            }
            Ok(response) => (
                Some(response.status().as_u16()),
                Some(format!("the receiver answered HTTP {}", response.status())),
            ),
            Err(error) => (None, Some(error_chain(&error))),
        }
    }

    async fn retry_later(&self, mut delivery: Delivery, error: String) {
        delivery.last_error = Some(error.chars().take(LOGGED_ERROR_CHARS).collect());
        let now = now_ms();
        if now.saturating_sub(delivery.created_at_ms) >= self.settings.give_up_after_ms {
            delivery.status = DeliveryStatus::Failed;
            self.finish(delivery, "gave_up").await;
            return;
        }
        delivery.next_attempt_at_ms = now + backoff_ms(&self.settings, delivery.attempts);
        self.finish(delivery, "failed_attempt").await;
    }

    async fn finish(&self, delivery: Delivery, outcome: &str) {
        self.metrics.webhook_attempt(outcome);
        let id = delivery.id;
        if let Err(error) = self.store.save_delivery(delivery).await {
            tracing::error!(%error, delivery = id, "webhook delivery log not saved");
        }
    }
}

fn event_name(delivery: &Delivery) -> String {
    serde_json::to_value(delivery.event_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The error with its causes ("error sending request: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The wait before the next attempt after `attempts` failed ones: initial * 2^(attempts-1), capped
/// at the maximum, then a random point in its upper half (so that receivers coming back are not hit
/// by every sender at the same instant).
pub fn backoff_ms(settings: &WebhookSettings, attempts: u32) -> u64 {
    let exponent = attempts.saturating_sub(1).min(32);
    let full = settings
        .initial_backoff_ms
        .saturating_mul(1u64 << exponent)
        .min(settings.max_backoff_ms);
    let half = full / 2;
    half + fastrand::u64(0..=full - half)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn backoff_doubles_with_jitter_and_stays_under_the_cap() {
        let mut settings = Settings::defaults().webhooks;
        settings.initial_backoff_ms = 100;
        settings.max_backoff_ms = 1000;
        for attempts in 1..=40 {
            let full = (100u64 << (attempts - 1).min(32)).min(1000);
            let wait = backoff_ms(&settings, attempts);
            assert!(wait >= full / 2 && wait <= full, "{attempts}: {wait}");
        }
    }
}
