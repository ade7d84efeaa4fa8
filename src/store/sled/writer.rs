//! The single writer: one thread owns every write to the sled tree.
//!
//! Requests arrive as jobs on a channel. The thread takes the first job, then every job already
//! waiting (up to [`MAX_GROUP`]), runs each against a [`Staging`] view (the tree plus the writes
//! staged so far in this group, so a job sees the jobs before it), applies the whole group as one
//! atomic `apply_batch`, flushes once, and only then completes each job's future. A job that
//! fails leaves nothing staged; the others in its group are unaffected.
//!
//! Why this cannot wedge: this thread is the only one that ever asks for sled's exclusive
//! concurrency-control lock (`apply_batch`), and it asks while holding nothing. Readers take the
//! shared side for one bounded step and never wait on anything while holding it; `flush` holds
//! the shared side only while this same thread waits for its own batch to reach the disk, and no
//! exclusive request can be pending then (there is no other writer). sled's background flusher
//! is off (every group is flushed here). No transaction, no `flush_async`, no write from any
//! other thread: no cycle of waits can form.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::queue::{QueueChange, QueueMirror};
use crate::store::StoreError;

/// Jobs committed by one batch and one flush, at most.
const MAX_GROUP: usize = 512;

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn FnOnce(&mut Staging) -> Completion + Send>;

/// The tree as a job sees it: what is on disk, overlaid with the group's staged writes.
pub struct Staging<'a> {
    tree: &'a sled::Tree,
    db: &'a sled::Db,
    /// Writes of the jobs kept so far in this group (None = delete).
    group: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Writes of the job running now; merged into `group` if it succeeds.
    job: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Queue changes of the kept jobs, then of the running one, for the [`QueueMirror`].
    group_queue: Vec<QueueChange>,
    job_queue: Vec<QueueChange>,
}

impl<'a> Staging<'a> {
    fn new(tree: &'a sled::Tree, db: &'a sled::Db) -> Staging<'a> {
        Staging {
            tree,
            db,
            group: BTreeMap::new(),
            job: BTreeMap::new(),
            group_queue: Vec::new(),
            job_queue: Vec::new(),
        }
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(staged) = self.job.get(key).or_else(|| self.group.get(key)) {
            return Ok(staged.clone());
        }
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }

    pub fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.job.insert(key, Some(value));
    }

    pub fn remove(&mut self, key: Vec<u8>) {
        self.job.insert(key, None);
    }

    /// Records that this job moves a header into, within or out of the desk's queue.
    pub fn note_queue(&mut self, change: QueueChange) {
        self.job_queue.push(change);
    }

    /// Keys under `prefix`, in order, as staged: the tree's keys merged with the staged writes.
    pub fn keys_with_prefix(&self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut merged: BTreeMap<Vec<u8>, bool> = BTreeMap::new();
        for key in self.tree.scan_prefix(prefix).keys() {
            merged.insert(key?.to_vec(), true);
        }
        for staged in [&self.group, &self.job] {
            for (key, value) in staged.range(prefix.to_vec()..) {
                if !key.starts_with(prefix) {
                    break;
                }
                merged.insert(key.clone(), value.is_some());
            }
        }
        Ok(merged
            .into_iter()
            .filter_map(|(key, present)| present.then_some(key))
            .collect())
    }

    /// A new unique id (sled's monotonic counter).
    pub fn generate_id(&self) -> Result<u64, StoreError> {
        Ok(self.db.generate_id()?)
    }

    fn keep(&mut self) {
        let job = std::mem::take(&mut self.job);
        self.group.extend(job);
        self.group_queue.append(&mut self.job_queue);
    }

    fn discard(&mut self) {
        self.job.clear();
        self.job_queue.clear();
    }

    /// The group's writes as one batch (none if it wrote nothing), and its queue changes.
    fn into_parts(self) -> (Option<sled::Batch>, Vec<QueueChange>) {
        if self.group.is_empty() {
            return (None, self.group_queue);
        }
        let mut batch = sled::Batch::default();
        for (key, value) in self.group {
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        (Some(batch), self.group_queue)
    }
}

/// The handle requests use to reach the writer thread.
pub struct Writer {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the thread; `queue` learns each group's queue changes once the group is durable.
    pub fn start(
        db: sled::Db,
        tree: sled::Tree,
        queue: Arc<QueueMirror>,
    ) -> std::io::Result<Writer> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("sled-writer".into())
            .spawn(move || run(&db, &tree, &queue, &receiver))?;
        Ok(Writer {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Runs `work` on the writer thread; resolves once its writes are durable (or it failed).
    pub async fn submit<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Staging) -> Result<R, StoreError> + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |staging| job_outcome(staging, work, done));
        let sent = {
            let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner());
            sender.as_ref().map(|s| s.send(job).is_ok())
        };
        if sent != Some(true) {
            return Err(StoreError::Closed);
        }
        result.await.unwrap_or(Err(StoreError::Closed))
    }

    /// Stops taking jobs, lets the thread commit what it has, and waits for it.
    pub fn close(&self) {
        drop(self.sender.lock().unwrap_or_else(|e| e.into_inner()).take());
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the sled writer thread panicked");
        }
    }
}

fn job_outcome<R, F>(
    staging: &mut Staging,
    work: F,
    done: oneshot::Sender<Result<R, StoreError>>,
) -> Completion
where
    R: Send + 'static,
    F: FnOnce(&mut Staging) -> Result<R, StoreError>,
{
    match work(staging) {
        Ok(value) => {
            staging.keep();
            Box::new(move |committed| {
                let _caller_gone = done.send(committed.map(|()| value));
            })
        }
        Err(error) => {
            staging.discard();
            Box::new(move |_| {
                let _caller_gone = done.send(Err(error));
            })
        }
    }
}

fn run(db: &sled::Db, tree: &sled::Tree, queue: &QueueMirror, receiver: &mpsc::Receiver<Job>) {
    while let Ok(first) = receiver.recv() {
        let mut staging = Staging::new(tree, db);
        let mut completions = vec![first(&mut staging)];
        while completions.len() < MAX_GROUP {
            let Ok(job) = receiver.try_recv() else { break };
            completions.push(job(&mut staging));
        }
        let (batch, queue_changes) = staging.into_parts();
        let committed = commit(db, tree, batch);
        match &committed {
            // Before any caller hears back: a caller that saw its change committed sees it here.
            Ok(()) => queue.apply(queue_changes),
            Err(error) => {
                tracing::error!(%error, jobs = completions.len(), "sled group commit failed");
            }
        }
        for complete in completions {
            complete(committed.clone());
        }
    }
}

fn commit(db: &sled::Db, tree: &sled::Tree, batch: Option<sled::Batch>) -> Result<(), StoreError> {
    if let Some(batch) = batch {
        tree.apply_batch(batch)?;
    }
    // Flush even for a group of refused jobs: ids handed out by generate_id must not repeat.
    db.flush()?;
    Ok(())
}
