//! The CPU stage of a customer's turn: classify the message, judge it (a sensitive situation,
//! anger, a request for a person) and search the knowledge base when the plan calls for it. The
//! rest of the turn, storing and replying, is in [`messages`](super::messages).

use std::sync::Arc;
use std::time::Instant;

use super::Switchboard;
use crate::dialogue::{self, Lang, Plan};
use crate::error::ServiceError;
use crate::escalation::Escalation;
use crate::kb::{Hit, Mode, SearchRequest};
use crate::metrics::Stage;
use crate::nlu::Prediction;
use crate::tickets::Ticket;

/// Passages returned with an answer (the first is quoted, all are cited).
const SOURCES_PER_ANSWER: usize = 3;

/// What the CPU stage found: the prediction, the plan, and the passages for a lookup.
pub(super) struct Understanding {
    pub(super) prediction: Prediction,
    pub(super) plan: Plan,
    pub(super) hits: Vec<Hit>,
    /// Mild anger the bot answers first
    /// ([`Verdict::Tentative`](crate::escalation::assessment::Verdict::Tentative)).
    pub(super) held_back: Option<Escalation>,
}

impl Switchboard {
    /// Classifies, judges and, when the plan calls for it, searches: admitted by the CPU gate, the
    /// message embedded through the encoder's queue (awaited, no thread held), then the rest on
    /// the blocking pool. A sensitive situation, a rule that fired before the classifier
    /// (`forced`), a request for a person, then anger decide the plan; the prediction is still
    /// made, so agents see the intent.
    pub(super) async fn understand(
        &self,
        text: String,
        lang: Lang,
        ticket: &Ticket,
        forced: Option<Escalation>,
    ) -> Result<Understanding, ServiceError> {
        let tenant = ticket.tenant.clone();
        let before = dialogue::Before {
            failed_turns: ticket.failed_turns,
            annoyed: ticket.annoyed,
        };
        let shared = Arc::clone(&self.classifier);
        let models = Arc::clone(&self.tenant_models);
        let model_dir = self.tenants.get(&tenant).await?.intent_model_dir;
        let kb = Arc::clone(&self.kb);
        let settings = Arc::clone(&self.dialogue);
        let metrics = Arc::clone(&self.metrics);
        let judge = Arc::clone(&self.judge);
        let admission = self.cpu.admit()?;
        let classify_started = Instant::now();
        let queued = shared.encoder().embed_queued(&text).await?;
        let job = move || -> Result<Understanding, ServiceError> {
            let classifier = models.classifier_for(&shared, model_dir.as_deref())?;
            let (prediction, embedding) = match queued {
                Some(dense) => classifier.classify_with(&text, dense)?,
                None => classifier.classify_embedded(&text)?,
            };
            metrics.observe_stage(Stage::Classify, classify_started.elapsed().as_secs_f64());
            let (plan, held_back) = dialogue::decide(
                &judge,
                &text,
                &prediction,
                &embedding,
                forced,
                before,
                &settings,
            );
            let hits = if dialogue::needs_search(&plan, &settings) {
                let intents = dialogue::search_intents(&plan, &prediction);
                let request = SearchRequest {
                    text: &text,
                    intents: &intents,
                    lang: lang.code(),
                    tenant: Some(&tenant),
                    limit: SOURCES_PER_ANSWER,
                    embedding: Some(&embedding),
                    mode: Mode::Hybrid,
                };
                let search_started = Instant::now();
                let hits = kb.search(&request)?;
                metrics.observe_stage(Stage::Retrieve, search_started.elapsed().as_secs_f64());
                hits
            } else {
                Vec::new()
            };
            Ok(Understanding {
                prediction,
                plan,
                hits,
                held_back,
            })
        };
        admission.run(job).await?
    }
}
