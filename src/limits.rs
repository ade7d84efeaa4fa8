//! Rate limits: one token bucket per client IP and one per tenant (`governor` keyed limiters,
//! GCRA). A request over its bucket is refused with [`ServiceError::RateLimited`] and the seconds
//! until a retry can succeed (the API answers 429 with `Retry-After`). Which address a request
//! comes from is the HTTP layer's business; this module only counts.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::LimitSettings;
use crate::error::ServiceError;

/// Every this many checks, buckets that are full again are dropped so memory stays bounded.
const PRUNE_EVERY: u64 = 4096;

pub struct RateLimits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_tenant: Option<DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
}

/// A limiter allowing `per_minute` on average and `burst` at once; `None` when `per_minute` is 0.
fn limiter<K>(per_minute: u32, burst: u32) -> Option<DefaultKeyedRateLimiter<K>>
where
    K: std::hash::Hash + Eq + Clone,
{
    let rate = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    Some(RateLimiter::keyed(
        Quota::per_minute(rate).allow_burst(burst),
    ))
}

fn check<K>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), ServiceError>
where
    K: std::hash::Hash + Eq + Clone,
{
    let Err(not_until) = limiter.check_key(key) else {
        return Ok(());
    };
    let wait = not_until.wait_time_from(limiter.clock().now());
    Err(ServiceError::RateLimited {
        retry_after_seconds: wait.as_secs() + 1,
    })
}

impl RateLimits {
    pub fn new(settings: &LimitSettings) -> RateLimits {
        RateLimits {
            per_ip: limiter(settings.ip_per_minute, settings.ip_burst),
            per_tenant: limiter(settings.tenant_per_minute, settings.tenant_burst),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one token from the client address's bucket.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), ServiceError> {
        self.prune_now_and_then();
        match &self.per_ip {
            Some(limiter) => check(limiter, &ip),
            None => Ok(()),
        }
    }

    /// Takes one token from the tenant's bucket.
    pub fn check_tenant(&self, tenant: &str) -> Result<(), ServiceError> {
        match &self.per_tenant {
            Some(limiter) => check(limiter, &tenant.to_string()),
            None => Ok(()),
        }
    }

    fn prune_now_and_then(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY != PRUNE_EVERY - 1 {
            return;
        }
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_tenant {
            limiter.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(ip_per_minute: u32, ip_burst: u32) -> LimitSettings {
        LimitSettings {
            trust_forwarded_for: false,
            ip_per_minute,
            ip_burst,
            tenant_per_minute: 60,
            tenant_burst: 2,
        }
    }

    #[test]
    fn burst_then_refusal_with_a_retry_time() {
        let limits = RateLimits::new(&settings(60, 3));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            limits.check_ip(ip).unwrap();
        }
        let Err(ServiceError::RateLimited {
            retry_after_seconds,
        }) = limits.check_ip(ip)
        else {
            panic!("the fourth request should be limited");
        };
        assert!((1..=2).contains(&retry_after_seconds));
        // Another address has its own bucket.
        limits.check_ip("10.0.0.2".parse().unwrap()).unwrap();
    }

    #[test]
    fn tenants_have_separate_buckets_and_zero_means_unlimited() {
        let limits = RateLimits::new(&settings(0, 0));
        for _ in 0..1000 {
            limits.check_ip("10.0.0.1".parse().unwrap()).unwrap();
        }
        limits.check_tenant("a").unwrap();
        limits.check_tenant("a").unwrap();
        assert!(limits.check_tenant("a").is_err());
        limits.check_tenant("b").unwrap();
    }
}
