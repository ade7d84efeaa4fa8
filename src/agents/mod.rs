//! Agent accounts and console sessions, in the tickets' sled database (trees `agents` and
//! `agent_sessions`; sled locks the database for one process, so the CLI cannot add agents while
//! the server runs: the server offers `POST /v1/admin/agents` instead).
//!
//! Passwords are stored as argon2id PHC strings. A session is a random 256-bit token given to the
//! browser in a cookie; only its SHA-256 is stored, with an expiry, so a copy of the database does
//! not let anyone log in. Argon2 is deliberately slow: callers run `verify` and `add` on the
//! CPU gate.

mod password;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::tickets::{TicketStore, now_ms};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("too many failed logins for this user; try again in {minutes} minutes")]
    TooManyAttempts { minutes: u64 },
    #[error("not logged in, or the session expired")]
    NotLoggedIn,
    #[error("an agent named `{0}` already exists")]
    Exists(String),
    #[error("invalid agent: {0}")]
    Invalid(String),
    #[error("agent store failure: {0}")]
    Storage(#[from] sled::Error),
    #[error("agent record is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Handles conversations: claim, reply, note, hand back, resolve its own.
    Agent,
    /// Also acts on conversations another agent of the tenant holds (supervisor override).
    Admin,
}

/// An agent as the API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub username: String,
    pub display_name: String,
    pub tenant: String,
    pub role: Role,
}

/// A new account, as the CLI and the admin API give it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub tenant: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Serialize, Deserialize)]
struct AgentRecord {
    profile: AgentProfile,
    password_hash: String,
    created_at_ms: u64,
}

#[derive(Serialize, Deserialize)]
struct SessionRecord {
    username: String,
    expires_at_ms: u64,
}

const MIN_PASSWORD: usize = 8;
const MAX_PASSWORD: usize = 256;

#[derive(Clone)]
pub struct AgentStore {
    store: TicketStore,
}

impl AgentStore {
    pub fn new(store: TicketStore) -> AgentStore {
        AgentStore { store }
    }

    fn agents(&self) -> Result<sled::Tree, AgentError> {
        Ok(self.store.db().open_tree("agents")?)
    }

    fn sessions(&self) -> Result<sled::Tree, AgentError> {
        Ok(self.store.db().open_tree("agent_sessions")?)
    }

    /// Validates, hashes and stores a new account; an existing username is refused.
    pub fn add(&self, new: NewAgent) -> Result<AgentProfile, AgentError> {
        validate(&new)?;
        let record = AgentRecord {
            profile: AgentProfile {
                username: new.username.clone(),
                display_name: new.display_name.trim().to_string(),
                tenant: new.tenant,
                role: new.role,
            },
            password_hash: password::hash(&new.password)?,
            created_at_ms: now_ms(),
        };
        let value = serde_json::to_vec(&record)?;
        let swapped = self.agents()?.compare_and_swap(
            new.username.as_bytes(),
            None as Option<&[u8]>,
            Some(value),
        )?;
        if swapped.is_err() {
            return Err(AgentError::Exists(new.username));
        }
        Ok(record.profile)
    }

    pub fn get(&self, username: &str) -> Result<Option<AgentProfile>, AgentError> {
        Ok(self.record(username)?.map(|r| r.profile))
    }

