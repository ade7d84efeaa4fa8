//! The Switchboard service: the message path from a customer's text to a stored, answered turn.
//! It owns the components (classifier, knowledge base, ticket store) and knows nothing of HTTP.
//! `messages` is the customer's path, `admin` the operator's, `kb_admin` the knowledge-base
//! editor's. The human side (issue 5):
//! `desk` (presence, queue, auto-assignment), `handling` (claim, reply, notes, hand back,
//! resolve), `customer` (handoff button, end chat, rating), `people` (agents, sessions),
//! `streams` (live updates for SSE). Partners and scoring (issue 6): `tenants` (registry and
//! keys), `partner` and `partner_tickets` (the tenant-scoped partner API), `webhooks`,
//! `analytics`. The improvement loop (issue 14): `gaps` (what the bot could not answer, in
//! topics) and `drafts` (articles and training examples made from resolved conversations).

mod admin;
mod analytics;
mod customer;
mod desk;
mod drafts;
pub mod gaps;
mod handling;
mod kb_admin;
mod messages;
mod partner;
mod partner_tickets;
mod people;
mod queue;
mod queue_views;
mod replicas;
mod streams;
mod tenant_models;
mod tenants;
mod understanding;
mod webhooks;

pub use admin::ModelSummary;
pub use analytics::{AnalyticsQuery, PartnerAnalyticsQuery};
pub use drafts::{
    ArticleDraft, Draft, DraftEdit, DraftKind, DraftStatus, ExamplesDraft, NewDraft, Published,
};
pub use gaps::{GapExample, GapReport, GapTopic, GapTurn, GapsQuery, IntentCount, ReviewError};
pub use handling::{CustomerView, HandlingError};
pub use messages::{MessageReply, Transcript};
pub use partner::{AgentReply, KbHit, KbQuery, PartnerConversation};
pub use partner_tickets::{CloseTicket, TicketPage, TicketQuery, TicketUpdate};
pub use queue::{QueueItem, QueueStatus, QueueView};
pub use streams::Frame;
pub use tenants::{CreatedTenant, NewKey, RotatedKey};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use uuid::Uuid;

use crate::config::{DialogueSettings, Settings, SlaSettings};
use crate::error::ServiceError;
use crate::escalation::judge::Judge;
use crate::kb::LiveKnowledgeBase;
use crate::limits::RateLimits;
use crate::metrics::Metrics;
use crate::nlu::Classifier;
use crate::nlu::cache::EmbeddingCache;
use crate::store::{Append, SharedStore};
use crate::tenants::TenantRegistry;
use crate::tickets::{Event, EventKind, Ticket, now_ms};
use crate::webhooks::EndpointLimits;
use crate::workers::CpuGate;

/// Conversations whose last message vector this replica keeps (about 3 KB each with the routed
/// encoder: 6 MB): far more than take turns at once, even at 256 clients; an older one's
/// follow-up only costs an encoder run.
const LAST_MESSAGES: usize = 2048;

pub struct Switchboard {
    admin_token: String,
    model_dir: PathBuf,
    classifier: Arc<Classifier>,
    judge: Arc<Judge>,
    kb: Arc<LiveKnowledgeBase>,
    /// Serialises knowledge-base edits (build, persist, swap) on this replica.
    kb_edits: tokio::sync::Mutex<()>,
    store: SharedStore,
    dialogue: Arc<DialogueSettings>,
    cpu: CpuGate,
    desk: desk::Desk,
    tenants: TenantRegistry,
    tenant_models: Arc<tenant_models::TenantModels>,
    limits: RateLimits,
    metrics: Arc<Metrics>,
    sla: SlaSettings,
    webhook_limits: EndpointLimits,
    /// Each conversation's last message vector, for reading a follow-up with it
    /// ([`understanding`]).
    last_messages: Arc<EmbeddingCache>,
}

impl Switchboard {
    /// The service on `store`; the default tenant exists from the start.
    pub async fn new(
        classifier: Arc<Classifier>,
        kb: Arc<LiveKnowledgeBase>,
        store: SharedStore,
        settings: &Settings,
    ) -> Result<Switchboard, ServiceError> {
        let tenants = TenantRegistry::new(Arc::clone(&store));
        tenants.ensure_default().await?;
        let judge = Judge::load(
            &settings.paths.escalation_model_dir,
            Arc::clone(classifier.encoder()),
            &settings.escalation,
        );
        Ok(Switchboard {
            admin_token: settings.admin.token.clone(),
            model_dir: settings.paths.model_dir.clone(),
            judge: Arc::new(judge),
            classifier,
            kb,
            kb_edits: tokio::sync::Mutex::new(()),
            dialogue: Arc::new(settings.dialogue.clone()),
            cpu: CpuGate::new(settings.nlu.max_in_flight, settings.nlu.max_queued),
            desk: desk::Desk::new(&store, settings),
            store,
            tenants,
            tenant_models: Arc::default(),
            limits: RateLimits::new(&settings.limits),
            metrics: Arc::new(Metrics::new()),
            sla: settings.sla,
            webhook_limits: EndpointLimits {
                max_endpoints: settings.webhooks.max_endpoints,
            },
            last_messages: Arc::new(EmbeddingCache::new(LAST_MESSAGES, usize::MAX)),
        })
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    pub fn tenants(&self) -> &TenantRegistry {
        &self.tenants
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

impl Switchboard {
    /// Background work once the service exists: with sled, everyone starts offline (no console
    /// survived the restart); with PostgreSQL, follow the other replicas.
    pub async fn start(
        self: &Arc<Self>,
        settings: &Settings,
        kb_revision: Option<String>,
    ) -> Result<(), ServiceError> {
        if self.store.subscribe().is_none() {
            self.desk.clear_presence().await?;
        }
        self.follow_replicas(kb_revision, crate::startup::kb_poll(settings));
        Ok(())
    }

    /// Ends every live stream (shutdown has begun).
    pub fn close_streams(&self) {
        self.desk.hub.close();
    }

    /// Resolves when shutdown has begun.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.desk.hub.closed()
    }

    /// Ends the streams and closes the store (pending writes committed and flushed).
    pub async fn shutdown(&self) {
        self.close_streams();
        self.store.close().await;
    }

    /// Appends now, then publishes the new events to the live hub (subscribers only ever see
    /// what is durable: the store resolves after its commit).
    pub(super) async fn append_and_publish(&self, append: Append) -> Result<Ticket, ServiceError> {
        let appended = self.store.append(append).await?;
        for event in appended.events {
            self.publish_event(&appended.ticket, event);
        }
        Ok(appended.ticket)
    }

    /// An append of `events` stamped now, changing nothing else.
    pub(super) async fn append_events(
        &self,
        id: Uuid,
        events: Vec<EventKind>,
    ) -> Result<Ticket, ServiceError> {
        self.append_and_publish(Append::events(id, now_ms(), events))
            .await
    }

    fn publish_event(&self, ticket: &Ticket, event: Event) {
        if let EventKind::Escalated { reason, .. } = &event.kind {
            self.metrics.record_escalation(*reason);
        }
        self.desk.hub.publish(crate::live::LiveMessage::Event {
            tenant: ticket.tenant.clone(),
            conversation_id: ticket.id,
            event,
        });
    }
}

fn parse_id(id: &str) -> Result<Uuid, ServiceError> {
    Uuid::parse_str(id).map_err(|_| ServiceError::ConversationNotFound)
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
