//! The Switchboard service: the message path from a customer's text to a stored, answered turn.
//! It owns the components (classifier, knowledge base, ticket store) and knows nothing of HTTP.
//! `messages` is the customer's path, `admin` the operator's. The human side (issue 5):
//! `desk` (presence, queue, auto-assignment), `handling` (claim, reply, notes, hand back,
//! resolve), `customer` (handoff button, end chat, rating), `people` (agents, sessions),
//! `streams` (live updates for SSE).

mod admin;
mod customer;
mod desk;
mod handling;
mod messages;
mod people;
mod streams;

pub use admin::ModelSummary;
pub use desk::{QueueItem, QueueStatus, QueueView};
pub use handling::{CustomerView, HandlingError};
pub use messages::{MessageReply, Transcript};
pub use streams::Frame;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use uuid::Uuid;

use crate::config::{DialogueSettings, Settings};
use crate::error::ServiceError;
use crate::kb::KnowledgeBase;
use crate::nlu::Classifier;
use crate::tickets::TicketStore;
use crate::workers::CpuGate;

pub struct Switchboard {
    admin_token: String,
    model_dir: PathBuf,
    classifier: Arc<Classifier>,
    kb: Arc<KnowledgeBase>,
    store: TicketStore,
    dialogue: Arc<DialogueSettings>,
    cpu: CpuGate,
    desk: desk::Desk,
}

impl Switchboard {
    pub fn new(
        classifier: Arc<Classifier>,
        kb: Arc<KnowledgeBase>,
        store: TicketStore,
        settings: &Settings,
    ) -> Switchboard {
        Switchboard {
            admin_token: settings.admin.token.clone(),
            model_dir: settings.paths.model_dir.clone(),
            classifier,
            kb,
            dialogue: Arc::new(settings.dialogue.clone()),
            cpu: CpuGate::new(settings.nlu.max_in_flight),
            desk: desk::Desk::new(&store, settings),
            store,
        }
    }

    pub fn store(&self) -> &TicketStore {
        &self.store
    }
}

fn parse_id(id: &str) -> Result<Uuid, ServiceError> {
    Uuid::parse_str(id).map_err(|_| ServiceError::ConversationNotFound)
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
