//! Live streams for Server-Sent Events, as channels of [`Frame`]s the HTTP layer formats.
//!
//! A conversation stream subscribes to the hub *before* it replays the timeline from the store,
//! then follows live events by `seq`: an event it has sent is skipped, a gap (a lagging receiver,
//! or two commits published out of order) is filled from the store. So a client reconnecting
//! with `Last-Event-ID` gets exactly what it missed. A stream ends when its client goes away
//! (the next send fails; a keep-alive goes out every 15 s) or when the hub closes at shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use super::handling::customer_visible;
use super::queue::{QueueStatus, QueueView};
use super::{Switchboard, parse_id};
use crate::agents::AgentProfile;
use crate::error::ServiceError;
use crate::live::LiveMessage;
use crate::store::SharedStore;
use crate::tickets::{Event, Ticket, TicketStatus};

const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Frames buffered per client before the stream waits for it.
const BUFFER: usize = 64;

/// One message of a live stream.
#[derive(Debug, Clone)]
pub enum Frame {
    /// A timeline event (widget streams): SSE id = its seq, SSE event = its type.
    Event(Event),
    /// The customer's place in the queue (widget streams).
    Queue(QueueStatus),
    /// The tenant's whole queue (console streams).
    QueueView(Arc<QueueView>),
    /// A new event in one of the tenant's conversations (console streams, notes included).
    Conversation {
        conversation_id: Uuid,
        event: Event,
    },
    KeepAlive,
}

/// The client went away.
struct Gone;

type Live = broadcast::Receiver<Arc<LiveMessage>>;

impl Switchboard {
    /// The customer's stream: visible events with `seq > after`, then live ones.
    pub async fn conversation_stream(
        &self,
        id: &str,
        after: Option<u64>,
    ) -> Result<mpsc::Receiver<Frame>, ServiceError> {
        let ticket = self.store.ticket(parse_id(id)?).await?;
        let live = self.desk.hub.subscribe();
        let queue = match ticket.status {
            TicketStatus::Escalated => self.queue(&ticket.tenant).await?.status_of(ticket.id),
            TicketStatus::Open | TicketStatus::Assigned | TicketStatus::Resolved => None,
        };
        let (sender, receiver) = mpsc::channel(BUFFER);
        let store = Arc::clone(&self.store);
        let closed = self.desk.hub.closed();
        tokio::spawn(async move {
            tokio::select! {
                _ended = follow_conversation(store, ticket, after, queue, live, sender) => {}
                () = closed => {}
            }
        });
        Ok(receiver)
    }

    /// The console's stream: the tenant's queue now, then every change and every new event.
    pub async fn console_stream(
        &self,
        agent: &AgentProfile,
    ) -> Result<mpsc::Receiver<Frame>, ServiceError> {
        let live = self.desk.hub.subscribe();
        let queue = self.queue(&agent.tenant).await?;
        let (sender, receiver) = mpsc::channel(BUFFER);
        let tenant = agent.tenant.clone();
        let closed = self.desk.hub.closed();
        tokio::spawn(async move {
            tokio::select! {
                _ended = follow_tenant(tenant, queue, live, sender) => {}
                () = closed => {}
            }
        });
        Ok(receiver)
    }
}

async fn send(sender: &mpsc::Sender<Frame>, frame: Frame) -> Result<(), Gone> {
    sender.send(frame).await.map_err(|_| Gone)
}

fn keep_alive_timer() -> tokio::time::Interval {
    tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE)
}

async fn follow_conversation(
    store: SharedStore,
    ticket: Ticket,
    mut last: Option<u64>,
    queue: Option<QueueStatus>,
    mut live: Live,
    sender: mpsc::Sender<Frame>,
) -> Result<(), Gone> {
    replay(&store, ticket.id, &mut last, &sender).await?;
    if let Some(status) = queue {
        send(&sender, Frame::Queue(status)).await?;
    }
    let mut keep_alive = keep_alive_timer();
    loop {
        tokio::select! {
            received = live.recv() => match received {
                Ok(message) => {
                    on_message(&store, &ticket, &message, &mut last, &sender).await?;
                }
                Err(RecvError::Lagged(_)) => replay(&store, ticket.id, &mut last, &sender).await?,
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = keep_alive.tick() => send(&sender, Frame::KeepAlive).await?,
        }
    }
}

async fn on_message(
    store: &SharedStore,
    ticket: &Ticket,
    message: &LiveMessage,
    last: &mut Option<u64>,
    sender: &mpsc::Sender<Frame>,
) -> Result<(), Gone> {
    match message {
        LiveMessage::Event {
            conversation_id,
            event,
            ..
        } if *conversation_id == ticket.id => {
            let next = last.map_or(0, |seq| seq + 1);
            if event.seq > next {
                return replay(store, ticket.id, last, sender).await;
            }
            if event.seq < next {
                return Ok(());
            }
            *last = Some(event.seq);
            if customer_visible(&event.kind) {
                send(sender, Frame::Event(event.clone())).await?;
            }
        }
        LiveMessage::Queue { tenant, queue } if *tenant == ticket.tenant => {
            if let Some(status) = queue.status_of(ticket.id) {
                send(sender, Frame::Queue(status)).await?;
            }
        }
        LiveMessage::Event { .. } | LiveMessage::Queue { .. } => {}
    }
    Ok(())
}

/// Sends the stored events after `last` (customer-visible ones) and moves `last` past them.
async fn replay(
    store: &SharedStore,
    id: Uuid,
    last: &mut Option<u64>,
    sender: &mpsc::Sender<Frame>,
) -> Result<(), Gone> {
    let events = match store.events_after(id, *last).await {
        Ok(events) => events,
        Err(error) => {
            tracing::warn!(%error, "replay failed; closing the stream");
            return Err(Gone);
        }
    };
    for event in events {
        *last = Some(event.seq);
        if customer_visible(&event.kind) {
            send(sender, Frame::Event(event)).await?;
        }
    }
    Ok(())
}

async fn follow_tenant(
    tenant: String,
    queue: Arc<QueueView>,
    mut live: Live,
    sender: mpsc::Sender<Frame>,
) -> Result<(), Gone> {
    send(&sender, Frame::QueueView(queue)).await?;
    let mut keep_alive = keep_alive_timer();
    loop {
        let frame = tokio::select! {
            received = live.recv() => match received {
                Ok(message) => tenant_frame(&tenant, &message),
                // Missed messages: the next queue update brings the console up to date.
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = keep_alive.tick() => Some(Frame::KeepAlive),
        };
        if let Some(frame) = frame {
            send(&sender, frame).await?;
        }
    }
}

fn tenant_frame(tenant: &str, message: &LiveMessage) -> Option<Frame> {
    match message {
        LiveMessage::Event {
            tenant: of,
            conversation_id,
            event,
        } if of == tenant => Some(Frame::Conversation {
            conversation_id: *conversation_id,
            event: event.clone(),
        }),
        LiveMessage::Queue { tenant: of, queue } if of == tenant => {
            Some(Frame::QueueView(Arc::clone(queue)))
        }
        LiveMessage::Event { .. } | LiveMessage::Queue { .. } => None,
    }
}
