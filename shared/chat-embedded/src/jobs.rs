//! `Jobs` as an in-process queue with delays: [`LocalJobs`] enqueues, a [`JobReceiver`]
//! hands jobs to the worker loop when they are due, earliest due first (enqueue order
//! among jobs due at the same instant). Timers are tokio's.
//!
//! Two flavours:
//! - [`channel`]: memory only. Jobs still queued (e.g. a guest-away check due in ten
//!   minutes) are **lost when the process stops**. For tests and throwaway runs.
//! - [`durable_channel`]: every job is first written to the SQLite `jobs` table and
//!   reloaded at startup, so a restart loses nothing. A delivered job is deleted when the
//!   worker asks for the next one (or calls [`JobReceiver::ack`], or [`JobAcker::ack`]
//!   for jobs taken with [`JobReceiver::next_delivery`]): at-least-once delivery, so a
//!   job cut short by a crash runs again (jobs are idempotent, STYLE §9), told its
//!   attempt number. A job delivered more than [`MAX_ATTEMPTS`] times is delivered once
//!   more (so it can give up cleanly) and, if that crashes too, dropped at startup with
//!   an error log instead of crash-looping the gateway. On AWS the SQS
//!   adapter gives the same guarantees (its DLQ playing the last part).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use tokio::sync::mpsc;
use tokio::time::Instant;

use chat_core::ports::{Job, Jobs};
use chat_core::{CoreError, CoreResult};

use crate::sqlite::SqliteStore;

/// Deliveries without acknowledgement after which a stored job is dropped at startup.
pub const MAX_ATTEMPTS: u32 = 5;

/// A delay too large for the clock (years) is treated as this: effectively never.
const FAR_FUTURE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// A job on its way to the receiver.
struct Queued {
    due: Instant,
    job: Job,
    /// Its row in the `jobs` table (durable queues only).
    row: Option<i64>,
    /// Deliveries before this one (a previous run's, for reloaded jobs).
    delivered: u32,
}

/// A job handed to the worker, to be acknowledged with [`JobAcker::ack`] once done.
#[derive(Debug)]
pub struct Delivered {
    pub job: Job,
    /// 1 on the first delivery; more for a job a previous run did not finish.
    pub attempt: u32,
    row: Option<i64>,
}

/// Acknowledges delivered jobs from any task (the worker runs several at once).
#[derive(Clone)]
pub struct JobAcker {
    store: Option<SqliteStore>,
}

impl JobAcker {
    /// Marks `delivered` done (durable queues: deletes its row).
    pub async fn ack(&self, delivered: &Delivered) {
        let (Some(store), Some(row)) = (&self.store, delivered.row) else {
            return;
        };
        if let Err(e) = store.delete_job(row).await {
            // The job stays stored and runs again after a restart; jobs are idempotent.
            tracing::warn!(error = %e, row, "could not acknowledge a job");
        }
    }
}

/// The enqueueing side; implements [`Jobs`]. Cheap to clone.
#[derive(Clone)]
pub struct LocalJobs {
    tx: mpsc::UnboundedSender<Queued>,
    store: Option<SqliteStore>,
}

/// The delivering side, owned by the worker loop.
pub struct JobReceiver {
    rx: mpsc::UnboundedReceiver<Queued>,
    heap: BinaryHeap<Entry>,
    next_order: u64,
    /// Every `LocalJobs` is gone: nothing new can arrive.
    closed: bool,
    store: Option<SqliteStore>,
    /// The row of the last job handed out, acknowledged on the next `recv`.
    unacked: Option<i64>,
}

/// An in-memory queue. Queued jobs are lost when the process stops.
pub fn channel() -> (LocalJobs, JobReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    (LocalJobs { tx, store: None }, JobReceiver::new(rx, None))
}

/// A queue persisted in `store`'s `jobs` table. Jobs left by a previous run are
/// delivered again, as soon as they are due.
pub async fn durable_channel(store: &SqliteStore) -> CoreResult<(LocalJobs, JobReceiver)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut receiver = JobReceiver::new(rx, Some(store.clone()));
    let now = Utc::now();
    for stored in store.pending_jobs().await? {
        // One delivery past the last is allowed: the job then only records that it
        // gave up (e.g. a robot answer ends `failed`). A job that crashed even that is
        // dropped here.
        if stored.attempts > MAX_ATTEMPTS {
            tracing::error!(job = ?stored.job, attempts = stored.attempts, "dropping a job that never completed");
            store.delete_job(stored.id).await?;
            continue;
        }
        let wait = (stored.due_at - now).to_std().unwrap_or(Duration::ZERO);
        receiver.push(Queued {
            due: due_in(wait),
            job: stored.job,
            row: Some(stored.id),
            delivered: stored.attempts,
        });
    }
    Ok((
        LocalJobs {
            tx,
            store: Some(store.clone()),
        },
        receiver,
    ))
}

