//! The key layout of the one sled tree. A one-byte prefix names the record kind; numbers are
//! big-endian so keys sort as the numbers do; strings end with a 0 byte where more follows
//! (tenant ids and usernames cannot contain one).
//!
//! | key | value |
//! |---|---|
//! | `T` id(16) | ticket header (JSON) |
//! | `E` id(16) seq(8) | timeline event (JSON) |
//! | `D` collection 0 key | document (JSON) |
//! | `W` delivery(8) | webhook delivery (JSON) |
//! | `Q` endpoint(16) conversation(16) delivery(8) | empty: the outbox, in order per conversation |
//! | `q` tenant 0 id(16) | empty: the tenant's escalated and assigned tickets |
//! | `a` tenant 0 agent 0 id(16) | empty: tickets assigned to an agent |

use uuid::Uuid;

use crate::store::Collection;

pub const TICKET: u8 = b'T';
pub const EVENT: u8 = b'E';
pub const DOC: u8 = b'D';
pub const DELIVERY: u8 = b'W';
pub const OUTBOX: u8 = b'Q';
pub const QUEUE_INDEX: u8 = b'q';
pub const ASSIGNED_INDEX: u8 = b'a';

pub fn ticket(id: Uuid) -> Vec<u8> {
    let mut key = vec![TICKET];
    key.extend_from_slice(id.as_bytes());
    key
}

pub fn event(id: Uuid, seq: u64) -> Vec<u8> {
    let mut key = events_of(id);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

pub fn events_of(id: Uuid) -> Vec<u8> {
    let mut key = vec![EVENT];
    key.extend_from_slice(id.as_bytes());
    key
}

pub fn doc(collection: Collection, key: &str) -> Vec<u8> {
    let mut bytes = docs_of(collection);
    bytes.extend_from_slice(key.as_bytes());
    bytes
}

pub fn docs_of(collection: Collection) -> Vec<u8> {
    let mut key = vec![DOC];
    key.extend_from_slice(collection.name().as_bytes());
    key.push(0);
    key
}

pub fn delivery(id: u64) -> Vec<u8> {
    let mut key = vec![DELIVERY];
    key.extend_from_slice(&id.to_be_bytes());
    key
}

pub fn outbox(endpoint: Uuid, conversation: Uuid, delivery: u64) -> Vec<u8> {
    let mut key = vec![OUTBOX];
    key.extend_from_slice(endpoint.as_bytes());
    key.extend_from_slice(conversation.as_bytes());
    key.extend_from_slice(&delivery.to_be_bytes());
    key
}

/// The delivery id at the end of an outbox key.
pub fn outbox_delivery(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(33..41)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// The (endpoint, conversation) part of an outbox key: one queue.
pub fn outbox_queue(key: &[u8]) -> &[u8] {
    &key[..key.len().min(33)]
}

pub fn queue_index(tenant: &str, id: Uuid) -> Vec<u8> {
    let mut key = queue_index_of(tenant);
    key.extend_from_slice(id.as_bytes());
    key
}

pub fn queue_index_of(tenant: &str) -> Vec<u8> {
    let mut key = vec![QUEUE_INDEX];
    key.extend_from_slice(tenant.as_bytes());
    key.push(0);
    key
}

pub fn assigned_index(tenant: &str, agent: &str, id: Uuid) -> Vec<u8> {
    let mut key = assigned_index_of(tenant, agent);
    key.extend_from_slice(id.as_bytes());
    key
}

pub fn assigned_index_of(tenant: &str, agent: &str) -> Vec<u8> {
    let mut key = vec![ASSIGNED_INDEX];
    key.extend_from_slice(tenant.as_bytes());
    key.push(0);
    key.extend_from_slice(agent.as_bytes());
    key.push(0);
    key
}

/// The uuid at the end of an index key.
pub fn trailing_id(key: &[u8]) -> Option<Uuid> {
    let tail = key.get(key.len().checked_sub(16)?..)?;
    Uuid::from_slice(tail).ok()
}

/// The smallest key after every key starting with `prefix` (None: nothing can follow).
pub fn after_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut next = prefix.to_vec();
    while let Some(last) = next.pop() {
        if last < u8::MAX {
            next.push(last + 1);
            return Some(next);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_prefix_skips_every_key_with_the_prefix() {
        assert_eq!(after_prefix(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(after_prefix(&[1, 255]), Some(vec![2]));
        assert_eq!(after_prefix(&[255, 255]), None);
    }

    #[test]
    fn outbox_keys_give_back_their_parts() {
        let (endpoint, conversation) = (Uuid::new_v4(), Uuid::new_v4());
        let key = outbox(endpoint, conversation, 7);
        assert_eq!(outbox_delivery(&key), Some(7));
        assert_eq!(outbox_queue(&key).len(), 33);
        assert_eq!(
            trailing_id(&queue_index("acme", conversation)),
            Some(conversation)
        );
    }
}
