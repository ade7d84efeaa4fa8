//! The commands of the `switchboard` binary other than `serve`, one module per subject. They
//! print for people (and JSON where asked); `anyhow` carries their errors to `main`.

pub mod escalation;
pub mod intents;
pub mod knowledge;
pub mod people;
