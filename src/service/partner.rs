//! The partner API's domain: what a partner's own support desk does, scoped to the tenant of its
//! API key. Every lookup goes through [`Switchboard::ticket_for_tenant`], so another tenant's
//! conversation is indistinguishable from one that does not exist (404, never 403).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{MessageReply, Switchboard, Transcript, parse_id};
use crate::error::ServiceError;
use crate::kb::{Hit, LiveKnowledgeBase, SearchRequest};
use crate::store::Append;
use crate::tenants::{Tenant, valid_slug};
use crate::tickets::{Conflict, EventKind, Ticket, TicketStatus, new_ticket, now_ms};

/// The channel of conversations a partner opens, unless it names one.
const PARTNER_CHANNEL: &str = "partner";
const MAX_METADATA_ENTRIES: usize = 32;
const MAX_SEARCH_RESULTS: usize = 20;

/// A conversation for one of the partner's customers.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerConversation {
    /// The partner's own id for the customer (1-128 bytes).
    pub customer_id: String,
    /// Free key/value pairs (at most 32; keys 1-64 bytes, values at most 512).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Defaults to `partner`.
    pub channel: Option<String>,
}

/// A reply written by a person at the partner's desk.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentReply {
    /// The agent's name as the partner knows them (1-64 bytes).
    pub agent: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KbQuery {
    /// The search text.
    pub q: String,
    /// 1-20, default 5.
    pub limit: Option<usize>,
}

/// One knowledge-base passage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KbHit {
    pub article_id: String,
    pub title: String,
    pub anchor: String,
    pub heading: String,
    pub text: String,
    pub lang: String,
    pub score: f32,
}

impl From<Hit> for KbHit {
    fn from(hit: Hit) -> KbHit {
        KbHit {
            article_id: hit.article_id,
            title: hit.title,
            anchor: hit.anchor,
            heading: hit.heading,
            text: hit.text,
            lang: hit.lang,
            score: hit.score,
        }
    }
}

pub(super) fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::InvalidParameter(message.into())
}

/// A person's name or a short label: trimmed, 1-`max` bytes, no control characters.
pub(super) fn short_text(field: &str, value: &str, max: usize) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() || value.len() > max || value.chars().any(char::is_control) {
        return Err(invalid(format!(
            "`{field}` must be 1-{max} bytes without control characters"
        )));
    }
    Ok(value.to_string())
}

fn check_metadata(metadata: &BTreeMap<String, String>) -> Result<(), ServiceError> {
    let entry_ok = |(k, v): (&String, &String)| (1..=64).contains(&k.len()) && v.len() <= 512;
    if metadata.len() > MAX_METADATA_ENTRIES || !metadata.iter().all(entry_ok) {
        return Err(invalid(
            "`metadata`: at most 32 entries, keys 1-64 bytes, values at most 512",
        ));
    }
    Ok(())
}

/// The one place the partner API builds a knowledge-base search: shared articles plus the
/// tenant's own, in the tenant's language.
fn kb_search(
    kb: &LiveKnowledgeBase,
    tenant: &Tenant,
    text: &str,
    limit: usize,
) -> Result<Vec<Hit>, ServiceError> {
    let mut request = SearchRequest::new(text, &tenant.widget.language, limit);
    request.tenant = Some(&tenant.id);
    Ok(kb.search(&request)?)
}

impl Switchboard {
    /// The tenant of a partner API key, after taking one token from the tenant's rate limit.
    pub async fn authenticate_partner(&self, key: Option<&str>) -> Result<Tenant, ServiceError> {
        let tenant = self.tenants.authenticate(key.unwrap_or("")).await?;
        self.limits.check_tenant(&tenant.id)?;
        Ok(tenant)
    }

