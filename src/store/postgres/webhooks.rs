//! Webhook deliveries on PostgreSQL. The outbox is the pending rows; the head of each
//! (endpoint, conversation) queue is its lowest id. A replica claims due heads with
//! `FOR UPDATE SKIP LOCKED` and leases them (`lease_until_ms`), so each is sent by one replica,
//! and a queue's next delivery waits until its head is saved as delivered or given up.

use sqlx::{PgPool, Postgres, Row, Transaction};

use super::{db_i64, db_u64};
use crate::store::StoreError;
use crate::webhooks::{Delivery, DeliveryStatus};

fn status_name(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Failed => "failed",
    }
}

/// Inserts a new delivery, numbering it from the table's sequence.
pub async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    mut delivery: Delivery,
) -> Result<Delivery, StoreError> {
    let id: i64 = sqlx::query_scalar("SELECT nextval('webhook_deliveries_id_seq')")
        .fetch_one(&mut **tx)
        .await?;
    delivery.id = db_u64(id);
    sqlx::query(
        "INSERT INTO webhook_deliveries \
         (id, tenant, endpoint_id, conversation_id, status, next_attempt_at_ms, record) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(&delivery.tenant)
    .bind(delivery.endpoint_id)
    .bind(delivery.conversation_id)
    .bind(status_name(delivery.status))
    .bind(db_i64(delivery.next_attempt_at_ms))
    .bind(serde_json::to_value(&delivery)?)
    .execute(&mut **tx)
    .await?;
    Ok(delivery)
}

/// Saves an attempt's outcome and releases the lease.
pub async fn save(pool: &PgPool, delivery: &Delivery) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $2, next_attempt_at_ms = $3, lease_until_ms = 0, \
         record = $4 WHERE id = $1",
    )
    .bind(db_i64(delivery.id))
    .bind(status_name(delivery.status))
    .bind(db_i64(delivery.next_attempt_at_ms))
    .bind(serde_json::to_value(delivery)?)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delivery(pool: &PgPool, id: u64) -> Result<Option<Delivery>, StoreError> {
    let row = sqlx::query("SELECT record FROM webhook_deliveries WHERE id = $1")
        .bind(db_i64(id))
        .fetch_optional(pool)
        .await?;
    match row {
        Some(row) => Ok(Some(serde_json::from_value(row.try_get("record")?)?)),
        None => Ok(None),
    }
}

pub async fn deliveries(
    pool: &PgPool,
    tenant: &str,
    limit: usize,
) -> Result<Vec<Delivery>, StoreError> {
    let rows = sqlx::query(
        "SELECT record FROM webhook_deliveries WHERE tenant = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(tenant)
    .bind(db_i64(limit as u64))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| Ok(serde_json::from_value(row.try_get("record")?)?))
        .collect()
}

/// Claims up to `limit` due queue heads for `lease_ms`. Rows another replica is claiming right
/// now are skipped, not waited for; a head leased by another replica is not due until its lease
/// runs out, and its queue's later deliveries are not heads.
pub async fn claim_due(
    pool: &PgPool,
    now_ms: u64,
    limit: usize,
    lease_ms: u64,
) -> Result<Vec<Delivery>, StoreError> {
    let mut tx = pool.begin().await?;
    let rows = sqlx::query(
        "WITH heads AS ( \
             SELECT DISTINCT ON (endpoint_id, conversation_id) id FROM webhook_deliveries \
             WHERE status = 'pending' ORDER BY endpoint_id, conversation_id, id) \
         SELECT d.id, d.record FROM webhook_deliveries d JOIN heads h ON d.id = h.id \
         WHERE d.status = 'pending' AND d.next_attempt_at_ms <= $1 AND d.lease_until_ms <= $1 \
         ORDER BY d.next_attempt_at_ms, d.id LIMIT $2 \
         FOR UPDATE OF d SKIP LOCKED",
    )
    .bind(db_i64(now_ms))
    .bind(db_i64(limit as u64))
    .fetch_all(&mut *tx)
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        ids.push(row.try_get::<i64, _>("id")?);
        claimed.push(serde_json::from_value(row.try_get("record")?)?);
    }
    sqlx::query("UPDATE webhook_deliveries SET lease_until_ms = $1 WHERE id = ANY($2)")
        .bind(db_i64(now_ms.saturating_add(lease_ms)))
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(claimed)
}
