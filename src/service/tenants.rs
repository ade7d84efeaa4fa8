//! The operator's tenant management (admin API): create tenants, issue, revoke and rotate API
//! keys. Every write is durable before it is acknowledged; a key's secret is returned once.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Switchboard;
use crate::error::ServiceError;
use crate::tenants::{IssuedKey, KeyInfo, NewTenant, Tenant};

/// A new tenant and its first API key (shown once).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedTenant {
    pub tenant: Tenant,
    pub api_key: IssuedKey,
}

/// Options for a new key: a label, and optionally the key it replaces (rotation).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub label: Option<String>,
    /// Rotate: revoke every other active key of the tenant...
    #[serde(default)]
    pub revoke_others: bool,
    /// ...after this many seconds (0 = at once).
    #[serde(default)]
    pub grace_seconds: u64,
}

/// A new key (shown once) and the keys it retired, if it was a rotation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RotatedKey {
    pub api_key: IssuedKey,
    pub retired: Vec<KeyInfo>,
}

impl Switchboard {
    pub async fn create_tenant(&self, new: NewTenant) -> Result<CreatedTenant, ServiceError> {
        // A tenant's own intent model must load before the tenant exists (422 model_rejected).
        if let Some(dir) = new.intent_model_dir.clone() {
            let shared = Arc::clone(&self.classifier);
            let models = Arc::clone(&self.tenant_models);
            let job = move || models.classifier_for(&shared, Some(&dir)).map(|_| ());
            self.cpu
                .run(job)
                .await?
                .map_err(ServiceError::ModelRejected)?;
        }
        let tenant = self.tenants.create(new).await?;
        let api_key = self
            .tenants
            .create_key(&tenant.id, Some("first".into()))
            .await?;
        Ok(CreatedTenant { tenant, api_key })
    }

    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, ServiceError> {
        Ok(self.tenants.list().await?)
    }

    /// A new key for `tenant`; with `revoke_others` it is a rotation.
    pub async fn issue_key(&self, tenant: &str, new: NewKey) -> Result<RotatedKey, ServiceError> {
        let rotated = if new.revoke_others {
            let rotation = self.tenants.rotate_key(tenant, new.grace_seconds).await?;
            RotatedKey {
                api_key: rotation.issued,
                retired: rotation.retired,
            }
        } else {
            RotatedKey {
                api_key: self.tenants.create_key(tenant, new.label).await?,
                retired: Vec::new(),
            }
        };
        Ok(rotated)
    }

    pub async fn revoke_key(
        &self,
        tenant: &str,
        key_id: &str,
        grace_seconds: u64,
    ) -> Result<KeyInfo, ServiceError> {
        self.tenants.get(tenant).await?;
        let info = self
            .tenants
            .revoke_key(tenant, key_id, grace_seconds)
            .await?;
        Ok(info)
    }

    /// Refuses a widget conversation from a page the tenant has not allowed. Requests without an
    /// `Origin` (not from a browser page) pass: the check protects the tenant's widget from being
    /// embedded elsewhere, it is not authentication.
    pub async fn check_widget_origin(
        &self,
        tenant: &str,
        origin: Option<&str>,
    ) -> Result<(), ServiceError> {
        let tenant = self.tenants.get(tenant).await?;
        match origin {
            Some(origin) if !tenant.widget.allows_origin(origin) => {
                Err(ServiceError::OriginNotAllowed)
            }
            Some(_) | None => Ok(()),
        }
    }

    pub async fn tenant_keys(&self, tenant: &str) -> Result<Vec<KeyInfo>, ServiceError> {
        Ok(self.tenants.keys_of(tenant).await?)
    }
}
