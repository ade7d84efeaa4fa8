//! Webhook deliveries in the sled tree: the log (`W` id) and the outbox (`Q` endpoint ++
//! conversation ++ id). Only the first key under an (endpoint, conversation) prefix may be sent,
//! so each conversation's deliveries go out in order.

use super::keys;
use super::writer::Staging;
use crate::store::StoreError;
use crate::webhooks::{Delivery, DeliveryStatus};

/// Writes the delivery and keeps it in the outbox while it is pending.
pub fn save(staging: &mut Staging, delivery: &Delivery) -> Result<(), StoreError> {
    let queued = keys::outbox(delivery.endpoint_id, delivery.conversation_id, delivery.id);
    staging.insert(keys::delivery(delivery.id), serde_json::to_vec(delivery)?);
    if delivery.status == DeliveryStatus::Pending {
        staging.insert(queued, Vec::new());
    } else {
        staging.remove(queued);
    }
    Ok(())
}

pub fn delivery(tree: &sled::Tree, id: u64) -> Result<Option<Delivery>, StoreError> {
    let Some(bytes) = tree.get(keys::delivery(id))? else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_slice(&bytes)?))
}

/// The tenant's deliveries, newest first (a scan of the log from its end).
pub fn deliveries(
    tree: &sled::Tree,
    tenant: &str,
    limit: usize,
) -> Result<Vec<Delivery>, StoreError> {
    let mut found = Vec::new();
    for value in tree.scan_prefix([keys::DELIVERY]).values().rev() {
        let delivery: Delivery = serde_json::from_slice(&value?)?;
        if delivery.tenant == tenant {
            found.push(delivery);
        }
        if found.len() >= limit {
            break;
        }
    }
    Ok(found)
}

/// The head delivery of each outbox queue whose next attempt is due, at most `limit`. Jumps from
/// one queue to the next, so a long queue costs one read.
pub fn due(tree: &sled::Tree, now_ms: u64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
    let mut due = Vec::new();
    let mut cursor = vec![keys::OUTBOX];
    while due.len() < limit {
        let Some(entry) = tree.range(cursor.as_slice()..).next() else {
            break;
        };
        let (key, _) = entry?;
        if key.first() != Some(&keys::OUTBOX) {
            break;
        }
        if let Some(id) = keys::outbox_delivery(&key)
            && let Some(head) = delivery(tree, id)?
            && head.next_attempt_at_ms <= now_ms
        {
            due.push(head);
        }
        let Some(next) = keys::after_prefix(keys::outbox_queue(&key)) else {
            break;
        };
        cursor = next;
    }
    Ok(due)
}
