//! Tenants: the partners and sites served by one Switchboard, each with its widget settings,
//! escalation settings, optional intent model and API keys.
//!
//! Two document collections in the store: `tenants` (id → [`Tenant`]) and `tenant_keys`
//! (key id → [`KeyRecord`], the SHA-256 of the key, never the key). Every write is durable when
//! its call returns.

pub mod keys;
mod model;

use crate::store::{Collection, DocWrite, SharedStore, StoreError};

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
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("tenant record is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("no randomness for a new key: {0}")]
    Random(getrandom::Error),
}

#[derive(Clone)]
pub struct TenantRegistry {
    store: SharedStore,
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
    pub fn new(store: SharedStore) -> TenantRegistry {
        TenantRegistry { store }
    }

    /// Creates the default tenant if it is missing, so the widget works out of the box.
    pub async fn ensure_default(&self) -> Result<(), TenantError> {
        match self.create(default_tenant()).await {
            Ok(_) | Err(TenantError::AlreadyExists) => Ok(()),
            Err(other) => Err(other),
        }
    }

    pub async fn create(&self, new: NewTenant) -> Result<Tenant, TenantError> {
        let tenant = new.into_tenant(now_ms())?;
        let value = serde_json::to_value(&tenant)?;
        let insert = DocWrite::insert(Collection::Tenants, &tenant.id, value);
        match self.store.write_docs(vec![insert]).await {
            Ok(()) => Ok(tenant),
            Err(StoreError::Exists { .. }) => Err(TenantError::AlreadyExists),
            Err(other) => Err(other.into()),
        }
    }

    /// The tenant with exactly this id (no case folding, no trimming).
    pub async fn get(&self, id: &str) -> Result<Tenant, TenantError> {
        if !valid_slug(id) {
            return Err(TenantError::NotFound);
        }
        let value = self
            .store
            .doc(Collection::Tenants, id)
            .await?
            .ok_or(TenantError::NotFound)?;
        Ok(serde_json::from_value(value)?)
    }

    pub async fn list(&self) -> Result<Vec<Tenant>, TenantError> {
        let docs = self.store.docs(Collection::Tenants, "").await?;
        docs.into_iter()
            .map(|(_, value)| Ok(serde_json::from_value(value)?))
            .collect()
    }

    /// Issues a new key for `tenant`; the returned secret is the only copy.
    pub async fn create_key(
        &self,
        tenant: &str,
        label: Option<String>,
    ) -> Result<IssuedKey, TenantError> {
        let tenant = self.get(tenant).await?;
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
        let insert = DocWrite::insert(
            Collection::TenantKeys,
            &key_id,
            serde_json::to_value(&record)?,
        );
        match self.store.write_docs(vec![insert]).await {
            Ok(()) => {}
            // 72 random bits collided: vanishingly unlikely; refuse rather than overwrite.
            Err(StoreError::Exists { .. }) => {
                return Err(TenantError::Invalid("key id collision; try again".into()));
            }
            Err(other) => return Err(other.into()),
        }
        Ok(IssuedKey {
            key_id,
            tenant: tenant.id,
            key,
            created_at_ms: record.created_at_ms,
        })
    }

    /// The tenant's keys (ids and state only).
    pub async fn keys_of(&self, tenant: &str) -> Result<Vec<KeyInfo>, TenantError> {
        let tenant = self.get(tenant).await?;
        let now = now_ms();
        let mut keys = Vec::new();
        for (_, value) in self.store.docs(Collection::TenantKeys, "").await? {
            let record: KeyRecord = serde_json::from_value(value)?;
            if record.tenant == tenant.id {
                keys.push(record.info(now));
            }
        }
        keys.sort_by_key(|k| k.created_at_ms);
        Ok(keys)
    }

    /// Revokes a key of `tenant` at once, or after `grace_seconds`. Another tenant's key id is
    /// reported as not found.
    pub async fn revoke_key(
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
        let mut record = self.key_record(key_id).await?;
        if record.tenant != tenant {
            return Err(TenantError::KeyNotFound);
        }
        let now = now_ms();
        if record.is_active(now) {
            match grace_seconds {
                0 => record.revoked_at_ms = Some(now),
                grace => record.expires_at_ms = Some(now + grace * 1000),
            }
            let value = serde_json::to_value(&record)?;
            let put = DocWrite::put(Collection::TenantKeys, key_id, value);
            self.store.write_docs(vec![put]).await?;
        }
        Ok(record.info(now))
    }

