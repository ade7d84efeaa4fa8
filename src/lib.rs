//! Switchboard: a self-hosted AI customer-support server. A customer's message is classified
//! (`nlu`), answered from the knowledge base (`kb`) or handed to a person (`escalation`) by the
//! dialogue policy (`dialogue`), and every conversation is a ticket in sled (`tickets`).
//! `service` ties them together; `api` is the HTTP layer; `startup` loads and binds. People:
//! `agents` (accounts, sessions) and `live` (the hub behind the SSE streams).

#![warn(clippy::wildcard_enum_match_arm)]

pub mod agents;
pub mod api;
pub mod config;
pub mod dialogue;
pub mod error;
pub mod escalation;
pub mod kb;
pub mod live;
pub mod nlu;
pub mod service;
pub mod startup;
pub mod tickets;
pub mod workers;
