//! The CPU stage of a customer's turn: classify the message, judge it (a sensitive situation,
//! anger, a request for a person), search the knowledge base when the plan calls for it, and
//! compose the bot's reply. The rest of the turn, storing and sending it, is in
//! [`messages`](super::messages).

use std::sync::Arc;
use std::time::Instant;

use super::Switchboard;
use crate::config::DialogueSettings;
use crate::dialogue::{self, Lang, Outcome, Plan};
use crate::error::ServiceError;
use crate::escalation::Escalation;
use crate::kb::{Hit, LiveKnowledgeBase, Mode, SearchRequest};
use crate::metrics::{Metrics, Stage};
use crate::nlu::cache::EmbeddingCache;
use crate::nlu::{Classifier, Prediction};
use crate::tickets::Ticket;

/// Passages returned with an answer (the first is quoted, all are cited).
const SOURCES_PER_ANSWER: usize = 3;

/// What the CPU stage found: the prediction and the bot's reply.
pub(super) struct Understanding {
    pub(super) prediction: Prediction,
    pub(super) outcome: Outcome,
    /// Mild anger was held back and the bot answered anyway
    /// ([`Verdict::Tentative`](crate::escalation::assessment::Verdict::Tentative)).
    pub(super) annoyed: bool,
}

impl Switchboard {
    /// Classifies, judges and, when the plan calls for it, searches: admitted by the CPU gate, the
    /// message embedded through the encoder's queue (awaited, no thread held), then the rest on
    /// the blocking pool. A sensitive situation, a rule that fired before the classifier
    /// (`forced`), a request for a person, then anger decide the plan; the prediction is still
    /// made, so agents see the intent. A follow-up the bot cannot answer is read again with the
    /// customer's message before it ([`dialogue::reread_text`]). `text` is the message as read
    /// (misspelt words read as the words they stand for), `sent` as the customer sent it.
    pub(super) async fn understand(
        &self,
        text: String,
        sent: &str,
        lang: Lang,
        ticket: &Ticket,
        forced: Option<Escalation>,
    ) -> Result<Understanding, ServiceError> {
        let tenant = ticket.tenant.clone();
        let before = dialogue::Before {
            failed_turns: ticket.failed_turns,
            annoyed: ticket.annoyed,
        };
        let previous = ticket
            .latest
            .as_ref()
            .and_then(|latest| latest.customer_message.clone());
        let shared = Arc::clone(&self.classifier);
        let models = Arc::clone(&self.tenant_models);
        let model_dir = self.tenants.get(&tenant).await?.intent_model_dir;
        let lookup = Lookup {
            kb: Arc::clone(&self.kb),
            settings: Arc::clone(&self.dialogue),
            metrics: Arc::clone(&self.metrics),
            tenant,
            lang,
        };
        let memory = Memory {
            last_messages: Arc::clone(&self.last_messages),
            this: format!("{}\n{sent}", ticket.id),
            previous: previous
                .as_ref()
                .map(|text| format!("{}\n{text}", ticket.id)),
        };
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
            let metrics = &lookup.metrics;
            metrics.observe_stage(Stage::Classify, classify_started.elapsed().as_secs_f64());
            memory.remember(&embedding);
            let settings = &lookup.settings;
            let (plan, held_back) = dialogue::decide(
                &judge,
                &text,
                &prediction,
                &embedding,
                forced,
                before,
                settings,
            );
            let hits = lookup.search(&text, &plan, &prediction, &embedding)?;
            let found_alone = hits.clone();
            let annoyed = held_back.is_some();
            let outcome = dialogue::respond_holding(
                plan.clone(),
                hits,
                held_back,
                lookup.lang,
                before.failed_turns,
                settings,
            );
            let understood = Understanding {
                prediction,
                outcome,
                annoyed,
            };
            let previous_turn = previous.as_deref().map(|text| dialogue::Previous {
                text,
                failed: before.failed_turns > 0,
            });
            let followed = Followed {
                previous: previous_turn,
                text: &text,
                embedding: &embedding,
                plan: &plan,
                found_alone: &found_alone,
            };
            lookup.read_again(&classifier, &memory, followed, understood)
        };
        admission.run(job).await?
    }
}