    /// Rotation: a new key, and every other active key of the tenant revoked (after the grace).
    pub async fn rotate_key(
        &self,
        tenant: &str,
        grace_seconds: u64,
    ) -> Result<Rotation, TenantError> {
        if grace_seconds > MAX_GRACE_SECONDS {
            return Err(TenantError::Invalid(format!(
                "`grace_seconds` must be at most {MAX_GRACE_SECONDS}"
            )));
        }
        let old: Vec<KeyInfo> = self
            .keys_of(tenant)
            .await?
            .into_iter()
            .filter(|k| k.active)
            .collect();
        let issued = self.create_key(tenant, Some("rotated".into())).await?;
        let mut retired = Vec::new();
        for key in old {
            retired.push(self.revoke_key(tenant, &key.key_id, grace_seconds).await?);
        }
        Ok(Rotation { issued, retired })
    }

    /// The tenant an API key belongs to, if the key is well formed, known, matches its hash and
    /// is still active. Every failure is the same [`TenantError::InvalidKey`].
    pub async fn authenticate(&self, key: &str) -> Result<Tenant, TenantError> {
        let key_id = keys::key_id_of(key).ok_or(TenantError::InvalidKey)?;
        let record = match self.key_record(key_id).await {
            Ok(record) => record,
            Err(TenantError::KeyNotFound) => return Err(TenantError::InvalidKey),
            Err(other) => return Err(other),
        };
        if !record.matches(key) || !record.is_active(now_ms()) {
            return Err(TenantError::InvalidKey);
        }
        match self.get(&record.tenant).await {
            Err(TenantError::NotFound) => Err(TenantError::InvalidKey),
            result => result,
        }
    }

    async fn key_record(&self, key_id: &str) -> Result<KeyRecord, TenantError> {
        let value = self
            .store
            .doc(Collection::TenantKeys, key_id)
            .await?
            .ok_or(TenantError::KeyNotFound)?;
        Ok(serde_json::from_value(value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> (tempfile::TempDir, TenantRegistry) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::sled::SledStore::open(dir.path(), 8).unwrap();
        (dir, TenantRegistry::new(std::sync::Arc::new(store)))
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

    #[tokio::test]
    async fn default_tenant_is_created_once() {
        let (_dir, registry) = registry();
        registry.ensure_default().await.unwrap();
        registry.ensure_default().await.unwrap();
        assert_eq!(registry.list().await.unwrap().len(), 1);
        assert_eq!(
            registry.get(DEFAULT_TENANT).await.unwrap().widget.language,
            "en"
        );
    }

    #[tokio::test]
    async fn duplicate_tenant_is_refused() {
        let (_dir, registry) = registry();
        registry.create(acme()).await.unwrap();
        assert!(matches!(
            registry.create(acme()).await,
            Err(TenantError::AlreadyExists)
        ));
    }

    #[tokio::test]
    async fn rotation_with_grace_keeps_the_old_key_until_it_expires() {
        let (_dir, registry) = registry();
        registry.create(acme()).await.unwrap();
        let first = registry.create_key("acme", None).await.unwrap();
        let rotation = registry.rotate_key("acme", 60).await.unwrap();
        assert_eq!(rotation.retired.len(), 1);
        assert_eq!(registry.authenticate(&first.key).await.unwrap().id, "acme");
        assert_eq!(
            registry
                .authenticate(&rotation.issued.key)
                .await
                .unwrap()
                .id,
            "acme"
        );
        registry.revoke_key("acme", &first.key_id, 0).await.unwrap();
        let keys = registry.keys_of("acme").await.unwrap();
        assert_eq!(keys.iter().filter(|k| k.active).count(), 1);
        assert!(registry.authenticate(&first.key).await.is_err());
    }

    #[tokio::test]
    async fn revoked_key_and_other_tenants_key_ids_fail() {
        let (_dir, registry) = registry();
        registry.create(acme()).await.unwrap();
        registry.ensure_default().await.unwrap();
        let key = registry.create_key("acme", None).await.unwrap();
        assert!(matches!(
            registry.revoke_key(DEFAULT_TENANT, &key.key_id, 0).await,
            Err(TenantError::KeyNotFound)
        ));
        registry.revoke_key("acme", &key.key_id, 0).await.unwrap();
        assert!(matches!(
            registry.authenticate(&key.key).await,
            Err(TenantError::InvalidKey)
        ));
    }
}
