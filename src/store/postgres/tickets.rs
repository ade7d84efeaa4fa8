//! Tickets on PostgreSQL: each append is one transaction that locks the ticket row, checks,
//! inserts the events and their webhook deliveries, updates the header and notifies the other
//! replicas; it commits (durably: `synchronous_commit` is on by default) before it returns.

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

use super::{PgStore, db_i64, db_u64, listen, webhooks};
use crate::store::{
    Append, Appended, Change, Collection, StoreError, StoreGauges, StoreStats, TicketFilter,
};
use crate::tickets::{Conflict, Event, Ticket, TicketStatus, apply_append, created_event};
use crate::webhooks::{Endpoint, outbox};

type Tx<'a> = Transaction<'a, Postgres>;

fn status_name(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Open => "open",
        TicketStatus::Escalated => "escalated",
        TicketStatus::Assigned => "assigned",
        TicketStatus::Resolved => "resolved",
    }
}

pub async fn create(store: &PgStore, ticket: Ticket, at_ms: u64) -> Result<Appended, StoreError> {
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "INSERT INTO tickets (id, tenant, status, assignee, created_at_ms, updated_at_ms, header) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ticket.id)
    .bind(&ticket.tenant)
    .bind(status_name(ticket.status))
    .bind(&ticket.assignee)
    .bind(db_i64(ticket.created_at_ms))
    .bind(db_i64(ticket.updated_at_ms))
    .bind(serde_json::to_value(&ticket)?)
    .execute(&mut *tx)
    .await?;
    let created = created_event(&ticket);
    let appended = append_in(
        store,
        &mut tx,
        Append::events(ticket.id, at_ms, vec![created]),
    )
    .await?;
    tx.commit().await?;
    Ok(appended)
}

pub async fn append(store: &PgStore, append: Append) -> Result<Appended, StoreError> {
    let mut tx = store.pool.begin().await?;
    let appended = append_in(store, &mut tx, append).await?;
    tx.commit().await?;
    Ok(appended)
}

async fn append_in(
    store: &PgStore,
    tx: &mut Tx<'_>,
    append: Append,
) -> Result<Appended, StoreError> {
    let row = sqlx::query("SELECT header FROM tickets WHERE id = $1 FOR UPDATE")
        .bind(append.id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::TicketNotFound(append.id))?;
    let mut ticket: Ticket = serde_json::from_value(row.get("header"))?;
    if let Some(capacity) = &append.capacity {
        let held = assigned_count(tx, &ticket.tenant, &capacity.agent).await?;
        if held >= capacity.max {
            return Err(Conflict::AgentAtCapacity(held).into());
        }
    }
    let events = apply_append(&mut ticket, append.events, append.at_ms, append.change)?;
    for event in &events {
        sqlx::query("INSERT INTO events (ticket_id, seq, at_ms, event) VALUES ($1, $2, $3, $4)")
            .bind(ticket.id)
            .bind(db_i64(event.seq))
            .bind(db_i64(event.at_ms))
            .bind(serde_json::to_value(event)?)
            .execute(&mut **tx)
            .await?;
    }
    save_header(tx, &ticket).await?;
    enqueue_deliveries(tx, &ticket, &events).await?;
    if let (Some(first), Some(last)) = (events.first(), events.last()) {
        let change = Change::Events {
            tenant: ticket.tenant.clone(),
            conversation_id: ticket.id,
            first_seq: first.seq,
            last_seq: last.seq,
        };
        listen::notify(&mut **tx, &store.channel, store.origin, &change).await?;
    }
    Ok(Appended { ticket, events })
}

/// How many tickets `agent` holds. Serialized per (tenant, agent) by an advisory lock held to
/// the end of the transaction, so two replicas assigning at once count each other.
async fn assigned_count(tx: &mut Tx<'_>, tenant: &str, agent: &str) -> Result<usize, StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("switchboard.assign/{tenant}/{agent}"))
        .execute(&mut **tx)
        .await?;
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tickets WHERE tenant = $1 AND status = 'assigned' AND assignee = $2",
    )
    .bind(tenant)
    .bind(agent)
    .fetch_one(&mut **tx)
    .await?;
    Ok(usize::try_from(held).unwrap_or(usize::MAX))
}