/// What a search needs besides the message, moved onto the blocking pool with it.
struct Lookup {
    kb: Arc<LiveKnowledgeBase>,
    settings: Arc<DialogueSettings>,
    metrics: Arc<Metrics>,
    tenant: String,
    lang: Lang,
}

impl Lookup {
    /// The passages `plan` needs (none unless it looks something up or cites an article).
    fn search(
        &self,
        text: &str,
        plan: &Plan,
        prediction: &Prediction,
        embedding: &[f32],
    ) -> Result<Vec<Hit>, ServiceError> {
        if !dialogue::needs_search(plan, &self.settings) {
            return Ok(Vec::new());
        }
        let intents = dialogue::search_intents(plan, prediction);
        let request = SearchRequest {
            text,
            intents: &intents,
            lang: self.lang.code(),
            tenant: Some(&self.tenant),
            limit: SOURCES_PER_ANSWER,
            embedding: Some(embedding),
            mode: Mode::Hybrid,
        };
        let search_started = Instant::now();
        let hits = self.kb.search(&request)?;
        let elapsed = search_started.elapsed().as_secs_f64();
        self.metrics.observe_stage(Stage::Retrieve, elapsed);
        Ok(hits)
    }

    /// `understood`, or, when it failed, the answer found by reading the message after the
    /// customer's previous one, if that answer stands ([`dialogue::reread_text`],
    /// [`dialogue::stands_on_reread`]).
    fn read_again(
        &self,
        classifier: &Classifier,
        memory: &Memory,
        followed: Followed,
        understood: Understanding,
    ) -> Result<Understanding, ServiceError> {
        let Followed {
            previous,
            text,
            embedding,
            plan,
            found_alone,
        } = followed;
        let Some(both) = dialogue::reread_text(previous, text, plan, &understood.outcome) else {
            return Ok(understood);
        };
        let blended = memory
            .recall()
            .and_then(|vector| classifier.encoder().blend(&vector, embedding));
        self.metrics.record_reread(blended.is_some());
        let answer = self
            .answer(classifier, &both, blended)?
            .filter(|answer| dialogue::stands_on_reread(previous, found_alone, &answer.outcome));
        Ok(answer.unwrap_or(understood))
    }

    /// `text` understood as a lookup the knowledge base answers, or `None`; `dense` is its
    /// vector when known (blended), else the encoder makes it.
    fn answer(
        &self,
        classifier: &Classifier,
        text: &str,
        dense: Option<Vec<f32>>,
    ) -> Result<Option<Understanding>, ServiceError> {
        let (prediction, embedding) = match dense {
            Some(dense) => classifier.classify_with(text, dense)?,
            None => classifier.classify_embedded(text)?,
        };
        let plan = dialogue::plan(text, &prediction, &self.settings);
        if !matches!(plan, Plan::Lookup { .. }) {
            return Ok(None);
        }
        let hits = self.search(text, &plan, &prediction, &embedding)?;
        let answer = dialogue::answered_on_reread(plan, hits, self.lang, &self.settings);
        Ok(answer.map(|outcome| Understanding {
            prediction,
            outcome,
            annoyed: false,
        }))
    }
}

/// A message and what reading it again with the customer's message before it needs: that
/// message, this one's vector, its plan and its own hits.
struct Followed<'a> {
    previous: Option<dialogue::Previous<'a>>,
    text: &'a str,
    embedding: &'a [f32],
    plan: &'a Plan,
    found_alone: &'a [Hit],
}

/// This replica's memory of each conversation's last message vector, so that reading a
/// follow-up with the message before it costs no encoder run ([`Encoder::blend`]). Keyed by
/// the conversation and the message as the customer sent it (the ticket keeps that text as its
/// latest customer message), so a stale entry never matches; a miss (another replica took the
/// turn before, a restart, an evicted entry) runs the encoder on the pair, as before the memory.
///
/// [`Encoder::blend`]: crate::nlu::Encoder::blend
struct Memory {
    last_messages: Arc<EmbeddingCache>,
    /// This message's key.
    this: String,
    /// The customer's message before it, if any.
    previous: Option<String>,
}

impl Memory {
    fn remember(&self, vector: &[f32]) {
        self.last_messages.put(&self.this, vector);
    }

    /// The previous message's vector, if this replica still has it.
    fn recall(&self) -> Option<Vec<f32>> {
        self.last_messages.get(self.previous.as_deref()?)
    }
}