    /// The ticket `id` if it belongs to `tenant`; otherwise (unknown, malformed or another
    /// tenant's) the same `ConversationNotFound`.
    pub async fn ticket_for_tenant(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<Ticket, ServiceError> {
        let ticket = self.store.ticket(parse_id(id)?).await?;
        if ticket.tenant != tenant.id {
            return Err(ServiceError::ConversationNotFound);
        }
        Ok(ticket)
    }

    pub async fn partner_start_conversation(
        &self,
        tenant: &Tenant,
        new: PartnerConversation,
    ) -> Result<Ticket, ServiceError> {
        let customer_id = short_text("customer_id", &new.customer_id, 128)?;
        check_metadata(&new.metadata)?;
        let channel = new.channel.as_deref().unwrap_or(PARTNER_CHANNEL);
        if !valid_slug(channel) {
            return Err(invalid("`channel` must be 1-32 of a-z, 0-9, _ or -"));
        }
        let now = now_ms();
        let ticket = new_ticket(&tenant.id, channel, Some(customer_id), new.metadata, now);
        Ok(self.store.create_ticket(ticket, now).await?.ticket)
    }

    /// A customer message on the widget's path (the bot answers unless a person has it).
    pub async fn partner_post_message(
        &self,
        tenant: &Tenant,
        id: &str,
        text: &str,
    ) -> Result<MessageReply, ServiceError> {
        self.ticket_for_tenant(tenant, id).await?;
        self.post_message(id, text).await
    }

    pub async fn partner_transcript(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<Transcript, ServiceError> {
        self.ticket_for_tenant(tenant, id).await?;
        self.transcript(id).await
    }

    /// Appends a reply from the partner's desk. An open or queued conversation becomes assigned
    /// to that agent, so the bot goes silent.
    pub async fn desk_reply(
        &self,
        tenant: &Tenant,
        id: &str,
        reply: AgentReply,
    ) -> Result<Ticket, ServiceError> {
        let ticket = self.ticket_for_tenant(tenant, id).await?;
        let agent = short_text("agent", &reply.agent, 64)?;
        let text = self.validate(&reply.text)?.to_string();
        if ticket.status == TicketStatus::Resolved {
            return Err(ServiceError::ConversationResolved);
        }
        let takes_over = matches!(ticket.status, TicketStatus::Open | TicketStatus::Escalated);
        let mut events = Vec::new();
        if takes_over {
            events.push(EventKind::Assigned {
                agent: agent.clone(),
            });
        }
        events.push(EventKind::AgentMessage {
            agent: agent.clone(),
            text,
        });
        let append = Append::events(ticket.id, now_ms(), events).with_change(move |t| {
            if t.status == TicketStatus::Resolved {
                return Err(Conflict::ConversationResolved);
            }
            if takes_over {
                t.status = TicketStatus::Assigned;
                t.assignee = Some(agent);
            }
            Ok(())
        });
        let updated = self.append_and_publish(append).await?;
        self.publish_queue_if_moved(&ticket, &updated).await;
        Ok(updated)
    }

    /// Knowledge-base passages in the tenant's language.
    pub async fn partner_search(
        &self,
        tenant: &Tenant,
        query: KbQuery,
    ) -> Result<Vec<KbHit>, ServiceError> {
        let text = query.q.trim().to_string();
        if text.is_empty() || text.len() > self.dialogue.max_text_bytes {
            return Err(invalid(format!(
                "`q` must be 1-{} bytes",
                self.dialogue.max_text_bytes
            )));
        }
        let limit = query.limit.unwrap_or(5);
        if !(1..=MAX_SEARCH_RESULTS).contains(&limit) {
            return Err(invalid(format!("`limit` must be 1-{MAX_SEARCH_RESULTS}")));
        }
        let kb = Arc::clone(&self.kb);
        let tenant = tenant.clone();
        let job = move || kb_search(&kb, &tenant, &text, limit);
        let hits = self.cpu.run(job).await??;
        Ok(hits.into_iter().map(KbHit::from).collect())
    }
}
