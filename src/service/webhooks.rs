//! Webhook administration: a tenant's endpoints, its delivery log, and redelivery. Delivery
//! itself is the worker's (`webhooks::worker`); queueing is the ticket store's append.

use super::Switchboard;
use crate::error::ServiceError;
use crate::tickets::now_ms;
use crate::webhooks::{self, Delivery, Endpoint, EndpointInput, EndpointView};

/// Deliveries listed when the caller does not say.
const DEFAULT_LISTED_DELIVERIES: usize = 50;

impl Switchboard {
    /// Replaces the tenant's endpoints; flushed before it returns. The tenant must be registered
    /// (404 `tenant_not_found` otherwise), so no endpoint waits for a tenant that never sends.
    pub async fn put_webhooks(
        &self,
        tenant: &str,
        endpoints: Vec<EndpointInput>,
    ) -> Result<Vec<EndpointView>, ServiceError> {
        self.tenants.get(tenant)?;
        let saved =
            self.store
                .webhooks()
                .replace_endpoints(tenant, endpoints, self.webhook_limits)?;
        self.store.flush().await?;
        Ok(saved.iter().map(Endpoint::view).collect())
    }

    pub fn webhooks(&self, tenant: &str) -> Result<Vec<EndpointView>, ServiceError> {
        webhooks::validate_tenant(tenant)?;
        let endpoints = self.store.webhooks().endpoints(tenant)?;
        Ok(endpoints.iter().map(Endpoint::view).collect())
    }

    /// The tenant's deliveries, newest first (a scan of the log, so it runs behind the CPU gate).
    pub async fn webhook_deliveries(
        &self,
        tenant: &str,
        limit: Option<usize>,
    ) -> Result<Vec<Delivery>, ServiceError> {
        webhooks::validate_tenant(tenant)?;
        let store = self.store.webhooks().clone();
        let tenant = tenant.to_string();
        let limit = limit.unwrap_or(DEFAULT_LISTED_DELIVERIES);
        Ok(self
            .cpu
            .run(move || store.deliveries(&tenant, limit))
            .await??)
    }

    /// Queues a delivery again (a pending one is retried at once).
    pub async fn redeliver(&self, id: &str) -> Result<Delivery, ServiceError> {
        let id = webhooks::parse_delivery_id(id)?;
        let mut delivery = self.store.webhooks().redeliver(id, now_ms())?;
        self.store.flush().await?;
        delivery.body.clear();
        Ok(delivery)
    }
}
