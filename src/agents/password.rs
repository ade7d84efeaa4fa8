//! argon2id password hashes (PHC strings with their own salt and parameters) and random tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::AgentError;

/// Hash verified for unknown usernames, so they take as long as known ones.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3S1bI0pfjSxV3ZnRNuhyo5kVjdG2fSxW6wvuXBb/Pjk";

fn random_bytes<const N: usize>() -> Result<[u8; N], AgentError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AgentError::Hashing(e.to_string()))?;
    Ok(bytes)
}

pub fn hash(password: &str) -> Result<String, AgentError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| AgentError::Hashing(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| AgentError::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

pub fn matches(stored: &str, given: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(given.as_bytes(), &parsed)
        .is_ok()
}

/// Spends the time of one verification and throws the answer away.
pub fn burn(given: &str) {
    let _ = matches(DUMMY_HASH, given);
}

/// 32 random bytes as 64 hex characters.
pub fn random_token() -> Result<String, AgentError> {
    let bytes = random_bytes::<32>()?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
