//! Following the other replicas (PostgreSQL only; a sled store has none): their committed events
//! reach this replica's widget and console streams, their queue changes its consoles, and their
//! knowledge-base edits its index — on notification, and by a revision check every
//! `storage.kb_poll_seconds` in case a notification was lost.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::Switchboard;
use crate::error::ServiceError;
use crate::kb::managed::{self, ManagedArticles};
use crate::live::LiveMessage;
use crate::store::Change;
use crate::tickets::Ticket;

impl Switchboard {
    /// Starts following the other replicas; `kb_revision` is the revision the serving index was
    /// built from. Returns at once; the task ends when the hub closes.
    pub fn follow_replicas(self: &Arc<Self>, kb_revision: Option<String>, poll: Duration) {
        let Some(mut changes) = self.store.subscribe() else {
            return;
        };
        let service = Arc::clone(self);
        let closed = self.desk.hub.closed();
        tokio::spawn(async move {
            let mut revision = kb_revision;
            let mut poll = tokio::time::interval(poll.max(Duration::from_millis(100)));
            tokio::pin!(closed);
            loop {
                tokio::select! {
                    received = changes.recv() => match received {
                        Ok(change) => service.apply_change(change, &mut revision).await,
                        Err(RecvError::Lagged(_)) => service.refresh_kb(&mut revision).await,
                        Err(RecvError::Closed) => return,
                    },
                    _ = poll.tick() => service.refresh_kb(&mut revision).await,
                    () = &mut closed => return,
                }
            }
        });
    }

    async fn apply_change(&self, change: Change, revision: &mut Option<String>) {
        match change {
            Change::Events {
                conversation_id,
                first_seq,
                last_seq,
                ..
            } => {
                if let Err(error) = self
                    .relay_events(conversation_id, first_seq, last_seq)
                    .await
                {
                    tracing::warn!(%error, "events from another replica not relayed");
                }
            }
            Change::Queue { tenant } => {
                self.publish_local_queue(&tenant).await;
            }
            Change::Kb => self.refresh_kb(revision).await,
            Change::Tenant { .. } => {}
        }
    }

    /// Publishes events another replica committed to this replica's streams.
    async fn relay_events(
        &self,
        id: uuid::Uuid,
        first_seq: u64,
        last_seq: u64,
    ) -> Result<(), ServiceError> {
        let ticket: Ticket = self.store.ticket(id).await?;
        let after = first_seq.checked_sub(1);
        for event in self.store.events_after(id, after).await? {
            if event.seq > last_seq {
                break;
            }
            self.desk.hub.publish(LiveMessage::Event {
                tenant: ticket.tenant.clone(),
                conversation_id: id,
                event,
            });
        }
        Ok(())
    }

    /// Rebuilds the index when the stored revision moved (an edit on another replica).
    async fn refresh_kb(&self, revision: &mut Option<String>) {
        let _editing = self.kb_edits.lock().await;
        let latest = match managed::revision(self.store.as_ref()).await {
            Ok(latest) => latest,
            Err(error) => {
                tracing::warn!(%error, "knowledge-base revision unreadable");
                return;
            }
        };
        if latest == *revision {
            return;
        }
        match self.reload_managed().await {
            Ok(()) => *revision = latest,
            Err(error) => tracing::error!(%error, "knowledge base not reloaded"),
        }
    }

    async fn reload_managed(&self) -> Result<(), ServiceError> {
        let managed = ManagedArticles::load(self.store.as_ref()).await?;
        let kb = Arc::clone(&self.kb);
        let report = self.cpu.run(move || kb.reindex(&managed)).await??;
        tracing::info!(
            articles = report.articles,
            "knowledge base reloaded after an edit elsewhere"
        );
        Ok(())
    }
}
