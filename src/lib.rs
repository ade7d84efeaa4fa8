//! Switchboard: a self-hosted AI customer-support server. A customer's message is classified
//! (`nlu`), answered from the knowledge base (`kb`) or handed to a person (`escalation`) by the
//! dialogue policy (`dialogue`), and every conversation is a ticket (`tickets`) kept by the `store` (sled, or PostgreSQL).
//! `service` ties them together; `api` is the HTTP layer; `startup` loads and binds. People:
//! `agents` (accounts, sessions) and `live` (the hub behind the SSE streams).

#![warn(clippy::wildcard_enum_match_arm)]

pub mod agents;
pub mod analytics;
pub mod api;
pub mod config;
pub mod dialogue;
pub mod error;
pub mod escalation;
pub mod kb;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod nlu;
pub mod service;
pub mod startup;
pub mod store;
pub mod tenants;
pub mod tickets;
pub mod webhooks;
pub mod workers;
