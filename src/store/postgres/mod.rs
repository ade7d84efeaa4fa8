//! The PostgreSQL engine, for several Switchboard replicas on one database.
//!
//! Tables (`migrations/`, applied at start by `sqlx::migrate!`, in the configured schema):
//! `tickets` (header JSON + the columns queries filter on), `events`, `documents`,
//! `webhook_deliveries`. The database decides every race: an append locks its ticket row
//! (`FOR UPDATE`), a capacity check also takes a transaction-scoped advisory lock on
//! (tenant, agent), and webhook heads are claimed with `FOR UPDATE SKIP LOCKED` plus a lease.
//! Every committed append notifies the other replicas (`pg_notify` inside the transaction, so
//! only committed events are announced); [`listen`] turns notifications into [`Change`]s.

mod listen;
mod tickets;
mod webhooks;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Row};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::{
    Append, Appended, Change, Collection, DocOp, DocWrite, Store, StoreError, StoreGauges,
    StoreStats, TicketFilter,
};
use crate::config::StorageSettings;
use crate::tickets::{Event, Ticket};
use crate::webhooks::Delivery;

pub struct PgStore {
    pool: PgPool,
    channel: String,
    /// This process's id in notifications, so it can skip its own.
    origin: Uuid,
    changes: broadcast::Sender<Change>,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl PgStore {
    /// Connects, creates the schema if needed, runs the migrations and starts listening.
    pub async fn connect(url: &str, settings: &StorageSettings) -> Result<PgStore, StoreError> {
        let schema = settings.schema.as_str();
        if !valid_schema(schema) {
            return Err(StoreError::InvalidConfig(format!(
                "storage.schema {schema:?} must be 1-40 of a-z, 0-9 or _, starting with a letter"
            )));
        }
        let options: PgConnectOptions = url.parse()?;
        create_schema(&options, schema).await?;
        let options = options.options([("search_path", schema)]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(2))
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/store/postgres/migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(std::sync::Arc::new(e)))?;
        let (changes, _) = broadcast::channel(4096);
        let channel = format!("switchboard_{schema}");
        let origin = Uuid::new_v4();
        let listener =
            listen::spawn(pool.clone(), channel.clone(), origin, changes.clone()).await?;
        Ok(PgStore {
            pool,
            channel,
            origin,
            changes,
            listener: Mutex::new(Some(listener)),
        })
    }
}

fn valid_schema(schema: &str) -> bool {
    (1..=40).contains(&schema.len())
        && schema.starts_with(|c: char| c.is_ascii_lowercase())
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Replicas may start together: an advisory lock makes `CREATE SCHEMA` happen once.
async fn create_schema(options: &PgConnectOptions, schema: &str) -> Result<(), StoreError> {
    let mut connection = PgConnection::connect_with(options).await?;
    sqlx::query("SELECT pg_advisory_lock(hashtextextended('switchboard.schema', 0))")
        .execute(&mut connection)
        .await?;
    // The name is checked by `valid_schema`; identifiers cannot be bound as parameters.
    let created = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut connection)
        .await;
    sqlx::query("SELECT pg_advisory_unlock(hashtextextended('switchboard.schema', 0))")
        .execute(&mut connection)
        .await?;
    created?;
    connection.close().await?;
    Ok(())
}

/// Converts a millisecond time or count for a `bigint` column (saturating; none come near).
pub(super) fn db_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(super) fn db_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

#[async_trait]
impl Store for PgStore {
    async fn create_ticket(&self, ticket: Ticket, at_ms: u64) -> Result<Appended, StoreError> {
        tickets::create(self, ticket, at_ms).await
    }

    async fn ticket(&self, id: Uuid) -> Result<Ticket, StoreError> {
        tickets::ticket(&self.pool, id).await
    }

    async fn events_after(&self, id: Uuid, after: Option<u64>) -> Result<Vec<Event>, StoreError> {
        tickets::events_after(&self.pool, id, after).await
    }

    async fn append(&self, append: Append) -> Result<Appended, StoreError> {
        tickets::append(self, append).await
    }

    async fn tickets(
        &self,
        filter: TicketFilter,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<Ticket>, StoreError> {
        tickets::tickets(&self.pool, &filter, after, limit).await
    }

    async fn queue(&self, tenant: &str) -> Result<Vec<Arc<Ticket>>, StoreError> {
        let headers = tickets::queue(&self.pool, tenant).await?;
        Ok(headers.into_iter().map(Arc::new).collect())
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        tickets::stats(&self.pool).await
    }

    async fn gauges(&self) -> Result<StoreGauges, StoreError> {
        tickets::gauges(&self.pool).await
    }

    async fn doc(
        &self,
        collection: Collection,
        key: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let row = sqlx::query("SELECT value FROM documents WHERE collection = $1 AND key = $2")
            .bind(collection.name())
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.get("value")))
    }

    async fn docs(
        &self,
        collection: Collection,
        prefix: &str,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let rows = sqlx::query(
            "SELECT key, value FROM documents WHERE collection = $1 AND starts_with(key, $2) \
             ORDER BY key COLLATE \"C\"",
        )
        .bind(collection.name())
        .bind(prefix)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.get("key"), row.get("value")))
            .collect())
    }

    async fn write_docs(&self, writes: Vec<DocWrite>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for write in writes {
            write_doc(&mut tx, write).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn deliveries(&self, tenant: &str, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        webhooks::deliveries(&self.pool, tenant, limit).await
    }

    async fn delivery(&self, id: u64) -> Result<Option<Delivery>, StoreError> {
        webhooks::delivery(&self.pool, id).await
    }

    async fn claim_due(
        &self,
        now_ms: u64,
        limit: usize,
        lease_ms: u64,
    ) -> Result<Vec<Delivery>, StoreError> {
        webhooks::claim_due(&self.pool, now_ms, limit, lease_ms).await
    }

    async fn save_delivery(&self, delivery: Delivery) -> Result<(), StoreError> {
        webhooks::save(&self.pool, &delivery).await
    }

    async fn queue_delivery(&self, delivery: Delivery) -> Result<Delivery, StoreError> {
        let mut tx = self.pool.begin().await?;
        let delivery = webhooks::insert(&mut tx, delivery).await?;
        tx.commit().await?;
        Ok(delivery)
    }

    async fn announce(&self, change: Change) -> Result<(), StoreError> {
        listen::notify(&self.pool, &self.channel, self.origin, &change).await
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<Change>> {
        Some(self.changes.subscribe())
    }

    async fn close(&self) {
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(listener) = listener {
            listener.abort();
        }
        self.pool.close().await;
    }

    fn engine(&self) -> &'static str {
        "postgres"
    }
}

async fn write_doc(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    write: DocWrite,
) -> Result<(), StoreError> {
    let collection = write.collection.name();
    match write.op {
        DocOp::Insert(value) => {
            let inserted = sqlx::query(
                "INSERT INTO documents (collection, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(collection)
            .bind(&write.key)
            .bind(value)
            .execute(&mut **tx)
            .await?;
            if inserted.rows_affected() == 0 {
                return Err(StoreError::Exists {
                    collection,
                    key: write.key,
                });
            }
        }
        DocOp::Put(value) => {
            sqlx::query(
                "INSERT INTO documents (collection, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value",
            )
            .bind(collection)
            .bind(&write.key)
            .bind(value)
            .execute(&mut **tx)
            .await?;
        }
        DocOp::Delete => {
            sqlx::query("DELETE FROM documents WHERE collection = $1 AND key = $2")
                .bind(collection)
                .bind(&write.key)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}
