//! The gaps view: what customers asked that the bot could not answer, grouped into topics, so
//! that an admin sees each week which articles and intents are missing. Together with `drafts`
//! (an agent's answer turned into an article, a customer's messages into training examples) it
//! is the loop that makes the bot better.
//!
//! A report scans one tenant's recent tickets (a time window and a ticket cap, both in the
//! report, so a partial scan says so), takes their gap turns (`turns`), embeds the messages with
//! the service's encoder and clusters them (`topics`), all CPU work in batches on the CPU gate.

mod topics;
mod turns;

pub use topics::{Point, THRESHOLD, cluster, similarity};
pub use turns::{GapTurn, HANDED_OVER, action_name, gap_turns, is_gap};

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Switchboard;
use crate::agents::{AgentProfile, Role};
use crate::dialogue::Lang;
use crate::error::ServiceError;
use crate::nlu::features::sparse_features;
use crate::store::TicketFilter;
use crate::tickets::{Ticket, now_ms};

const DAY_MS: u64 = 86_400_000;
const DEFAULT_DAYS: u32 = 30;
const MAX_DAYS: u32 = 365;
const DEFAULT_MAX_TICKETS: usize = 2000;
const MAX_MAX_TICKETS: usize = 20_000;
/// Gap messages clustered at most (the newest); about 2-3 s of encoder time on 2 cores.
const MAX_TURNS: usize = 2000;
/// Messages embedded per CPU-gate job, so that customers' messages interleave with a report.
const EMBED_BATCH: usize = 32;
const EXAMPLES_PER_TOPIC: usize = 5;
const HEADER_PAGE: usize = 500;

/// Refusals of the improvement loop (the gaps view and the drafts).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("only an admin of the tenant may do this")]
    AdminOnly,
    #[error("draft not found")]
    DraftNotFound,
    #[error("resolve the conversation before drafting from it")]
    NotResolved,
    #[error("nothing to draft: {0}")]
    NothingToDraft(String),
    #[error("invalid draft: {0}")]
    InvalidDraft(String),
    #[error("the draft is already published")]
    AlreadyPublished,
}

/// The gaps view's parameters (query string).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GapsQuery {
    /// Tickets created in the last this many days (1-365, default 30).
    pub days: Option<u32>,
    /// At most this many tickets, the newest (1-20000, default 2000).
    pub max_tickets: Option<usize>,
    /// `biggest` (most messages first, then the latest; the default) or `newest`.
    pub sort: Option<String>,
}

/// One message of a topic, with where to find it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapExample {
    pub conversation_id: Uuid,
    pub text: String,
    pub at_ms: u64,
    pub kind: String,
    pub intent: Option<String>,
    pub answered_by_agent: bool,
}

/// Messages the bot could not answer that look alike.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapTopic {
    /// Messages in the topic.
    pub count: usize,
    /// Distinct conversations they come from.
    pub conversations: usize,
    /// `en` or `zh` (a topic never mixes languages).
    pub lang: String,
    pub latest_at_ms: u64,
    /// Messages per kind: the bot's action (`clarify`, `escalated`, …) or `handed_over`.
    pub kinds: BTreeMap<String, usize>,
    /// Messages a person answered afterwards (their answers are what an article could say).
    pub answered_by_agent: usize,
    /// The intents predicted for the messages, most frequent first.
    pub intents: Vec<IntentCount>,
    /// Up to five messages, newest first, distinct texts.
    pub examples: Vec<GapExample>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntentCount {
    pub intent: String,
    pub count: usize,
}

/// What was scanned and what was found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapReport {
    pub tenant: String,
    /// Tickets created in `[from_ms, to_ms)`.
    pub from_ms: u64,
    pub to_ms: u64,
    pub days: u32,
    pub max_tickets: usize,
    /// Tickets created in the window, and how many of them (the newest) were read.
    pub tickets_in_window: usize,
    pub tickets_scanned: usize,
    /// Gap messages found, and how many of them (the newest) were grouped.
    pub gap_messages: usize,
    pub gap_messages_grouped: usize,
    /// True when a cap left tickets or messages out.
    pub truncated: bool,
    pub sort: String,
    pub topics: Vec<GapTopic>,
}