async fn save_header(tx: &mut Tx<'_>, ticket: &Ticket) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE tickets SET status = $2, assignee = $3, updated_at_ms = $4, header = $5 \
         WHERE id = $1",
    )
    .bind(ticket.id)
    .bind(status_name(ticket.status))
    .bind(&ticket.assignee)
    .bind(db_i64(ticket.updated_at_ms))
    .bind(serde_json::to_value(ticket)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn enqueue_deliveries(
    tx: &mut Tx<'_>,
    ticket: &Ticket,
    events: &[Event],
) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT value FROM documents WHERE collection = $1 AND key = $2")
        .bind(Collection::WebhookEndpoints.name())
        .bind(&ticket.tenant)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(()) };
    let endpoints: Vec<Endpoint> = serde_json::from_value(row.get("value"))?;
    for delivery in outbox::deliveries_for(ticket, events, &endpoints)? {
        webhooks::insert(tx, delivery).await?;
    }
    Ok(())
}

fn header(row: &PgRow) -> Result<Ticket, StoreError> {
    Ok(serde_json::from_value(row.try_get("header")?)?)
}

pub async fn ticket(pool: &PgPool, id: Uuid) -> Result<Ticket, StoreError> {
    let row = sqlx::query("SELECT header FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::TicketNotFound(id))?;
    header(&row)
}

pub async fn events_after(
    pool: &PgPool,
    id: Uuid,
    after: Option<u64>,
) -> Result<Vec<Event>, StoreError> {
    let rows =
        sqlx::query("SELECT event FROM events WHERE ticket_id = $1 AND seq > $2 ORDER BY seq")
            .bind(id)
            .bind(after.map_or(-1, db_i64))
            .fetch_all(pool)
            .await?;
    rows.iter()
        .map(|row| Ok(serde_json::from_value(row.try_get("event")?)?))
        .collect()
}

pub async fn tickets(
    pool: &PgPool,
    filter: &TicketFilter,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Ticket>, StoreError> {
    let (created_from, created_to) = filter.created_ms.map_or((None, None), |(from, to)| {
        (Some(db_i64(from)), Some(db_i64(to)))
    });
    let rows = sqlx::query(
        "SELECT header FROM tickets \
         WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR status = $2) \
           AND ($3::bigint IS NULL OR updated_at_ms >= $3) \
           AND ($4::bigint IS NULL OR created_at_ms >= $4) \
           AND ($5::bigint IS NULL OR created_at_ms < $5) \
           AND ($6::uuid IS NULL OR id > $6) \
         ORDER BY id LIMIT $7",
    )
    .bind(&filter.tenant)
    .bind(filter.status.map(status_name))
    .bind(filter.updated_since_ms.map(db_i64))
    .bind(created_from)
    .bind(created_to)
    .bind(after)
    .bind(db_i64(limit as u64))
    .fetch_all(pool)
    .await?;
    rows.iter().map(header).collect()
}

pub async fn queue(pool: &PgPool, tenant: &str) -> Result<Vec<Ticket>, StoreError> {
    let rows = sqlx::query(
        "SELECT header FROM tickets WHERE tenant = $1 AND status IN ('escalated', 'assigned')",
    )
    .bind(tenant)
    .fetch_all(pool)
    .await?;
    rows.iter().map(header).collect()
}

/// Both counts read partial indexes (`tickets_queue`, `webhook_outbox`): no table scan.
pub async fn gauges(pool: &PgPool) -> Result<StoreGauges, StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM tickets WHERE status = 'escalated') AS escalated, \
                (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS pending",
    )
    .fetch_one(pool)
    .await?;
    Ok(StoreGauges {
        escalated: count(&row, "escalated")?,
        pending_deliveries: count(&row, "pending")?,
    })
}

pub async fn stats(pool: &PgPool) -> Result<StoreStats, StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM tickets) AS tickets, \
                (SELECT count(*) FROM events) AS events, \
                (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS pending, \
                (SELECT count(*) FROM tickets WHERE status = 'escalated') AS escalated",
    )
    .fetch_one(pool)
    .await?;
    Ok(StoreStats {
        tickets: count(&row, "tickets")?,
        events: count(&row, "events")?,
        pending_deliveries: count(&row, "pending")?,
        escalated: count(&row, "escalated")?,
    })
}

/// A `count(*)` column of `row` as a `usize`.
fn count(row: &PgRow, name: &str) -> Result<usize, StoreError> {
    let value: i64 = row.try_get(name)?;
    Ok(usize::try_from(db_u64(value)).unwrap_or(usize::MAX))
}
