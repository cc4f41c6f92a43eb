//! The port contract suites against the in-memory adapters: the reference behaviour every
//! other adapter is held to.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chat_core::ports::Job;
use chat_core::testkit::contract::{blobs, jobs, store};
use chat_core::testkit::memory::{MemoryBlobs, MemoryJobs, MemoryStore};
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
