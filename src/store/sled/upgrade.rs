//! Moves a store written by an older Switchboard (one sled tree per record kind, written with
//! multi-tree transactions) into the current single-tree layout, once, at open: everything is
//! copied in one atomic batch and flushed before the old trees are dropped, so a crash part-way
//! leaves the old trees to be copied again at the next start.

use super::keys;
use crate::store::{Collection, StoreError};
use crate::tickets::Ticket;

/// Old tree name → how its keys map into the new layout.
const OLD_TREES: [&str; 9] = [
    "tickets",
    "events",
    "webhook_endpoints",
    "webhook_outbox",
    "webhook_deliveries",
    "tenants",
    "tenant_keys",
    "agents",
    "agent_sessions",
];

pub fn from_trees(db: &sled::Db, tree: &sled::Tree) -> Result<(), StoreError> {
    let present: Vec<String> = db
        .tree_names()
        .iter()
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .filter(|name| OLD_TREES.contains(&name.as_str()))
        .collect();
    if present.is_empty() {
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    let mut copied = 0usize;
    for name in &present {
        for entry in db.open_tree(name)?.iter() {
            let (key, value) = entry?;
            for (new_key, new_value) in translate(name, &key, &value)? {
                batch.insert(new_key, new_value);
            }
            copied += 1;
        }
    }
    tree.apply_batch(batch)?;
    db.flush()?;
    for name in &present {
        db.drop_tree(name.as_bytes())?;
    }
    db.flush()?;
    tracing::info!(
        records = copied,
        "moved the store to the single-tree layout"
    );
    Ok(())
}

type Entry = (Vec<u8>, Vec<u8>);

fn translate(tree: &str, key: &[u8], value: &[u8]) -> Result<Vec<Entry>, StoreError> {
    let text = |key: &[u8]| String::from_utf8_lossy(key).into_owned();
    let doc =
        |collection: Collection, key: String| vec![(keys::doc(collection, &key), value.to_vec())];
    let prefixed = |prefix: u8| {
        let mut new_key = vec![prefix];
        new_key.extend_from_slice(key);
        vec![(new_key, value.to_vec())]
    };
    Ok(match tree {
        "tickets" => {
            let ticket: Ticket = serde_json::from_slice(value)?;
            let mut entries = prefixed(keys::TICKET);
            for index in super::tickets::index_keys(&ticket) {
                entries.push((index, Vec::new()));
            }
            entries
        }
        "events" => prefixed(keys::EVENT),
        "webhook_outbox" => prefixed(keys::OUTBOX),
        "webhook_deliveries" => prefixed(keys::DELIVERY),
        "webhook_endpoints" => doc(Collection::WebhookEndpoints, text(key)),
        "tenants" => doc(Collection::Tenants, text(key)),
        "tenant_keys" => doc(Collection::TenantKeys, text(key)),
        "agents" => doc(Collection::Agents, text(key)),
        "agent_sessions" => doc(Collection::Sessions, hex::encode(key)),
        _ => Vec::new(),
    })
}
