//! The integration suite, one test binary: the real server on port 0 over real HTTP, the real
//! model, index and store (sled, or PostgreSQL when `SWITCHBOARD_TEST_POSTGRES` is set). One
//! binary links once and trains the shared intent model once for every test.

mod common;

mod analytics;
mod answers;
mod bad_input;
mod console;
mod conversation;
mod escalation;
mod gaps;
mod hf_import;
mod intent_engine;
mod judgment;
mod knowledge_base;
mod metrics;
mod partner_api;
mod replicas;
mod restart;
mod store;
mod tenant_models;
mod tenants;
mod unigram_tokenizer;
mod vector_cache;
mod webhooks;
