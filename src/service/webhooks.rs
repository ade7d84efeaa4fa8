//! Webhook administration: a tenant's endpoints, its delivery log, and redelivery. Delivery
//! itself is the worker's (`webhooks::worker`); queueing is the store's append.

use super::Switchboard;
use crate::error::ServiceError;
use crate::tickets::now_ms;
use crate::webhooks::{self, Delivery, Endpoint, EndpointInput, EndpointView, outbox};

/// Deliveries listed when the caller does not say.
const DEFAULT_LISTED_DELIVERIES: usize = 50;

impl Switchboard {
    /// Replaces the tenant's endpoints; durable before it returns. The tenant must be registered
    /// (404 `tenant_not_found` otherwise), so no endpoint waits for a tenant that never sends.
    pub async fn put_webhooks(
        &self,
        tenant: &str,
        endpoints: Vec<EndpointInput>,
    ) -> Result<Vec<EndpointView>, ServiceError> {
        self.tenants.get(tenant).await?;
        let store = self.store.as_ref();
        let saved =
            webhooks::replace_endpoints(store, tenant, endpoints, self.webhook_limits).await?;
        Ok(saved.iter().map(Endpoint::view).collect())
    }

    pub async fn webhooks(&self, tenant: &str) -> Result<Vec<EndpointView>, ServiceError> {
        webhooks::validate_tenant(tenant)?;
        let endpoints = webhooks::endpoints(self.store.as_ref(), tenant).await?;
        Ok(endpoints.iter().map(Endpoint::view).collect())
    }

    /// The tenant's deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        tenant: &str,
        limit: Option<usize>,
    ) -> Result<Vec<Delivery>, ServiceError> {
        webhooks::validate_tenant(tenant)?;
        let limit = limit.unwrap_or(DEFAULT_LISTED_DELIVERIES);
        Ok(webhooks::deliveries(self.store.as_ref(), tenant, limit).await?)
    }

    /// Queues a delivery again (a pending one is retried at once).
    pub async fn redeliver(&self, id: &str) -> Result<Delivery, ServiceError> {
        let id = webhooks::parse_delivery_id(id)?;
        let mut delivery = outbox::redeliver(self.store.as_ref(), id, now_ms()).await?;
        delivery.body.clear();
        Ok(delivery)
    }
}
