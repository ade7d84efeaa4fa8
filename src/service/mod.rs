//! The Switchboard service: the message path from a customer's text to a stored, answered turn.
//! It owns the components (classifier, knowledge base, ticket store) and knows nothing of HTTP.
//! `messages` is the customer's path, `admin` the operator's, `kb_admin` the knowledge-base
//! editor's. The human side (issue 5):
//! `desk` (presence, queue, auto-assignment), `handling` (claim, reply, notes, hand back,
//! resolve), `customer` (handoff button, end chat, rating), `people` (agents, sessions),
//! `streams` (live updates for SSE). Partners and scoring (issue 6): `tenants` (registry and
//! keys), `partner` and `partner_tickets` (the tenant-scoped partner API), `webhooks`,
//! `analytics`.

mod admin;
mod analytics;
mod customer;
mod desk;
mod handling;
mod kb_admin;
mod messages;
mod partner;
mod partner_tickets;
mod people;
mod streams;
mod tenant_models;
mod tenants;
mod webhooks;

pub use admin::ModelSummary;
pub use analytics::{AnalyticsQuery, PartnerAnalyticsQuery};
pub use desk::{QueueItem, QueueStatus, QueueView};
pub use handling::{CustomerView, HandlingError};
pub use messages::{MessageReply, Transcript};
pub use partner::{AgentReply, KbHit, KbQuery, PartnerConversation};
pub use partner_tickets::{CloseTicket, TicketPage, TicketQuery, TicketUpdate};
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
use crate::tenants::TenantRegistry;
use crate::tickets::TicketStore;
use crate::webhooks::EndpointLimits;
use crate::workers::CpuGate;

pub struct Switchboard {
    admin_token: String,
    model_dir: PathBuf,
    classifier: Arc<Classifier>,
    judge: Arc<Judge>,
    kb: Arc<LiveKnowledgeBase>,
    store: TicketStore,
    dialogue: Arc<DialogueSettings>,
    cpu: CpuGate,
    desk: desk::Desk,
    tenants: TenantRegistry,
    tenant_models: Arc<tenant_models::TenantModels>,
    limits: RateLimits,
    metrics: Arc<Metrics>,
    sla: SlaSettings,
    webhook_limits: EndpointLimits,
}

impl Switchboard {
    pub fn new(
        classifier: Arc<Classifier>,
        kb: Arc<LiveKnowledgeBase>,
        store: TicketStore,
        settings: &Settings,
    ) -> Result<Switchboard, ServiceError> {
        // Tenants live in the ticket store's database; the default one exists from the start.
        let tenants = TenantRegistry::open(store.db())?;
        tenants.ensure_default()?;
        let judge = Judge::load(
            &settings.paths.escalation_model_dir,
            classifier.encoder().dim(),
            &settings.escalation,
        );
        Ok(Switchboard {
            admin_token: settings.admin.token.clone(),
            model_dir: settings.paths.model_dir.clone(),
            judge: Arc::new(judge),
            classifier,
            kb,
            dialogue: Arc::new(settings.dialogue.clone()),
            cpu: CpuGate::new(settings.nlu.max_in_flight),
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
        })
    }

    pub fn store(&self) -> &TicketStore {
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

fn parse_id(id: &str) -> Result<Uuid, ServiceError> {
    Uuid::parse_str(id).map_err(|_| ServiceError::ConversationNotFound)
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
