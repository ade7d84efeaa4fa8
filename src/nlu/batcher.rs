//! Dynamic micro-batching of encoder calls. Each message's classification embeds one short text;
//! run one by one, every call pays ONNX Runtime's fixed per-run cost and multiplies small
//! matrices. Here one thread per ONNX session owns that session: it waits for the first job,
//! takes every job already queued (and, if `max_wait` is set, whatever arrives within it) up to
//! `max_batch` texts, runs them as one padded batch and hands each caller its vectors.
//!
//! [`Batcher::embed`] blocks on a channel, so its callers must be blocking-pool threads, never an
//! async worker; [`Batcher::embed_async`] is awaited instead and holds no thread while it waits
//! (the message path: a blocking thread parked on the encoder cost two context switches per
//! message and one more thread in the pool). Dropping the [`Batcher`] closes the queue and its
//! threads finish.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::NluError;

/// How long to gather and how much.
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// Texts per batch at most (a job is never split, so one large job can exceed it).
    pub max_batch: usize,
    /// After the queue is drained, wait this long for more before running (0: never wait).
    pub max_wait: Duration,
}

type Vectors = Vec<Vec<f32>>;

/// Runs one batch on session `slot`: the texts' vectors, in order.
pub type RunBatch = dyn Fn(usize, &[&str]) -> Result<Vectors, NluError> + Send + Sync;

type Answer = Result<Vectors, NluError>;

struct Job {
    texts: Vec<String>,
    reply: Reply,
}

/// Where a job's vectors go: a thread blocked on a channel, or an awaiting task.
enum Reply {
    Blocking(SyncSender<Answer>),
    Async(tokio::sync::oneshot::Sender<Answer>),
}

impl Reply {
    /// A caller that has gone away (a dropped request) simply does not get its vectors.
    fn send(self, answer: Answer) {
        match self {
            Reply::Blocking(sender) => {
                let _ = sender.send(answer);
            }
            Reply::Async(sender) => {
                let _ = sender.send(answer);
            }
        }
    }
}

pub struct Batcher {
    queue: Mutex<Option<SyncSender<Job>>>,
}

impl Batcher {
    /// Starts one gathering thread per session; `run` does the work on that session.
    pub fn start(sessions: usize, options: BatchOptions, run: Arc<RunBatch>) -> Batcher {
        // Bounded: the CPU gate already caps how many jobs can be in flight.
        let (sender, receiver) = mpsc::sync_channel::<Job>(1024);
        let receiver = Arc::new(Mutex::new(receiver));
        for slot in 0..sessions.max(1) {
            let (receiver, run) = (Arc::clone(&receiver), Arc::clone(&run));
            let spawned = std::thread::Builder::new()
                .name(format!("encoder-{slot}"))
                .spawn(move || serve(slot, &receiver, options, run.as_ref()));
            if let Err(e) = spawned {
                tracing::error!("cannot start encoder thread {slot}: {e}");
            }
        }
        Batcher {
            queue: Mutex::new(Some(sender)),
        }
    }

    /// Embeds `texts` as part of the next batch; blocks until its vectors are ready.
    pub fn embed(&self, texts: &[&str]) -> Result<Vectors, NluError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.sender()?
            .send(job(texts, Reply::Blocking(reply)))
            .map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }

    /// Embeds `texts` as part of the next batch without holding a thread while it waits. The
    /// queue is bounded; callers are admitted by the CPU gate first, so it is never full in
    /// practice, and a full queue is refused rather than waited on.
    pub async fn embed_async(&self, texts: &[&str]) -> Result<Vectors, NluError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.sender()?
            .try_send(job(texts, Reply::Async(reply)))
            .map_err(|e| match e {
                TrySendError::Full(_) => NluError::Inference("the encoder queue is full".into()),
                TrySendError::Disconnected(_) => stopped(),
            })?;
        answer.await.map_err(|_| stopped())?
    }

    fn sender(&self) -> Result<SyncSender<Job>, NluError> {
        let sender = match self.queue.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        sender.ok_or_else(stopped)
    }
}

fn job(texts: &[&str], reply: Reply) -> Job {
    Job {
        texts: texts.iter().map(|t| (*t).to_string()).collect(),
        reply,
    }
}

fn stopped() -> NluError {
    NluError::Inference("the encoder threads have stopped".into())
}

impl Drop for Batcher {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.queue.lock() {
            guard.take();
        }
    }
}

