//! Changes between replicas over PostgreSQL `LISTEN/NOTIFY`. A notification carries a small
//! JSON [`Change`] (ids and sequence numbers, never message text, so it stays far below the
//! 8000-byte payload limit) and the sender's origin id; each replica drops its own and passes the
//! rest to its subscribers, which read what changed from the database.
//!
//! Notifications sent inside a transaction are delivered only if it commits, so a replica never
//! hears of an event it cannot read. When the listening connection drops, sqlx reconnects; the
//! notifications sent meanwhile are lost, so a reconnect is passed on as [`Change::Kb`] (the KB
//! checks its revision) and live streams fill any gap from the store at their next event.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::store::{Change, StoreError};

#[derive(Serialize, Deserialize)]
struct Notice {
    origin: Uuid,
    change: Change,
}

/// Sends `change` on `channel` (inside the caller's transaction when given one).
pub async fn notify<'e, E>(
    executor: E,
    channel: &str,
    origin: Uuid,
    change: &Change,
) -> Result<(), StoreError>
where
    E: sqlx::PgExecutor<'e>,
{
    let payload = serde_json::to_string(&Notice {
        origin,
        change: change.clone(),
    })?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(executor)
        .await?;
    Ok(())
}

/// Starts listening on `channel`; changes from other origins go to `changes`.
pub async fn spawn(
    pool: PgPool,
    channel: String,
    origin: Uuid,
    changes: broadcast::Sender<Change>,
) -> Result<tokio::task::JoinHandle<()>, StoreError> {
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(&channel).await?;
    Ok(tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => pass_on(notification.payload(), origin, &changes),
                // The connection dropped and will be re-established by the next call.
                Ok(None) => {
                    tracing::warn!("lost the notification connection; reconnecting");
                    let _no_subscribers = changes.send(Change::Kb);
                }
                Err(error) => {
                    tracing::error!(%error, "notification listener failed; retrying in 1 s");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }))
}

fn pass_on(payload: &str, origin: Uuid, changes: &broadcast::Sender<Change>) {
    match serde_json::from_str::<Notice>(payload) {
        Ok(notice) if notice.origin != origin => {
            let _no_subscribers = changes.send(notice.change);
        }
        Ok(_own) => {}
        Err(error) => tracing::warn!(%error, "unreadable notification ignored"),
    }
}
