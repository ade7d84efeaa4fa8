//! The partner's ticket desk: list the tenant's tickets page by page, update status, assignee and
//! tags, and close them. Every change is an event on the timeline (except tags, a header field)
//! and is durable before it is acknowledged.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Switchboard;
use super::partner::{invalid, short_text};
use crate::error::ServiceError;
use crate::store::{Append, TicketFilter};
use crate::tenants::Tenant;
use crate::tickets::{Conflict, EventKind, Ticket, TicketStatus, now_ms};

const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 100;
const MAX_TAGS: usize = 20;

/// Filters and paging for the ticket list. Tickets come in a stable (id) order; pass
/// `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    pub status: Option<TicketStatus>,
    /// Only tickets updated at or after this time (unix ms).
    pub updated_since: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1-100, default 50.
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketPage {
    pub items: Vec<Ticket>,
    /// Present when the page is full: more tickets may follow.
    pub next_cursor: Option<String>,
}

/// What a partner may change on a ticket; at least one field.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketUpdate {
    /// `open` gives the conversation back to the bot; `assigned` needs an assignee; `resolved`
    /// closes it.
    pub status: Option<TicketStatus>,
    /// The person at the partner's desk who has it (1-64 bytes); an open ticket becomes assigned.
    pub assignee: Option<String>,
    /// Replaces the tags: at most 20, each 1-32 bytes.
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseTicket {
    /// Who closed it (default: the assignee, else `partner`).
    pub agent: Option<String>,
    /// A resolution tag, e.g. `billing`.
    pub tag: Option<String>,
}

/// A checked update: the new header values and the events that record the change.
struct Change {
    status: TicketStatus,
    assignee: Option<String>,
    tags: Vec<String>,
    events: Vec<EventKind>,
}

fn check_tags(tags: Vec<String>) -> Result<Vec<String>, ServiceError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid(format!("`tags`: at most {MAX_TAGS}")));
    }
    let mut checked = Vec::new();
    for tag in tags {
        let tag = short_text("tags", &tag, 32)?;
        if !checked.contains(&tag) {
            checked.push(tag);
        }
    }
    Ok(checked)
}

/// Works out the new header and the events, before anything is written.
fn plan_update(ticket: &Ticket, update: TicketUpdate) -> Result<Change, ServiceError> {
    if update.status.is_none() && update.assignee.is_none() && update.tags.is_none() {
        return Err(invalid("give at least one of `status`, `assignee`, `tags`"));
    }
    let tags = match update.tags {
        Some(tags) => check_tags(tags)?,
        None => ticket.tags.clone(),
    };
    let mut change = Change {
        status: ticket.status,
        assignee: ticket.assignee.clone(),
        tags,
        events: Vec::new(),
    };
    let mut target = update.status;
    if let Some(agent) = update.assignee {
        let agent = short_text("assignee", &agent, 64)?;
        if change.assignee.as_ref() != Some(&agent) {
            change.events.push(EventKind::Assigned {
                agent: agent.clone(),
            });
            change.assignee = Some(agent);
        }
        let with_bot = matches!(ticket.status, TicketStatus::Open | TicketStatus::Escalated);
        if target.is_none() && with_bot {
            target = Some(TicketStatus::Assigned);
        }
    }
    let Some(to) = target.filter(|to| *to != ticket.status) else {
        return Ok(change);
    };
    match to {
        TicketStatus::Assigned if change.assignee.is_none() => {
            return Err(invalid("status `assigned` needs an `assignee`"));
        }
        TicketStatus::Resolved => change.events.push(EventKind::Resolved {
            by: change.assignee.clone().unwrap_or_else(|| "partner".into()),
            tag: None,
        }),
        TicketStatus::Open | TicketStatus::Escalated | TicketStatus::Assigned => {
            change.events.push(EventKind::StatusChanged {
                from: ticket.status,
                to,
            });
        }
    }
    if to == TicketStatus::Open {
        change.assignee = None;
    }
    change.status = to;
    Ok(change)
}

fn parse_cursor(cursor: Option<&str>) -> Result<Option<Uuid>, ServiceError> {
    cursor
        .map(|c| Uuid::parse_str(c).map_err(|_| invalid("`cursor` is not a cursor from this API")))
        .transpose()
}

impl Switchboard {
    /// Republishes the tenant's queue when a partner's change moved the ticket in or out of it
    /// (status) or between agents (assignee); other edits leave the console's queue as it was.
    pub(super) async fn publish_queue_if_moved(&self, before: &Ticket, after: &Ticket) {
        if before.status != after.status || before.assignee != after.assignee {
            self.publish_queue(&after.tenant).await;
        }
    }