impl Switchboard {
    /// The tenant's gaps, for an admin of that tenant.
    pub async fn gaps(
        &self,
        agent: &AgentProfile,
        query: &GapsQuery,
    ) -> Result<GapReport, ServiceError> {
        require_admin(agent)?;
        let (days, max_tickets, newest_first) = checked(query)?;
        let to_ms = now_ms().saturating_add(1);
        let from_ms = to_ms.saturating_sub(u64::from(days) * DAY_MS);
        let (in_window, tickets) = self
            .newest_tickets(&agent.tenant, (from_ms, to_ms), max_tickets)
            .await?;
        let uninformative = self.uninformative_intents();
        let mut turns = Vec::new();
        for ticket in &tickets {
            let events = self.store.events_after(ticket.id, None).await?;
            turns.extend(
                gap_turns(ticket.id, &events)
                    .into_iter()
                    .filter(|turn| !is_uninformative(turn, &uninformative)),
            );
        }
        turns.sort_by_key(|turn| std::cmp::Reverse(turn.at_ms));
        let found = turns.len();
        turns.truncate(MAX_TURNS);
        let mut topics = self.topics(turns).await?;
        sort_topics(&mut topics, newest_first);
        Ok(GapReport {
            tenant: agent.tenant.clone(),
            from_ms,
            to_ms,
            days,
            max_tickets,
            tickets_in_window: in_window,
            tickets_scanned: tickets.len(),
            gap_messages: found,
            gap_messages_grouped: found.min(MAX_TURNS),
            truncated: in_window > tickets.len() || found > MAX_TURNS,
            sort: if newest_first { "newest" } else { "biggest" }.into(),
            topics,
        })
    }

    /// The tenant's tickets created in `window`: how many there are, and the newest `max`.
    async fn newest_tickets(
        &self,
        tenant: &str,
        window: (u64, u64),
        max: usize,
    ) -> Result<(usize, Vec<Ticket>), ServiceError> {
        let filter = TicketFilter {
            tenant: Some(tenant.to_string()),
            created_ms: Some(window),
            ..TicketFilter::default()
        };
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .tickets(filter.clone(), after, HEADER_PAGE)
                .await?;
            let full = page.len() == HEADER_PAGE;
            after = page.last().map(|t| t.id);
            all.extend(page);
            if !full {
                break;
            }
        }
        let count = all.len();
        all.sort_by(|a, b| b.created_at_ms.cmp(&a.created_at_ms).then(a.id.cmp(&b.id)));
        all.truncate(max);
        Ok((count, all))
    }

    /// Embeds the turns (newest first) in batches on the CPU gate, then clusters them.
    async fn topics(&self, turns: Vec<GapTurn>) -> Result<Vec<GapTopic>, ServiceError> {
        let mut points = Vec::with_capacity(turns.len());
        for batch in turns.chunks(EMBED_BATCH) {
            let texts: Vec<String> = batch.iter().map(|t| t.text.clone()).collect();
            let classifier = Arc::clone(&self.classifier);
            let job = move || -> Result<Vec<Point>, ServiceError> {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let dense = classifier.encoder().embed(&refs)?;
                Ok(texts
                    .iter()
                    .zip(dense)
                    .map(|(text, dense)| point(text, dense))
                    .collect())
            };
            points.extend(self.cpu.run(job).await??);
        }
        let groups = self.cpu.run(move || cluster(&points, THRESHOLD)).await?;
        Ok(groups
            .iter()
            .map(|members| topic(&turns, members))
            .collect())
    }
}

impl Switchboard {
    /// Small talk and requests for a person: intents that name no topic. Turns predicted as one
    /// are not gaps (the bot did what was asked), and never label an article or examples.
    pub(super) fn uninformative_intents(&self) -> Vec<String> {
        self.dialogue
            .smalltalk_intents
            .iter()
            .chain(&self.dialogue.handoff_intents)
            .cloned()
            .collect()
    }
}

