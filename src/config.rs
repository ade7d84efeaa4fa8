//! Configuration: one typed [`Settings`] struct, read from the embedded defaults
//! (`config/default.toml`), an optional file, then `SWITCHBOARD__SECTION__KEY` environment variables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

/// The defaults, compiled in so that `cargo run` works with no file at all.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub admin: AdminSettings,
    pub paths: PathSettings,
    pub nlu: NluSettings,
    pub dialogue: DialogueSettings,
    pub escalation: EscalationSettings,
    pub queue: QueueSettings,
    pub console: ConsoleSettings,
    pub widget: WidgetSettings,
    pub limits: LimitSettings,
    pub webhooks: WebhookSettings,
    pub sla: SlaSettings,
    pub storage: StorageSettings,
}

/// Where state lives: sled under `paths.data_dir` (the default), or PostgreSQL at `url`.
#[derive(Debug, Clone, Deserialize)]
pub struct StorageSettings {
    /// `postgres://user:password@host/db`; empty or absent = sled.
    pub url: Option<String>,
    /// PostgreSQL schema for Switchboard's tables (created if missing).
    pub schema: String,
    pub max_connections: u32,
    /// sled's page cache (it defaults to 1 GB, more than a desk needs).
    pub sled_cache_mb: u64,
    /// Seconds a replica waits between checks of the KB revision (notifications make it faster).
    pub kb_poll_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub blocking_threads: usize,
    pub max_body_bytes: usize,
    pub shutdown_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdminSettings {
    /// Empty means the admin API is disabled.
    pub token: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PathSettings {
    pub data_dir: PathBuf,
    pub kb_dir: PathBuf,
    pub ort_library: PathBuf,
    pub encoder_dir: PathBuf,
    pub multilingual_encoder_dir: PathBuf,
    pub model_dir: PathBuf,
    /// Escalation scorer trained by `switchboard train-escalation`.
    pub escalation_model_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NluSettings {
    /// `minilm`, `e5` or `routed` (see `nlu::encoder`).
    pub encoder: String,
    pub encoder_file: String,
    pub sessions: usize,
    pub multilingual_sessions: usize,
    pub intra_threads: usize,
    pub cpu_arena: bool,
    pub batch_max: usize,
    pub batch_wait_us: u64,
    pub embedding_cache: usize,
    pub embedding_cache_max_bytes: usize,
    pub max_in_flight: usize,
    pub max_queued: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DialogueSettings {
    pub max_text_bytes: usize,
    pub clarify_margin: f32,
    pub keyword_min_confidence: f32,
    pub max_failed_turns: u32,
    pub smalltalk_intents: Vec<String>,
    pub smalltalk_min_confidence: f32,
    pub handoff_intents: Vec<String>,
    /// A handoff intent on top counts as a request for a person from this confidence up, even
    /// when the classifier rejected the message.
    pub handoff_min_confidence: f32,
    pub min_kb_score: f32,
    pub min_kb_cosine: f32,
    /// A message the classifier rejected is answered anyway when the best passage's BM25 score
    /// reaches this (0 = always decline).
    pub decline_answer_min_bm25: f32,
    /// A best passage judged not to answer the question, but with at least this answerability,
    /// is offered with the next article as two choices instead of a bare "I don't know"
    /// (1 = never offer).
    pub suggest_min_answerability: f32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EscalationSettings {
    /// The valence lexicon alone escalates a message scoring at or below this.
    pub negative_sentiment_threshold: f32,
    /// Share of the scorer's held-out sensitive examples its threshold keeps (per language).
    pub sensitive_recall: f32,
    /// Share of the scorer's held-out angry examples its threshold keeps (per language).
    pub anger_recall: f32,
    /// No scorer threshold is set above this.
    pub max_threshold: f32,
    /// Anger scored less than this above its threshold (the lexicon silent) is mild: the bot
    /// still answers it once in a row (0 = all anger hands over at once).
    pub mild_anger_margin: f32,
    pub priority_sensitive: u8,
    pub priority_explicit_request: u8,
    pub priority_out_of_scope: u8,
    pub priority_repeated_failure: u8,
    pub priority_negative_sentiment: u8,
    /// Tenant name -> its rules.
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantRules>,
    pub hours: BusinessHours,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TenantRules {
    #[serde(default)]
    pub rules: Vec<MetadataRule>,
}

/// Ticket metadata `key` equal to `value` sends the conversation to a person at `priority`.
#[derive(Debug, Clone, Deserialize)]
pub struct MetadataRule {
    pub key: String,
    pub value: String,
    pub priority: u8,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BusinessHours {
    pub enabled: bool,
    pub utc_offset_minutes: i32,
    pub weekdays: Vec<u8>,
    pub open_hour: u8,
    pub close_hour: u8,
}

#[derive(Debug, Clone, Deserialize)]
pub struct QueueSettings {
    pub agent_capacity: usize,
    pub auto_assign: bool,
    pub default_wait_seconds: u64,
    pub recent_pickups: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleSettings {
    pub session_hours: u64,
    pub secure_cookie: bool,
    pub max_failed_logins: usize,
    pub login_window_minutes: u64,
    pub canned: Vec<CannedReply>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CannedReply {
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WidgetSettings {
    pub allowed_origins: Vec<String>,
}

/// Rate limits on the public and partner endpoints (per minute, with a burst; 0 = no limit).
#[derive(Debug, Clone, Deserialize)]
pub struct LimitSettings {
    /// Take the client address from the last `X-Forwarded-For` entry (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    pub ip_per_minute: u32,
    pub ip_burst: u32,
    pub tenant_per_minute: u32,
    pub tenant_burst: u32,
}

/// Webhook delivery: polling, timeouts, retry backoff, giving up.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    pub poll_interval_ms: u64,
    pub timeout_ms: u64,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    pub give_up_after_ms: u64,
    pub max_concurrent: usize,
    pub max_endpoints: usize,
}

/// Service-level targets the analytics count breaches against (milliseconds).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct SlaSettings {
    pub bot_first_response_ms: u64,
    pub human_first_response_ms: u64,
    pub resolution_ms: u64,
}

impl Settings {
    /// Defaults, then `file` (if any), then environment overrides.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("SWITCHBOARD__").split("__"));
        figment.extract().map_err(|e| ConfigError(Box::new(e)))
    }

    /// The embedded defaults alone (tests start from these and adjust fields).
    pub fn defaults() -> Settings {
        Figment::from(Toml::string(DEFAULT_TOML))
            .extract()
            .expect("the embedded config/default.toml is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_parse() {
        let settings = Settings::defaults();
        assert_eq!(settings.server.port, 8080);
        assert_eq!(settings.dialogue.max_failed_turns, 2);
    }
}
