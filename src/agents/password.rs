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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash_so_unknown_users_cost_the_same() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(matches(&stored, "correct horse") && !matches(&stored, "Correct horse"));
    }

    #[test]
    fn tokens_are_64_hex_characters_and_differ() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