    /// One page of the tenant's tickets, filtered.
    pub async fn partner_tickets(
        &self,
        tenant: &Tenant,
        query: TicketQuery,
    ) -> Result<TicketPage, ServiceError> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(invalid(format!("`limit` must be 1-{MAX_PAGE}")));
        }
        let after = parse_cursor(query.cursor.as_deref())?;
        let filter = TicketFilter {
            tenant: Some(tenant.id.clone()),
            status: query.status,
            updated_since_ms: query.updated_since,
            created_ms: None,
        };
        let items = self.store.tickets(filter, after, limit).await?;
        let next_cursor = (items.len() == limit)
            .then(|| items.last().map(|t| t.id.to_string()))
            .flatten();
        Ok(TicketPage { items, next_cursor })
    }

    pub async fn update_ticket(
        &self,
        tenant: &Tenant,
        id: &str,
        update: TicketUpdate,
    ) -> Result<Ticket, ServiceError> {
        let ticket = self.ticket_for_tenant(tenant, id).await?;
        let change = plan_update(&ticket, update)?;
        let reopened = change.status == TicketStatus::Open && ticket.status != TicketStatus::Open;
        let (status, assignee, tags) = (change.status, change.assignee, change.tags);
        let append = Append::events(ticket.id, now_ms(), change.events).with_change(move |t| {
            t.status = status;
            t.assignee = assignee;
            t.tags = tags;
            if reopened {
                t.failed_turns = 0;
                t.annoyed = false;
            }
            Ok(())
        });
        let updated = self.append_and_publish(append).await?;
        self.publish_queue_if_moved(&ticket, &updated).await;
        Ok(updated)
    }

    pub async fn close_ticket(
        &self,
        tenant: &Tenant,
        id: &str,
        close: CloseTicket,
    ) -> Result<Ticket, ServiceError> {
        let ticket = self.ticket_for_tenant(tenant, id).await?;
        if ticket.status == TicketStatus::Resolved {
            return Err(ServiceError::ConversationResolved);
        }
        let by = match &close.agent {
            Some(agent) => short_text("agent", agent, 64)?,
            None => ticket.assignee.clone().unwrap_or_else(|| "partner".into()),
        };
        let tag = close
            .tag
            .as_deref()
            .map(|t| short_text("tag", t, 32))
            .transpose()?;
        let resolved = EventKind::Resolved { by, tag };
        let append = Append::events(ticket.id, now_ms(), vec![resolved]).with_change(|t| {
            if t.status == TicketStatus::Resolved {
                return Err(Conflict::ConversationResolved);
            }
            t.status = TicketStatus::Resolved;
            Ok(())
        });
        let updated = self.append_and_publish(append).await?;
        self.publish_queue_if_moved(&ticket, &updated).await;
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(status: TicketStatus) -> Ticket {
        Ticket {
            id: Uuid::new_v4(),
            tenant: "acme".into(),
            channel: "partner".into(),
            status,
            created_at_ms: 0,
            updated_at_ms: 0,
            failed_turns: 0,
            annoyed: false,
            escalation_reason: None,
            event_count: 1,
            assignee: None,
            priority: 0,
            tags: Vec::new(),
            rating: None,
            customer_id: None,
            metadata: Default::default(),
            latest: None,
        }
    }

    fn update(status: Option<TicketStatus>, assignee: Option<&str>) -> TicketUpdate {
        TicketUpdate {
            status,
            assignee: assignee.map(str::to_string),
            tags: None,
        }
    }

    #[test]
    fn assigning_an_open_ticket_silences_the_bot() {
        let change = plan_update(&ticket(TicketStatus::Open), update(None, Some("ann"))).unwrap();
        assert_eq!(change.status, TicketStatus::Assigned);
        assert_eq!(change.assignee.as_deref(), Some("ann"));
        assert_eq!(change.events.len(), 2);
    }

    #[test]
    fn assigned_without_assignee_and_empty_updates_are_refused() {
        let open = ticket(TicketStatus::Open);
        assert!(plan_update(&open, update(Some(TicketStatus::Assigned), None)).is_err());
        assert!(plan_update(&open, update(None, None)).is_err());
        assert!(plan_update(&open, update(None, Some("  "))).is_err());
    }

    #[test]
    fn reopening_clears_the_assignee() {
        let mut assigned = ticket(TicketStatus::Assigned);
        assigned.assignee = Some("ann".into());
        let change = plan_update(&assigned, update(Some(TicketStatus::Open), None)).unwrap();
        assert_eq!(change.assignee, None);
        assert!(matches!(
            change.events[0],
            EventKind::StatusChanged {
                to: TicketStatus::Open,
                ..
            }
        ));
    }
}