/// "I want to talk to a person", "hello?": the bot had nothing to answer, so no topic to fill.
pub fn is_uninformative(turn: &GapTurn, uninformative: &[String]) -> bool {
    turn.intent
        .as_ref()
        .is_some_and(|intent| uninformative.contains(intent))
}

pub(super) fn require_admin(agent: &AgentProfile) -> Result<(), ServiceError> {
    match agent.role {
        Role::Admin => Ok(()),
        Role::Agent => Err(ReviewError::AdminOnly.into()),
    }
}

/// The query's days, ticket cap and order (newest first?), defaulted and range-checked.
fn checked(query: &GapsQuery) -> Result<(u32, usize, bool), ServiceError> {
    let days = query.days.unwrap_or(DEFAULT_DAYS);
    let max_tickets = query.max_tickets.unwrap_or(DEFAULT_MAX_TICKETS);
    let newest_first = match query.sort.as_deref() {
        None | Some("") | Some("biggest") => false,
        Some("newest") => true,
        Some(other) => {
            return Err(invalid(format!(
                "`sort` {other:?} is not biggest or newest"
            )));
        }
    };
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(invalid(format!("`days` must be 1-{MAX_DAYS}")));
    }
    if !(1..=MAX_MAX_TICKETS).contains(&max_tickets) {
        return Err(invalid(format!(
            "`max_tickets` must be 1-{MAX_MAX_TICKETS}"
        )));
    }
    Ok((days, max_tickets, newest_first))
}

fn invalid(message: String) -> ServiceError {
    ServiceError::InvalidParameter(message)
}

/// A message as the clustering sees it: its language, encoder vector and n-grams.
pub fn point(text: &str, dense: Vec<f32>) -> Point {
    Point {
        lang: Lang::detect(text),
        dense,
        sparse: sparse_features(text),
    }
}

/// Sums up a topic; `members` index `turns`, which are newest first.
fn topic(turns: &[GapTurn], members: &[usize]) -> GapTopic {
    let member_turns: Vec<&GapTurn> = members.iter().filter_map(|&i| turns.get(i)).collect();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut intents: BTreeMap<&str, usize> = BTreeMap::new();
    let mut conversations: Vec<Uuid> = Vec::new();
    let mut examples: Vec<GapExample> = Vec::new();
    for turn in &member_turns {
        *kinds.entry(turn.kind.clone()).or_default() += 1;
        if let Some(intent) = &turn.intent {
            *intents.entry(intent).or_default() += 1;
        }
        if !conversations.contains(&turn.conversation_id) {
            conversations.push(turn.conversation_id);
        }
        let seen = examples.iter().any(|e| e.text == turn.text);
        if examples.len() < EXAMPLES_PER_TOPIC && !seen {
            examples.push(example(turn));
        }
    }
    let mut intents: Vec<IntentCount> = intents
        .into_iter()
        .map(|(intent, count)| IntentCount {
            intent: intent.to_string(),
            count,
        })
        .collect();
    intents.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.intent.cmp(&b.intent)));
    GapTopic {
        count: member_turns.len(),
        conversations: conversations.len(),
        lang: member_turns
            .first()
            .map_or(Lang::En, |t| Lang::detect(&t.text))
            .code()
            .to_string(),
        latest_at_ms: member_turns.iter().map(|t| t.at_ms).max().unwrap_or(0),
        answered_by_agent: member_turns.iter().filter(|t| t.answered_by_agent).count(),
        kinds,
        intents,
        examples,
    }
}

fn example(turn: &GapTurn) -> GapExample {
    GapExample {
        conversation_id: turn.conversation_id,
        text: turn.text.clone(),
        at_ms: turn.at_ms,
        kind: turn.kind.clone(),
        intent: turn.intent.clone(),
        answered_by_agent: turn.answered_by_agent,
    }
}

/// Biggest first (then the latest), or the latest first (then the biggest).
fn sort_topics(topics: &mut [GapTopic], newest_first: bool) {
    topics.sort_by(|a, b| {
        let by_size = b.count.cmp(&a.count);
        let by_time = b.latest_at_ms.cmp(&a.latest_at_ms);
        if newest_first {
            by_time.then(by_size)
        } else {
            by_size.then(by_time)
        }
    });
}
