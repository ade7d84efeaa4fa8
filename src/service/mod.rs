//! The Switchboard service: the message path from a customer's text to a stored, answered turn.
//! It owns the components (classifier, knowledge base, ticket store) and knows nothing of HTTP.
//! `messages` is the customer's path, `admin` the operator's, `kb_admin` the knowledge-base editor's.

mod admin;
mod kb_admin;
mod messages;

pub use admin::ModelSummary;
pub use messages::{MessageReply, Transcript};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use uuid::Uuid;

use crate::config::{DialogueSettings, Settings};
use crate::error::ServiceError;
use crate::kb::LiveKnowledgeBase;
use crate::nlu::Classifier;
use crate::tickets::TicketStore;
use crate::workers::CpuGate;

pub struct Switchboard {
    admin_token: String,
    model_dir: PathBuf,
    classifier: Arc<Classifier>,
    kb: Arc<LiveKnowledgeBase>,
    store: TicketStore,
    dialogue: Arc<DialogueSettings>,
    cpu: CpuGate,
}

impl Switchboard {
    pub fn new(
        classifier: Arc<Classifier>,
        kb: Arc<LiveKnowledgeBase>,
        store: TicketStore,
        settings: &Settings,
    ) -> Switchboard {
        Switchboard {
            admin_token: settings.admin.token.clone(),
            model_dir: settings.paths.model_dir.clone(),
            classifier,
            kb,
            store,
            dialogue: Arc::new(settings.dialogue.clone()),
            cpu: CpuGate::new(settings.nlu.max_in_flight),
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
