//! The live hub: one `tokio::sync::broadcast` channel that the service publishes to after every
//! committed (flushed) append, and whenever a tenant's queue changes. Widget streams keep the
//! messages of their conversation, console streams those of their tenant. A subscriber that
//! falls behind is told it lagged and catches up from the store (events carry their `seq`), so
//! a slow or reconnecting client misses nothing. At shutdown the hub is closed: every stream
//! ends, so the server can finish.

use std::sync::Arc;

use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::service::QueueView;
use crate::tickets::Event;

/// Messages buffered per subscriber before it lags.
const CAPACITY: usize = 1024;

#[derive(Debug, Clone)]
pub enum LiveMessage {
    /// A new event in a conversation (internal notes included: streams filter by audience).
    Event {
        tenant: String,
        conversation_id: Uuid,
        event: Event,
    },
    /// The tenant's queue after a change.
    Queue {
        tenant: String,
        queue: Arc<QueueView>,
    },
}

#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<Arc<LiveMessage>>,
    closing: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        let (sender, _) = broadcast::channel(CAPACITY);
        let (closing, _) = watch::channel(false);
        Hub { sender, closing }
    }

    /// Ends every stream (shutdown); streams opened later end at once.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once the hub is closed.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            let _sender_gone_counts_as_closed = closing.wait_for(|closed| *closed).await;
        }
    }

    /// Sends to every current subscriber; with none, the message is simply dropped.
    pub fn publish(&self, message: LiveMessage) {
        let _no_subscribers_is_fine = self.sender.send(Arc::new(message));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveMessage>> {
        self.sender.subscribe()
    }
}