    fn record(&self, username: &str) -> Result<Option<AgentRecord>, AgentError> {
        match self.agents()?.get(username.as_bytes())? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Checks a password. Unknown users cost the same hash as known ones (no timing oracle) and
    /// get the same error as a wrong password.
    pub fn verify(&self, username: &str, given: &str) -> Result<AgentProfile, AgentError> {
        let Some(record) = self.record(username)? else {
            password::burn(given);
            return Err(AgentError::InvalidCredentials);
        };
        if !password::matches(&record.password_hash, given) {
            return Err(AgentError::InvalidCredentials);
        }
        Ok(record.profile)
    }

    /// Starts a session for `username` lasting `ttl_ms`; returns the token for the cookie.
    pub fn start_session(&self, username: &str, ttl_ms: u64) -> Result<String, AgentError> {
        let token = password::random_token()?;
        self.sweep_expired()?;
        let record = SessionRecord {
            username: username.to_string(),
            expires_at_ms: now_ms().saturating_add(ttl_ms),
        };
        self.sessions()?
            .insert(token_key(&token), serde_json::to_vec(&record)?)?;
        Ok(token)
    }

    /// The agent a session token belongs to, if the session exists and has not expired.
    pub fn session(&self, token: &str) -> Result<AgentProfile, AgentError> {
        let sessions = self.sessions()?;
        let key = token_key(token);
        let Some(bytes) = sessions.get(key)? else {
            return Err(AgentError::NotLoggedIn);
        };
        let session: SessionRecord = serde_json::from_slice(&bytes)?;
        if session.expires_at_ms <= now_ms() {
            sessions.remove(key)?;
            return Err(AgentError::NotLoggedIn);
        }
        self.get(&session.username)?.ok_or(AgentError::NotLoggedIn)
    }

    /// Drops expired sessions (at each login: sessions are few, and this keeps the tree small).
    fn sweep_expired(&self) -> Result<(), AgentError> {
        let sessions = self.sessions()?;
        let now = now_ms();
        for entry in sessions.iter() {
            let (key, value) = entry?;
            let session: SessionRecord = serde_json::from_slice(&value)?;
            if session.expires_at_ms <= now {
                sessions.remove(key)?;
            }
        }
        Ok(())
    }

    pub fn end_session(&self, token: &str) -> Result<(), AgentError> {
        self.sessions()?.remove(token_key(token))?;
        Ok(())
    }
}

fn token_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Names are 1-32 of a-z, 0-9, `_`, `-` or `.`; display names 1-64 characters.
fn validate(new: &NewAgent) -> Result<(), AgentError> {
    let name_ok = |name: &str| {
        (1..=32).contains(&name.len())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' || c == '.'
            })
    };
    if !name_ok(&new.username) {
        return Err(AgentError::Invalid(
            "`username` must be 1-32 of a-z, 0-9, _, - or .".into(),
        ));
    }
    if !name_ok(&new.tenant) {
        return Err(AgentError::Invalid(
            "`tenant` must be 1-32 of a-z, 0-9, _, - or .".into(),
        ));
    }
    let display = new.display_name.trim().chars().count();
    if !(1..=64).contains(&display) {
        return Err(AgentError::Invalid(
            "`display_name` must be 1-64 characters".into(),
        ));
    }
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&new.password.len()) {
        return Err(AgentError::Invalid(format!(
            "`password` must be {MIN_PASSWORD}-{MAX_PASSWORD} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> NewAgent {
        NewAgent {
            tenant: "demo".into(),
            username: "alice".into(),
            display_name: "Alice".into(),
            role: Role::Agent,
            password: "correct horse".into(),
        }
    }

    #[test]
    fn a_stored_agent_logs_in_with_its_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let agents = AgentStore::new(TicketStore::open(dir.path()).unwrap());
        agents.add(alice()).unwrap();
        assert_eq!(
            agents.verify("alice", "correct horse").unwrap().tenant,
            "demo"
        );
        assert!(matches!(
            agents.verify("alice", "wrong horse"),
            Err(AgentError::InvalidCredentials)
        ));
        assert!(matches!(
            agents.verify("bob", "correct horse"),
            Err(AgentError::InvalidCredentials)
        ));
        assert!(matches!(agents.add(alice()), Err(AgentError::Exists(_))));
    }

    #[test]
    fn sessions_are_stored_hashed_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let agents = AgentStore::new(TicketStore::open(dir.path()).unwrap());
        agents.add(alice()).unwrap();
        let token = agents.start_session("alice", 60_000).unwrap();
        assert_eq!(agents.session(&token).unwrap().username, "alice");
        let stored = agents.sessions().unwrap();
        assert!(stored.get(token.as_bytes()).unwrap().is_none());
        let expired = agents.start_session("alice", 0).unwrap();
        assert!(matches!(
            agents.session(&expired),
            Err(AgentError::NotLoggedIn)
        ));
        agents.end_session(&token).unwrap();
        assert!(matches!(
            agents.session(&token),
            Err(AgentError::NotLoggedIn)
        ));
    }

    #[test]
    fn bad_names_and_short_passwords_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let agents = AgentStore::new(TicketStore::open(dir.path()).unwrap());
        let mut bad = alice();
        bad.username = "Alice Smith".into();
        assert!(matches!(agents.add(bad), Err(AgentError::Invalid(_))));
        let mut short = alice();
        short.password = "short".into();
        assert!(matches!(agents.add(short), Err(AgentError::Invalid(_))));
    }
}
