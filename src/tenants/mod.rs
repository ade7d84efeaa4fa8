//! Tenants: the partners and sites served by one Switchboard, each with its widget settings,
//! escalation settings, optional intent model and API keys.
//!
//! Two trees in the ticket store's sled database: `tenants` (id → [`Tenant`]) and `tenant_keys`
//! (key id → [`KeyRecord`], the SHA-256 of the key, never the key). Callers flush the database
//! (`TicketStore::flush`) before acknowledging a write.

pub mod keys;
mod model;

use sled::CompareAndSwapError;

pub use keys::{IssuedKey, KeyInfo, KeyRecord};
pub use model::{
    BusinessHours, DEFAULT_TENANT, EscalationSettings, MetadataRule, NewTenant, Tenant,
    WidgetSettings, default_tenant, valid_slug,
};

use crate::tickets::now_ms;

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("tenant not found")]
    NotFound,
    #[error("a tenant with this id exists already")]
    AlreadyExists,
    #[error("API key not found")]
    KeyNotFound,
    #[error("missing, unknown, revoked or expired API key")]
    InvalidKey,
    #[error("{0}")]
    Invalid(String),
    #[error("tenant store failure: {0}")]
    Storage(#[from] sled::Error),
    #[error("tenant record is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("no randomness for a new key: {0}")]
    Random(getrandom::Error),
}

#[derive(Clone)]
pub struct TenantRegistry {
    tenants: sled::Tree,
    keys: sled::Tree,
}

/// A rotation's result: the new key (shown once) and the keys it retires.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub issued: IssuedKey,
    pub retired: Vec<KeyInfo>,
}

/// The longest grace period an old key may keep working after a rotation (30 days).
pub const MAX_GRACE_SECONDS: u64 = 30 * 24 * 3600;

impl TenantRegistry {
    /// Opens the tenant trees in `db` (the ticket store's database).
    pub fn open(db: &sled::Db) -> Result<TenantRegistry, TenantError> {
        Ok(TenantRegistry {
            tenants: db.open_tree("tenants")?,
            keys: db.open_tree("tenant_keys")?,
        })
    }

    /// Creates the default tenant if it is missing, so the widget works out of the box.
    pub fn ensure_default(&self) -> Result<(), TenantError> {
        match self.create(default_tenant()) {
            Ok(_) | Err(TenantError::AlreadyExists) => Ok(()),
            Err(other) => Err(other),
        }
    }

    pub fn create(&self, new: NewTenant) -> Result<Tenant, TenantError> {
        let tenant = new.into_tenant(now_ms())?;
        let value = serde_json::to_vec(&tenant)?;
        let swapped = self.tenants.compare_and_swap(
            tenant.id.as_bytes(),
            None as Option<&[u8]>,
            Some(value),
        )?;
        match swapped {
            Ok(()) => Ok(tenant),
            Err(CompareAndSwapError { .. }) => Err(TenantError::AlreadyExists),
        }
    }

