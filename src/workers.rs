//! The bounded gate for CPU work (inference, search): jobs run on tokio's blocking pool, at most
//! `running` admitted at once and at most `queued` more waiting their turn; past that the caller
//! gets [`JobError::Overloaded`] straight away (the API answers 503 with Retry-After) instead of
//! queueing without bound. The short queue (meilisearch's search queue) absorbs a spike: refusing
//! at once would send a third of 256 clients to sleep a second while the encoder had room to batch.
//! A caller can take its place first ([`CpuGate::admit`]) and await something else (the message
//! path awaits the encoder's queue) before its job runs: that wait counts as queued, holds no thread.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
        self.admit()?.run(job).await
    }

    /// A place among the admitted jobs, taken now (or refused: [`JobError::Overloaded`]) and
    /// held while the caller awaits something else first (the message path awaits the encoder's
    /// queue), so that wait is bounded by the same gate.
    pub fn admit(&self) -> Result<Admission, JobError> {
        let ticket = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| JobError::Overloaded)?;
        Ok(Admission {
            ticket,
            running: Arc::clone(&self.running),
        })
    }
}

/// An admitted job not running yet: [`Admission::run`] waits for a running permit.
pub struct Admission {
    ticket: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
}

impl Admission {
    pub async fn run<T, F>(self, job: F) -> Result<T, JobError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| JobError::Failed)?;
        let ticket = self.ticket;
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_admission_holds_its_place_while_the_caller_awaits_other_work() {
        let gate = CpuGate::new(1, 1);
        let first = gate.admit().expect("room for two");
        let second = gate.admit().expect("room for two");
        assert!(matches!(gate.admit(), Err(JobError::Overloaded)));
        assert_eq!(first.run(|| 1).await, Ok(1));
        let third = gate.admit().expect("the first one's place is free again");
        assert_eq!(second.run(|| 2).await, Ok(2));
        assert_eq!(third.run(|| 3).await, Ok(3));
    }

    /// Waits until the gate has `free` admission tickets left (the spawned callers got theirs).
    async fn admitted_until(gate: &CpuGate, free: usize) {
        while gate.admitted.available_permits() != free {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
