//! The bounded gate for CPU work (inference, search): jobs run on tokio's blocking pool, at most
//! `capacity` admitted at once; past that the caller gets [`JobError::Overloaded`] straight away (the API
//! answers 503 with Retry-After) instead of queueing without bound.

use std::sync::Arc;

use tokio::sync::Semaphore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobError {
    Overloaded,
    /// The job panicked or was cancelled.
    Failed,
}

#[derive(Clone)]
pub struct CpuGate {
    permits: Arc<Semaphore>,
}

impl CpuGate {
    pub fn new(capacity: usize) -> CpuGate {
        CpuGate {
            permits: Arc::new(Semaphore::new(capacity.max(1))),
        }
    }

    pub async fn run<T, F>(&self, job: F) -> Result<T, JobError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| JobError::Overloaded)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|_| JobError::Failed)
    }
}