    /// The tenant with exactly this id (no case folding, no trimming).
    pub fn get(&self, id: &str) -> Result<Tenant, TenantError> {
        if !valid_slug(id) {
            return Err(TenantError::NotFound);
        }
        let bytes = self
            .tenants
            .get(id.as_bytes())?
            .ok_or(TenantError::NotFound)?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    pub fn list(&self) -> Result<Vec<Tenant>, TenantError> {
        self.tenants
            .iter()
            .values()
            .map(|value| Ok(serde_json::from_slice(&value?)?))
            .collect()
    }

    /// Issues a new key for `tenant`; the returned secret is the only copy.
    pub fn create_key(
        &self,
        tenant: &str,
        label: Option<String>,
    ) -> Result<IssuedKey, TenantError> {
        let tenant = self.get(tenant)?;
        if label.as_ref().is_some_and(|l| l.len() > 100) {
            return Err(TenantError::Invalid(
                "`label` must be at most 100 bytes".into(),
            ));
        }
        let (key, key_id) = keys::generate().map_err(TenantError::Random)?;
        let record = KeyRecord {
            key_id: key_id.clone(),
            tenant: tenant.id.clone(),
            sha256: keys::sha256_hex(&key),
            label,
            created_at_ms: now_ms(),
            revoked_at_ms: None,
            expires_at_ms: None,
        };
        let value = serde_json::to_vec(&record)?;
        let swapped =
            self.keys
                .compare_and_swap(key_id.as_bytes(), None as Option<&[u8]>, Some(value))?;
        if swapped.is_err() {
            // 72 random bits collided: vanishingly unlikely; refuse rather than overwrite.
            return Err(TenantError::Invalid("key id collision; try again".into()));
        }
        Ok(IssuedKey {
            key_id,
            tenant: tenant.id,
            key,
            created_at_ms: record.created_at_ms,
        })
    }

    /// The tenant's keys (ids and state only).
    pub fn keys_of(&self, tenant: &str) -> Result<Vec<KeyInfo>, TenantError> {
        let tenant = self.get(tenant)?;
        let now = now_ms();
        let mut keys = Vec::new();
        for value in self.keys.iter().values() {
            let record: KeyRecord = serde_json::from_slice(&value?)?;
            if record.tenant == tenant.id {
                keys.push(record.info(now));
            }
        }
        keys.sort_by_key(|k| k.created_at_ms);
        Ok(keys)
    }

    /// Revokes a key of `tenant` at once, or after `grace_seconds`. Another tenant's key id is
    /// reported as not found.
    pub fn revoke_key(
        &self,
        tenant: &str,
        key_id: &str,
        grace_seconds: u64,
    ) -> Result<KeyInfo, TenantError> {
        if grace_seconds > MAX_GRACE_SECONDS {
            return Err(TenantError::Invalid(format!(
                "`grace_seconds` must be at most {MAX_GRACE_SECONDS}"
            )));
        }
        let mut record = self.key_record(key_id)?;
        if record.tenant != tenant {
            return Err(TenantError::KeyNotFound);
        }
        let now = now_ms();
        if record.is_active(now) {
            match grace_seconds {
                0 => record.revoked_at_ms = Some(now),
                grace => record.expires_at_ms = Some(now + grace * 1000),
            }
            self.keys
                .insert(key_id.as_bytes(), serde_json::to_vec(&record)?)?;
        }
        Ok(record.info(now))
    }

    /// Rotation: a new key, and every other active key of the tenant revoked (after the grace).
    pub fn rotate_key(&self, tenant: &str, grace_seconds: u64) -> Result<Rotation, TenantError> {
        if grace_seconds > MAX_GRACE_SECONDS {
            return Err(TenantError::Invalid(format!(
                "`grace_seconds` must be at most {MAX_GRACE_SECONDS}"
            )));
        }
        let old: Vec<KeyInfo> = self
            .keys_of(tenant)?
            .into_iter()
            .filter(|k| k.active)
            .collect();
        let issued = self.create_key(tenant, Some("rotated".into()))?;
        let mut retired = Vec::new();
        for key in old {
            retired.push(self.revoke_key(tenant, &key.key_id, grace_seconds)?);
        }
        Ok(Rotation { issued, retired })
    }

    /// The tenant an API key belongs to, if the key is well formed, known, matches its hash and
    /// is still active. Every failure is the same [`TenantError::InvalidKey`].
    pub fn authenticate(&self, key: &str) -> Result<Tenant, TenantError> {
        let key_id = keys::key_id_of(key).ok_or(TenantError::InvalidKey)?;
        let record = match self.key_record(key_id) {
            Ok(record) => record,
            Err(TenantError::KeyNotFound) => return Err(TenantError::InvalidKey),
            Err(other) => return Err(other),
        };
        if !record.matches(key) || !record.is_active(now_ms()) {
            return Err(TenantError::InvalidKey);
        }
        match self.get(&record.tenant) {
            Err(TenantError::NotFound) => Err(TenantError::InvalidKey),
            result => result,
        }
    }

    fn key_record(&self, key_id: &str) -> Result<KeyRecord, TenantError> {
        let bytes = self
            .keys
            .get(key_id.as_bytes())?
            .ok_or(TenantError::KeyNotFound)?;
        Ok(serde_json::from_slice(&bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> (tempfile::TempDir, TenantRegistry) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        (dir, TenantRegistry::open(&db).unwrap())
    }

    fn acme() -> NewTenant {
        NewTenant {
            id: "acme".into(),
            name: "Acme".into(),
            widget: None,
            escalation: None,
            intent_model_dir: None,
        }
    }

    #[test]
    fn default_tenant_is_created_once() {
        let (_dir, registry) = registry();
        registry.ensure_default().unwrap();
        registry.ensure_default().unwrap();
        assert_eq!(registry.list().unwrap().len(), 1);
        assert_eq!(registry.get(DEFAULT_TENANT).unwrap().widget.language, "en");
    }

    #[test]
    fn duplicate_tenant_is_refused() {
        let (_dir, registry) = registry();
        registry.create(acme()).unwrap();
        assert!(matches!(
            registry.create(acme()),
            Err(TenantError::AlreadyExists)
        ));
    }

    #[test]
    fn rotation_with_grace_keeps_the_old_key_until_it_expires() {
        let (_dir, registry) = registry();
        registry.create(acme()).unwrap();
        let first = registry.create_key("acme", None).unwrap();
        let rotation = registry.rotate_key("acme", 60).unwrap();
        assert_eq!(rotation.retired.len(), 1);
        assert_eq!(registry.authenticate(&first.key).unwrap().id, "acme");
        assert_eq!(
            registry.authenticate(&rotation.issued.key).unwrap().id,
            "acme"
        );
        registry.revoke_key("acme", &first.key_id, 0).unwrap();
        let keys = registry.keys_of("acme").unwrap();
        assert_eq!(keys.iter().filter(|k| k.active).count(), 1);
        assert!(registry.authenticate(&first.key).is_err());
    }

    #[test]
    fn revoked_key_and_other_tenants_key_ids_fail() {
        let (_dir, registry) = registry();
        registry.create(acme()).unwrap();
        registry.ensure_default().unwrap();
        let key = registry.create_key("acme", None).unwrap();
        assert!(matches!(
            registry.revoke_key(DEFAULT_TENANT, &key.key_id, 0),
            Err(TenantError::KeyNotFound)
        ));
        registry.revoke_key("acme", &key.key_id, 0).unwrap();
        assert!(matches!(
            registry.authenticate(&key.key),
            Err(TenantError::InvalidKey)
        ));
    }
}
