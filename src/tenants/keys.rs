//! API keys: `sb_live_` + 32 random bytes (base64url). A key is shown once; sled keeps only its
//! SHA-256 and the key id (the first characters of the random part) that finds the record.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Every key starts with this, so a leaked one is easy to recognise (and to scan for).
pub const KEY_PREFIX: &str = "sb_live_";
/// Characters of the random part that form the key id (72 of the 256 bits; the rest stay secret).
const KEY_ID_LEN: usize = 12;
/// 32 bytes in base64url without padding.
const SECRET_LEN: usize = 43;

/// A stored key: never the key itself, only its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub key_id: String,
    pub tenant: String,
    /// SHA-256 of the whole key, hex.
    pub sha256: String,
    pub label: Option<String>,
    pub created_at_ms: u64,
    /// Set when the key was revoked at once.
    pub revoked_at_ms: Option<u64>,
    /// Set when the key was rotated with a grace period: it works until then.
    pub expires_at_ms: Option<u64>,
}

/// A key as listed: its id and state, never the secret.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KeyInfo {
    pub key_id: String,
    pub label: Option<String>,
    pub created_at_ms: u64,
    pub revoked_at_ms: Option<u64>,
    pub expires_at_ms: Option<u64>,
    pub active: bool,
}

/// A newly created key: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedKey {
    pub key_id: String,
    pub tenant: String,
    /// The API key. Store it now: it is not shown again and cannot be recovered.
    pub key: String,
    pub created_at_ms: u64,
}

impl KeyRecord {
    pub fn is_active(&self, now_ms: u64) -> bool {
        self.revoked_at_ms.is_none() && self.expires_at_ms.is_none_or(|at| now_ms < at)
    }

    pub fn info(&self, now_ms: u64) -> KeyInfo {
        KeyInfo {
            key_id: self.key_id.clone(),
            label: self.label.clone(),
            created_at_ms: self.created_at_ms,
            revoked_at_ms: self.revoked_at_ms,
            expires_at_ms: self.expires_at_ms,
            active: self.is_active(now_ms),
        }
    }

    /// Whether `key` hashes to this record's hash (compared in constant time).
    pub fn matches(&self, key: &str) -> bool {
        let given = sha256_hex(key);
        let (a, b) = (given.as_bytes(), self.sha256.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// A fresh random key and its id. Fails only if the OS has no randomness to give.
pub fn generate() -> Result<(String, String), getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    let encoded = URL_SAFE_NO_PAD.encode(secret);
    let key_id = encoded[..KEY_ID_LEN].to_string();
    Ok((format!("{KEY_PREFIX}{encoded}"), key_id))
}

/// The key id of a well-formed key, or `None` for anything that cannot be one of ours.
pub fn key_id_of(key: &str) -> Option<&str> {
    let secret = key.strip_prefix(KEY_PREFIX)?;
    let well_formed = secret.len() == SECRET_LEN
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| &secret[..KEY_ID_LEN])
}

pub fn sha256_hex(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let (key, id) = generate().unwrap();
        let (other, _) = generate().unwrap();
        assert_ne!(key, other);
        assert_eq!(key_id_of(&key), Some(id.as_str()));
        assert_eq!(key.len(), KEY_PREFIX.len() + SECRET_LEN);
    }

    #[test]
    fn malformed_keys_have_no_id() {
        let (key, _) = generate().unwrap();
        for bad in [
            "",
            "sb_live_",
            &key[1..],
            &format!("{key}x"),
            &format!(" {key}"),
            &key.replace("sb_live_", "SB_LIVE_"),
            "sb_live_../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert_eq!(key_id_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_record_matches_only_its_own_key() {
        let (key, key_id) = generate().unwrap();
        let record = KeyRecord {
            key_id,
            tenant: "acme".into(),
            sha256: sha256_hex(&key),
            label: None,
            created_at_ms: 0,
            revoked_at_ms: None,
            expires_at_ms: Some(10),
        };
        assert!(record.matches(&key));
        let mut changed = key.clone();
        changed.pop();
        changed.push('A');
        assert!(!record.matches(&changed) || key.ends_with('A'));
        assert!(record.is_active(9));
        assert!(!record.is_active(10));
    }
}
