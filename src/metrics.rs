//! Prometheus metrics: one registry per running service (so that servers in one test process do
//! not mix their counts), rendered in the text exposition format by `GET /metrics`.
//!
//! Labels are bounded: routes are the matched patterns (`/v1/conversations/{id}`), never raw paths;
//! methods outside the standard set are `other`; stages, reasons and outcomes are fixed names.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::tickets::EscalationReason;

/// Seconds: from 0.5 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The parts of the message path timed separately.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    Classify,
    Retrieve,
    Store,
}

pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    stage_duration: HistogramVec,
    escalations: IntCounterVec,
    webhook_deliveries: IntCounterVec,
    rereads: IntCounterVec,
    queue_depth: IntGauge,
    outbox_pending: IntGauge,
}

const STATIC_DEFINITION: &str = "metric definitions are static and registered once";

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let counter = IntCounterVec::new(Opts::new(name, help), labels).expect(STATIC_DEFINITION);
    registry
        .register(Box::new(counter.clone()))
        .expect(STATIC_DEFINITION);
    counter
}

fn histogram(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
    let histogram = HistogramVec::new(opts, labels).expect(STATIC_DEFINITION);
    registry
        .register(Box::new(histogram.clone()))
        .expect(STATIC_DEFINITION);
    histogram
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let gauge = IntGauge::new(name, help).expect(STATIC_DEFINITION);
    registry
        .register(Box::new(gauge.clone()))
        .expect(STATIC_DEFINITION);
    gauge
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new();
        Metrics {
            http_requests: counter(
                &r,
                "switchboard_http_requests_total",
                "HTTP requests by method, matched route and status code.",
                &["method", "route", "status"],
            ),
            http_duration: histogram(
                &r,
                "switchboard_http_request_duration_seconds",
                "HTTP request latency by method and matched route.",
                &["method", "route"],
            ),
            stage_duration: histogram(
                &r,
                "switchboard_stage_duration_seconds",
                "Message path stages: classify, retrieve (knowledge-base search), store (append + fsync).",
                &["stage"],
            ),
            escalations: counter(
                &r,
                "switchboard_escalations_total",
                "Conversations handed to a person, by reason.",
                &["reason"],
            ),
            webhook_deliveries: counter(
                &r,
                "switchboard_webhook_deliveries_total",
                "Webhook delivery attempts by outcome: delivered, failed_attempt (will retry), gave_up, dropped (endpoint removed).",
                &["outcome"],
            ),
            rereads: counter(
                &r,
                "switchboard_rereads_total",
                "Follow-ups read again with the customer's message before them, by where the pair's vector came from: remembered (this replica kept the previous message's vector) or encoded (the encoder ran on the pair: a memory miss, or two languages).",
                &["vector"],
            ),
            queue_depth: gauge(
                &r,
                "switchboard_escalation_queue_depth",
                "Tickets waiting for a person (status escalated).",
            ),
            outbox_pending: gauge(
                &r,
                "switchboard_webhook_outbox_pending",
                "Webhook deliveries queued and not yet delivered.",
            ),
            registry: r,
        }
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = match method {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => method,
            _ => "other",
        };
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    pub fn observe_stage(&self, stage: Stage, seconds: f64) {
        let name = match stage {
            Stage::Classify => "classify",
            Stage::Retrieve => "retrieve",
            Stage::Store => "store",
        };
        self.stage_duration
            .with_label_values(&[name])
            .observe(seconds);
    }

    pub fn record_escalation(&self, reason: EscalationReason) {
        let name = match reason {
            EscalationReason::ExplicitRequest => "explicit_request",
            EscalationReason::OutOfScope => "out_of_scope",
            EscalationReason::RepeatedFailure => "repeated_failure",
            EscalationReason::NegativeSentiment => "negative_sentiment",
            EscalationReason::TenantRule => "tenant_rule",
            EscalationReason::Sensitive => "sensitive",
        };
        self.escalations.with_label_values(&[name]).inc();
    }

    /// A follow-up read again; `remembered`: without running the encoder on the pair.
    pub fn record_reread(&self, remembered: bool) {
        let vector = if remembered { "remembered" } else { "encoded" };
        self.rereads.with_label_values(&[vector]).inc();
    }

    /// `outcome`: delivered, failed_attempt, gave_up or dropped.
    pub fn webhook_attempt(&self, outcome: &str) {
        self.webhook_deliveries.with_label_values(&[outcome]).inc();
    }

    /// The exposition text, with the gauges measured by the caller just before.
    pub fn render(&self, queue_depth: usize, outbox_pending: usize) -> String {
        self.queue_depth
            .set(i64::try_from(queue_depth).unwrap_or(i64::MAX));
        self.outbox_pending
            .set(i64::try_from(outbox_pending).unwrap_or(i64::MAX));
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::error!(%error, "metrics could not be encoded");
        }
        String::from_utf8_lossy(&text).into_owned()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        let metrics = Metrics::new();
        metrics.observe_request("BREW", "/health", 200, 0.001);
        let text = metrics.render(0, 0);
        assert!(text.contains(r#"method="other""#), "{text}");
        assert!(!text.contains("BREW"));
    }
}
