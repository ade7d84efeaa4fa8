//! Agent accounts and console sessions, as documents in the store (`agents` and `sessions`; with
//! sled one process owns the database, so the CLI cannot add agents while the server runs: the
//! server offers `POST /v1/admin/agents` instead).
//!
//! Passwords are stored as argon2id PHC strings. A session is a random 256-bit token given to the
//! browser in a cookie; only its SHA-256 is stored, with an expiry, so a copy of the database does
//! not let anyone log in. Argon2 is deliberately slow, so it is kept out of the store calls:
//! callers run [`prepare`] and [`check_password`] on the CPU gate.

mod password;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{Collection, DocWrite, SharedStore, StoreError};
use crate::tickets::now_ms;

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
    #[error(transparent)]
    Store(#[from] StoreError),
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

/// A stored account: the profile and the password hash.
#[derive(Serialize, Deserialize)]
pub struct AgentRecord {
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

/// Validates and hashes a new account (slow: argon2).
pub fn prepare(new: NewAgent) -> Result<AgentRecord, AgentError> {
    validate(&new)?;
    Ok(AgentRecord {
        profile: AgentProfile {
            username: new.username.clone(),
            display_name: new.display_name.trim().to_string(),
            tenant: new.tenant,
            role: new.role,
        },
        password_hash: password::hash(&new.password)?,
        created_at_ms: now_ms(),
    })
}

/// Checks a password against an account (slow: argon2). Unknown users cost the same hash as
/// known ones (no timing oracle) and get the same error as a wrong password.
pub fn check_password(
    record: Option<AgentRecord>,
    given: &str,
) -> Result<AgentProfile, AgentError> {
    let Some(record) = record else {
        password::burn(given);
        return Err(AgentError::InvalidCredentials);
    };
    if !password::matches(&record.password_hash, given) {
        return Err(AgentError::InvalidCredentials);
    }
    Ok(record.profile)
}

#[derive(Clone)]
pub struct AgentStore {
    store: SharedStore,
}

impl AgentStore {
    pub fn new(store: SharedStore) -> AgentStore {
        AgentStore { store }
    }

    /// Stores a prepared account; an existing username is refused.
    pub async fn add(&self, record: AgentRecord) -> Result<AgentProfile, AgentError> {
        let username = record.profile.username.clone();
        let value = serde_json::to_value(&record)?;
        let insert = DocWrite::insert(Collection::Agents, &username, value);
        match self.store.write_docs(vec![insert]).await {
            Ok(()) => Ok(record.profile),
            Err(StoreError::Exists { .. }) => Err(AgentError::Exists(username)),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn get(&self, username: &str) -> Result<Option<AgentProfile>, AgentError> {
        Ok(self.record(username).await?.map(|r| r.profile))
    }

    pub async fn record(&self, username: &str) -> Result<Option<AgentRecord>, AgentError> {
        match self.store.doc(Collection::Agents, username).await? {
            Some(value) => Ok(Some(serde_json::from_value(value)?)),
            None => Ok(None),
        }
    }

    /// Starts a session for `username` lasting `ttl_ms`; returns the token for the cookie.
    pub async fn start_session(&self, username: &str, ttl_ms: u64) -> Result<String, AgentError> {
        let token = password::random_token()?;
        let record = SessionRecord {
            username: username.to_string(),
            expires_at_ms: now_ms().saturating_add(ttl_ms),
        };
        let mut writes = self.expired_sessions().await?;
        let value = serde_json::to_value(&record)?;
        writes.push(DocWrite::put(
            Collection::Sessions,
            &token_key(&token),
            value,
        ));
        self.store.write_docs(writes).await?;
        Ok(token)
    }

    /// The agent a session token belongs to, if the session exists and has not expired.
    pub async fn session(&self, token: &str) -> Result<AgentProfile, AgentError> {
        let key = token_key(token);
        let Some(value) = self.store.doc(Collection::Sessions, &key).await? else {
            return Err(AgentError::NotLoggedIn);
        };
        let session: SessionRecord = serde_json::from_value(value)?;
        if session.expires_at_ms <= now_ms() {
            return Err(AgentError::NotLoggedIn);
        }
        self.get(&session.username)
            .await?
            .ok_or(AgentError::NotLoggedIn)
    }

    /// Deletes of expired sessions, written with each login: sessions are few, and this keeps
    /// the collection small.
    async fn expired_sessions(&self) -> Result<Vec<DocWrite>, AgentError> {
        let now = now_ms();
        let mut expired = Vec::new();
        for (key, value) in self.store.docs(Collection::Sessions, "").await? {
            let session: SessionRecord = serde_json::from_value(value)?;
            if session.expires_at_ms <= now {
                expired.push(DocWrite::delete(Collection::Sessions, &key));
            }
        }
        Ok(expired)
    }

    pub async fn end_session(&self, token: &str) -> Result<(), AgentError> {
        let delete = DocWrite::delete(Collection::Sessions, &token_key(token));
        self.store.write_docs(vec![delete]).await?;
        Ok(())
    }
}

/// Where a session is stored: the SHA-256 of its token, never the token.
fn token_key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
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

    fn agents(dir: &tempfile::TempDir) -> AgentStore {
        let store = crate::store::sled::SledStore::open(dir.path(), 8).unwrap();
        AgentStore::new(std::sync::Arc::new(store))
    }

    async fn verify(
        agents: &AgentStore,
        name: &str,
        given: &str,
    ) -> Result<AgentProfile, AgentError> {
        check_password(agents.record(name).await?, given)
    }

    #[tokio::test]
    async fn a_stored_agent_logs_in_with_its_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let agents = agents(&dir);
        agents.add(prepare(alice()).unwrap()).await.unwrap();
        let profile = verify(&agents, "alice", "correct horse").await.unwrap();
        assert_eq!(profile.tenant, "demo");
        assert!(matches!(
            verify(&agents, "alice", "wrong horse").await,
            Err(AgentError::InvalidCredentials)
        ));
        assert!(matches!(
            verify(&agents, "bob", "correct horse").await,
            Err(AgentError::InvalidCredentials)
        ));
        let again = agents.add(prepare(alice()).unwrap()).await;
        assert!(matches!(again, Err(AgentError::Exists(_))));
    }

    #[tokio::test]
    async fn sessions_are_stored_hashed_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let agents = agents(&dir);
        agents.add(prepare(alice()).unwrap()).await.unwrap();
        let token = agents.start_session("alice", 60_000).await.unwrap();
        assert_eq!(agents.session(&token).await.unwrap().username, "alice");
        let stored = agents.store.docs(Collection::Sessions, "").await.unwrap();
        assert!(
            stored
                .iter()
                .all(|(key, _)| *key != token && !key.contains(&token))
        );
        let expired = agents.start_session("alice", 0).await.unwrap();
        assert!(matches!(
            agents.session(&expired).await,
            Err(AgentError::NotLoggedIn)
        ));
        agents.end_session(&token).await.unwrap();
        assert!(matches!(
            agents.session(&token).await,
            Err(AgentError::NotLoggedIn)
        ));
    }

    #[test]
    fn bad_names_and_short_passwords_are_refused() {
        let mut bad = alice();
        bad.username = "Alice Smith".into();
        assert!(matches!(prepare(bad), Err(AgentError::Invalid(_))));
        let mut short = alice();
        short.password = "short".into();
        assert!(matches!(prepare(short), Err(AgentError::Invalid(_))));
    }
}