fn due_in(delay: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(delay).unwrap_or(now + FAR_FUTURE)
}

#[async_trait]
impl Jobs for LocalJobs {
    async fn enqueue(&self, job: &Job, delay: Duration) -> CoreResult<()> {
        let due = due_in(delay);
        let row = match &self.store {
            Some(store) => {
                let wall = chrono::Duration::from_std(delay.min(FAR_FUTURE))
                    .unwrap_or(chrono::Duration::zero());
                Some(store.insert_job(job, Utc::now() + wall).await?)
            }
            None => None,
        };
        let queued = Queued {
            due,
            job: job.clone(),
            row,
            delivered: 0,
        };
        if self.tx.send(queued).is_err() {
            if row.is_some() {
                // Stored: the next start delivers it.
                tracing::warn!(?job, "job receiver is gone; the job runs after a restart");
                return Ok(());
            }
            return Err(CoreError::Unavailable(
                "the job queue is shut down".to_string(),
            ));
        }
        Ok(())
    }
}

impl JobReceiver {
    fn new(rx: mpsc::UnboundedReceiver<Queued>, store: Option<SqliteStore>) -> Self {
        JobReceiver {
            rx,
            heap: BinaryHeap::new(),
            next_order: 0,
            closed: false,
            store,
            unacked: None,
        }
    }

    fn push(&mut self, q: Queued) {
        let order = self.next_order;
        self.next_order += 1;
        self.heap.push(Entry {
            due: q.due,
            order,
            job: q.job,
            row: q.row,
            delivered: q.delivered,
        });
    }

    /// The next job once its delay has elapsed, earliest due first. `None` once every
    /// [`LocalJobs`] is dropped and nothing is left. Acknowledges the previous job.
    ///
    /// Cancel-safe: dropping the future (in `select!`, under a timeout) never loses a
    /// job; it stays queued for the next call.
    pub async fn recv(&mut self) -> Option<Job> {
        self.ack().await;
        let delivered = self.next_delivery().await?;
        self.unacked = delivered.row;
        Some(delivered.job)
    }

    /// The next due job without the implicit acknowledgement of [`recv`](Self::recv):
    /// the caller acknowledges it with [`acker`](Self::acker) when it is done, which
    /// lets a worker run several jobs at once. Cancel-safe like `recv`.
    pub async fn next_delivery(&mut self) -> Option<Delivered> {
        loop {
            while let Ok(q) = self.rx.try_recv() {
                self.push(q);
            }
            let next_due = self.heap.peek().map(|e| e.due);
            if let Some(due) = next_due {
                if due <= Instant::now() {
                    // Count the delivery before popping: if this future is dropped while
                    // the count is written, the job is still queued (cancel safety).
                    let row = self.heap.peek().and_then(|e| e.row);
                    self.count_delivery(row).await;
                    let entry = self.heap.pop()?;
                    return Some(Delivered {
                        job: entry.job,
                        attempt: entry.delivered + 1,
                        row: entry.row,
                    });
                }
            } else if self.closed {
                return None;
            }
            tokio::select! {
                received = self.rx.recv(), if !self.closed => match received {
                    Some(q) => self.push(q),
                    None => self.closed = true,
                },
                () = sleep_until(next_due), if next_due.is_some() => {}
                else => return None,
            }
        }
    }

    /// Marks the last delivered job done (durable queues: deletes its row). `recv` does
    /// it implicitly; call it directly when the worker finishes a job and then waits
    /// for a long time before asking for the next one.
    pub async fn ack(&mut self) {
        let (Some(store), Some(row)) = (&self.store, self.unacked.take()) else {
            return;
        };
        if let Err(e) = store.delete_job(row).await {
            // The job stays stored and runs again after a restart; jobs are idempotent.
            tracing::warn!(error = %e, row, "could not acknowledge a job");
        }
    }

    async fn count_delivery(&self, row: Option<i64>) {
        let (Some(store), Some(row)) = (&self.store, row) else {
            return;
        };
        if let Err(e) = store.mark_job_delivered(row).await {
            tracing::warn!(error = %e, row, "could not count a job delivery");
        }
    }

    /// Acknowledges jobs from [`next_delivery`](Self::next_delivery).
    pub fn acker(&self) -> JobAcker {
        JobAcker {
            store: self.store.clone(),
        }
    }

    /// Jobs waiting (due or not), for diagnostics.
    pub fn pending(&self) -> usize {
        self.heap.len()
    }
}

async fn sleep_until(due: Option<Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due).await;
    }
}

/// A heap entry: the earliest due (then the earliest enqueued) compares greatest, so the
/// max-heap pops it first.
struct Entry {
    due: Instant,
    order: u64,
    job: Job,
    row: Option<i64>,
    delivered: u32,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.due, other.order).cmp(&(self.due, self.order))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.order) == (other.due, other.order)
    }
}

impl Eq for Entry {}
