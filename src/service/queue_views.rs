//! The latest queue view of each tenant, computed by one caller at a time. Every escalation, and
//! every message from a customer who waits, republishes the tenant's queue, and building it reads
//! every waiting conversation's timeline: with a long queue (a desk offline overnight, a soak
//! nobody answers) a burst of N escalations made N full scans at once, each holding its copy of
//! the queue. Here a burst costs one or two scans, and callers share the result.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::queue::QueueView;

#[derive(Default)]
pub(super) struct QueueViews {
    tenants: Mutex<HashMap<String, Arc<TenantView>>>,
}

#[derive(Default)]
struct TenantView {
    /// Counts requests for a view; a caller asks after its own change is committed.
    requested: AtomicU64,
    /// The view and the count of requests it answers (all made before its scan started).
    latest: tokio::sync::Mutex<(u64, Option<Arc<QueueView>>)>,
}

impl QueueViews {
    /// A view of `tenant`'s queue that reflects every change committed before this call: the
    /// cached one if a scan started after this request, else a new scan by `compute`.
    pub(super) async fn fresh<E, F, Fut>(
        &self,
        tenant: &str,
        compute: F,
    ) -> Result<Arc<QueueView>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<QueueView, E>>,
    {
        let view = self.of(tenant);
        let wanted = view.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut latest = view.latest.lock().await;
        if let (answered, Some(cached)) = &*latest
            && *answered >= wanted
        {
            return Ok(Arc::clone(cached));
        }
        // Every request counted so far was made before this scan starts, so it sees their changes.
        let answers = view.requested.load(Ordering::SeqCst);
        let fresh = Arc::new(compute().await?);
        *latest = (answers, Some(Arc::clone(&fresh)));
        Ok(fresh)
    }

    fn of(&self, tenant: &str) -> Arc<TenantView> {
        let mut tenants = self
            .tenants
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(tenants.entry(tenant.to_string()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn empty() -> QueueView {
        QueueView {
            items: Vec::new(),
            agents_online: 0,
            wait_per_position_seconds: 0,
            offline: true,
        }
    }

    #[tokio::test]
    async fn a_burst_of_requests_shares_scans_and_a_later_request_scans_again() {
        let views = Arc::new(QueueViews::default());
        let scans = Arc::new(AtomicUsize::new(0));
        let (release, gate) = tokio::sync::watch::channel(false);
        let mut burst = Vec::new();
        for _ in 0..16 {
            let (views, scans, mut gate) = (Arc::clone(&views), Arc::clone(&scans), gate.clone());
            burst.push(tokio::spawn(async move {
                views
                    .fresh("t", || async move {
                        scans.fetch_add(1, Ordering::SeqCst);
                        let _ = gate.wait_for(|open| *open).await;
                        Ok::<_, ()>(empty())
                    })
                    .await
            }));
        }
        tokio::task::yield_now().await;
        let _ = release.send(true);
        for request in burst {
            assert!(request.await.expect("task").is_ok());
        }
        let during_burst = scans.load(Ordering::SeqCst);
        assert!(
            (1..=2).contains(&during_burst),
            "{during_burst} scans for 16 requests"
        );
        let scans_after = Arc::clone(&scans);
        let later = views
            .fresh("t", || async move {
                scans_after.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(empty())
            })
            .await;
        assert!(later.is_ok());
        assert_eq!(scans.load(Ordering::SeqCst), during_burst + 1);
    }
}
