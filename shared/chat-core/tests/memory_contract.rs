//! The port contract suites against the in-memory adapters: the reference behaviour every
//! other adapter is held to.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chat_core::ids::ConnectionId;
use chat_core::ports::Job;
use chat_core::testkit::contract::{blobs, jobs, push, store};
use chat_core::testkit::memory::{MemoryBlobs, MemoryJobs, MemoryStore, RecordingPush};
use tokio::time::Instant;

#[tokio::test]
async fn memory_store_meets_the_store_contract() {
    store::run_all(|| async { MemoryStore::new() }).await;
}

#[tokio::test]
async fn memory_blobs_meet_the_blobs_contract() {
    blobs::run_all(|| async { MemoryBlobs::new() }).await;
}

#[tokio::test]
async fn memory_blob_urls_meet_the_transfer_contract_and_refuse_bad_uploads() {
    blobs::run_transfers(|| async { MemoryBlobs::new() }).await;
    blobs::refusals::run_all(|| async { MemoryBlobs::new() }).await;
}

#[tokio::test]
async fn memory_jobs_meet_the_jobs_contract() {
    jobs::run_all(|| async {
        let queue = Arc::new(MemoryJobs::new());
        (
            SharedJobs(queue.clone()),
            DrainingSource {
                queue,
                held: Vec::new(),
            },
        )
    })
    .await;
}

#[tokio::test]
async fn recording_push_meets_the_push_contract() {
    push::run_all(|| async {
        let recorder = Arc::new(RecordingPush::new());
        (
            SharedPush(recorder.clone()),
            RecordingProbe { recorder, next: 0 },
        )
    })
    .await;
}

/// `RecordingPush` behind an `Arc`, so the probe can read what it recorded. Only `post`
/// and `close` are forwarded: `post_many` is the port's default, checked here.
struct SharedPush(Arc<RecordingPush>);

#[async_trait]
impl chat_core::ports::Push for SharedPush {
    async fn post(
        &self,
        connection: &ConnectionId,
        frame: &str,
    ) -> Result<(), chat_core::ports::PushError> {
        self.0.post(connection, frame).await
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), chat_core::ports::PushError> {
        self.0.close(connection).await
    }
}

/// Every connection is open to the recorder; one marked gone answers `Gone`.
struct RecordingProbe {
    recorder: Arc<RecordingPush>,
    next: usize,
}

impl RecordingProbe {
    fn fresh(&mut self) -> ConnectionId {
        self.next += 1;
        ConnectionId::parse(format!("conn_{}", self.next)).expect("a valid id")
    }
}

#[async_trait]
impl push::PushProbe for RecordingProbe {
    async fn open(&mut self) -> ConnectionId {
        self.fresh()
    }

    async fn gone(&mut self) -> Option<ConnectionId> {
        let id = self.fresh();
        self.recorder.mark_gone(&id);
        Some(id)
    }

    async fn delivered(
        &mut self,
        connection: &ConnectionId,
        _at_least: usize,
        _wait: Duration,
    ) -> Option<Vec<String>> {
        // Posts record synchronously: everything sent is already here.
        Some(self.recorder.take_raw(connection))
    }
}

/// `MemoryJobs` behind an `Arc`, so the test's source can drain the same queue.
struct SharedJobs(Arc<MemoryJobs>);

#[async_trait]
impl chat_core::ports::Jobs for SharedJobs {
    async fn enqueue(&self, job: &Job, delay: Duration) -> chat_core::CoreResult<()> {
        self.0.enqueue(job, delay).await
    }
}

/// `MemoryJobs` only records jobs with their delays (tests step through them); this
/// source delivers them the way a real worker would: each one once its delay, counted
/// from when it was first seen (never earlier than its enqueue), has passed.
struct DrainingSource {
    queue: Arc<MemoryJobs>,
    /// (due, arrival order, job).
    held: Vec<(Instant, usize, Job)>,
}

#[async_trait]
impl jobs::JobSource for DrainingSource {
    async fn next_job(&mut self, wait: Duration) -> Option<Job> {
        let deadline = Instant::now() + wait;
        loop {
            let now = Instant::now();
            for (job, delay) in self.queue.drain() {
                let order = self.held.len();
                self.held.push((now + delay, order, job));
            }
            self.held.sort_by_key(|(due, order, _)| (*due, *order));
            if self.held.first().is_some_and(|(due, _, _)| *due <= now) {
                return Some(self.held.remove(0).2);
            }
            if now >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