/// One session's thread: gather, run, reply, until the queue closes.
fn serve(slot: usize, receiver: &Mutex<Receiver<Job>>, options: BatchOptions, run: &RunBatch) {
    loop {
        // Only one thread gathers at a time; the others run their batches meanwhile.
        let jobs = match receiver.lock() {
            Ok(guard) => gather(&guard, options),
            Err(_) => return,
        };
        let Some(jobs) = jobs else { return };
        let texts: Vec<&str> = jobs
            .iter()
            .flat_map(|j| j.texts.iter().map(String::as_str))
            .collect();
        match run(slot, &texts) {
            Ok(mut vectors) => {
                for job in jobs.into_iter().rev() {
                    let mine = vectors.split_off(vectors.len().saturating_sub(job.texts.len()));
                    job.reply.send(Ok(mine));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for job in jobs {
                    job.reply.send(Err(NluError::Inference(message.clone())));
                }
            }
        }
    }
}

/// The first job (waiting as long as it takes), then more up to `max_batch` texts. `None` once
/// the queue is closed.
fn gather(receiver: &Receiver<Job>, options: BatchOptions) -> Option<Vec<Job>> {
    let first = receiver.recv().ok()?;
    let mut count = first.texts.len();
    let mut jobs = vec![first];
    let deadline = Instant::now() + options.max_wait;
    while count < options.max_batch {
        let next = match receiver.try_recv() {
            Ok(job) => job,
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match receiver.recv_timeout(left) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        count += next.texts.len();
        jobs.push(next);
    }
    Some(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fake model: each text's vector is [its length], and every batch size is recorded.
    fn lengths(sizes: Arc<Mutex<Vec<usize>>>) -> Arc<RunBatch> {
        Arc::new(move |_slot, texts: &[&str]| {
            sizes.lock().unwrap().push(texts.len());
            std::thread::sleep(Duration::from_millis(5));
            Ok(texts.iter().map(|t| vec![t.len() as f32]).collect())
        })
    }

    #[test]
    fn concurrent_callers_share_batches_and_each_gets_its_own_vectors() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let options = BatchOptions {
            max_batch: 64,
            max_wait: Duration::from_millis(2),
        };
        let batcher = Arc::new(Batcher::start(1, options, lengths(Arc::clone(&sizes))));
        let wrong = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (1..=16)
            .map(|n| {
                let (batcher, wrong) = (Arc::clone(&batcher), Arc::clone(&wrong));
                std::thread::spawn(move || {
                    let text = "x".repeat(n);
                    let got = batcher.embed(&[&text, "ab"]).unwrap();
                    if got != vec![vec![n as f32], vec![2.0]] {
                        wrong.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        callers.into_iter().for_each(|c| c.join().unwrap());
        assert_eq!(wrong.load(Ordering::Relaxed), 0);
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), 32);
        assert!(
            sizes.len() < 16,
            "16 callers ran in {} batches",
            sizes.len()
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn awaiting_callers_share_batches_on_one_async_thread() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let options = BatchOptions {
            max_batch: 64,
            max_wait: Duration::from_millis(2),
        };
        let batcher = Arc::new(Batcher::start(1, options, lengths(Arc::clone(&sizes))));
        let mut calls = tokio::task::JoinSet::new();
        for n in 1..=16 {
            let batcher = Arc::clone(&batcher);
            calls.spawn(async move {
                let got = batcher.embed_async(&["x".repeat(n).as_str()]).await;
                (n, got)
            });
        }
        while let Some(joined) = calls.join_next().await {
            let (n, got) = joined.unwrap();
            assert_eq!(got.unwrap(), vec![vec![n as f32]]);
        }
        // Had a caller blocked this runtime's only thread, each would have run alone.
        let sizes = sizes.lock().unwrap();
        assert!(sizes.len() < 16, "16 awaits ran in {} batches", sizes.len());
    }

    #[test]
    fn a_failed_batch_fails_every_caller_in_it() {
        let run: Arc<RunBatch> = Arc::new(|_, _: &[&str]| Err(NluError::Inference("boom".into())));
        let options = BatchOptions {
            max_batch: 8,
            max_wait: Duration::ZERO,
        };
        let batcher = Batcher::start(2, options, run);
        let error = batcher.embed(&["a"]).unwrap_err();
        assert!(error.to_string().contains("boom"));
    }
}
