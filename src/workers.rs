//! The bounded gate for CPU work (inference, search): jobs run on tokio's blocking pool, at most
//! `running` admitted at once and at most `queued` more waiting their turn; past that the caller
//! gets [`JobError::Overloaded`] straight away (the API answers 503 with Retry-After) instead of
//! queueing without bound. The short queue (meilisearch's search queue) absorbs a spike: refusing
//! at once would send a third of 256 clients to sleep a second while the encoder had room to batch.

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
    running: Arc<Semaphore>,
    /// Admission tickets: running plus waiting jobs.
    admitted: Arc<Semaphore>,
}

impl CpuGate {
    pub fn new(running: usize, queued: usize) -> CpuGate {
        let running = running.max(1);
        CpuGate {
            running: Arc::new(Semaphore::new(running)),
            admitted: Arc::new(Semaphore::new(running + queued)),
        }
    }

    pub async fn run<T, F>(&self, job: F) -> Result<T, JobError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let ticket = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| JobError::Overloaded)?;
        let permit = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| JobError::Failed)?;
        tokio::task::spawn_blocking(move || {
            let _held = (ticket, permit);
            job()
        })
        .await
        .map_err(|_| JobError::Failed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_past_the_running_limit_waits_and_one_past_the_queue_is_refused() {
        let gate = CpuGate::new(1, 1);
        let (release, hold) = mpsc::channel::<()>();
        let first = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(move || hold.recv().is_ok()).await }
        });
        admitted_until(&gate, 1).await;
        let second = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(|| 2).await }
        });
        admitted_until(&gate, 0).await;
        assert_eq!(gate.run(|| 3).await, Err(JobError::Overloaded));
        release.send(()).expect("first job is waiting");
        assert_eq!(first.await.expect("task"), Ok(true));
        assert_eq!(second.await.expect("task"), Ok(2));
    }

    /// Waits until the gate has `free` admission tickets left (the spawned callers got theirs).
    async fn admitted_until(gate: &CpuGate, free: usize) {
        while gate.admitted.available_permits() != free {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
