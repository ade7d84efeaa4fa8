//! Configuration: one typed [`Settings`] struct, read from the embedded defaults
//! (`config/default.toml`), an optional file, then `SWITCHBOARD__SECTION__KEY` environment variables.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

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
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub max_body_bytes: usize,
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
    pub model_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NluSettings {
    pub sessions: usize,
    pub intra_threads: usize,
    pub max_in_flight: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DialogueSettings {
    pub max_text_bytes: usize,
    pub clarify_margin: f32,
    pub max_failed_turns: u32,
    pub smalltalk_intents: Vec<String>,
    pub handoff_intents: Vec<String>,
    pub min_kb_score: f32,
    pub min_kb_cosine: f32,
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
