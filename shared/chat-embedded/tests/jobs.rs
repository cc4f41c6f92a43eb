//! `LocalJobs`: the jobs contract (memory and durable queues), and durability across a
//! restart for the durable one.

use std::time::Duration;

use async_trait::async_trait;
use chat_core::ports::{Job, Jobs};
use chat_core::testkit::contract::jobs::{self, JobSource, job};
use chat_embedded::jobs::{JobReceiver, LocalJobs, channel, durable_channel};
use chat_embedded::sqlite::SqliteStore;

struct Source(JobReceiver);

#[async_trait]
impl JobSource for Source {
    async fn next_job(&mut self, wait: Duration) -> Option<Job> {
        tokio::time::timeout(wait, self.0.recv())
            .await
            .ok()
            .flatten()
    }
}

#[tokio::test]
async fn in_memory_local_jobs_meet_the_jobs_contract() {
    jobs::run_all(|| async {
        let (jobs, rx) = channel();
        (jobs, Source(rx))
    })
    .await;
}

#[tokio::test]
async fn durable_local_jobs_meet_the_jobs_contract() {
    jobs::run_all(|| async {
        let store = SqliteStore::open_in_memory().unwrap();
        let (jobs, rx) = durable_channel(&store).await.unwrap();
        (jobs, Source(rx))
    })
    .await;
}

#[tokio::test]
async fn recv_ends_when_every_sender_is_gone_and_nothing_is_left() {
    let (jobs, mut rx) = channel();
    jobs.enqueue(&job(1), Duration::from_millis(50))
        .await
        .unwrap();
    drop(jobs);
    assert_eq!(
        rx.recv().await,
        Some(job(1)),
        "queued jobs are still delivered"
    );
    assert_eq!(rx.recv().await, None);
}

#[tokio::test]
async fn enqueue_after_the_receiver_is_gone_is_unavailable() {
    let (jobs, rx) = channel();
    drop(rx);
    let err = jobs.enqueue(&job(1), Duration::ZERO).await.unwrap_err();
    assert_eq!(err.code(), chat_core::ErrorCode::Unavailable);
}

/// Opens the durable queue on `path` as a (re)started process would.
async fn start(path: &std::path::Path) -> (SqliteStore, LocalJobs, JobReceiver) {
    let store = SqliteStore::open(path).unwrap();
    let (jobs, rx) = durable_channel(&store).await.unwrap();
    (store, jobs, rx)
}

#[tokio::test]
async fn durable_jobs_survive_a_restart_and_acknowledged_ones_do_not_return() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    {
        let (_store, jobs, mut rx) = start(&path).await;
        jobs.enqueue(&job(1), Duration::ZERO).await.unwrap();
        jobs.enqueue(&job(2), Duration::from_millis(300))
            .await
            .unwrap();
        jobs.enqueue(&job(3), Duration::from_secs(3600))
            .await
            .unwrap();
        assert_eq!(rx.recv().await, Some(job(1)));
        rx.ack().await; // job 1 is done
        // The process stops before job 2 is due.
    }
    let (_store, _jobs, mut rx) = start(&path).await;
    assert_eq!(rx.pending(), 2, "jobs 2 and 3 are reloaded, job 1 is not");
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap();
    assert_eq!(
        got,
        Some(job(2)),
        "the delayed job is delivered after the restart"
    );
    let early = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await;
    assert!(early.is_err(), "job 3 keeps its delay across the restart");
}

#[tokio::test]
async fn an_unacknowledged_job_runs_again_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    {
        let (_store, jobs, mut rx) = start(&path).await;
        jobs.enqueue(&job(7), Duration::ZERO).await.unwrap();
        assert_eq!(rx.recv().await, Some(job(7)));
        // Crash while running it: no ack, no next recv.
    }
    let (_store, _jobs, mut rx) = start(&path).await;
    assert_eq!(
        rx.recv().await,
        Some(job(7)),
        "at-least-once: delivered again"
    );
}

#[tokio::test]
async fn a_job_that_never_completes_is_told_its_attempt_then_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    {
        let (_store, jobs, _rx) = start(&path).await;
        jobs.enqueue(&job(9), Duration::ZERO).await.unwrap();
    }
    let max = chat_embedded::jobs::MAX_ATTEMPTS;
    // Every start delivers it again, counting; one delivery past the last lets the job
    // give up cleanly (a robot answer ends failed), and then it is gone.
    for attempt in 1..=max + 1 {
        let (_store, _jobs, mut rx) = start(&path).await;
        let delivered = rx.next_delivery().await.unwrap();
        assert_eq!((delivered.job, delivered.attempt), (job(9), attempt));
    }
    let (_store, jobs, mut rx) = start(&path).await;
    assert_eq!(rx.pending(), 0, "dropped after {} deliveries", max + 1);
    drop(jobs);
    assert_eq!(rx.recv().await, None);
}

#[tokio::test]
async fn an_acknowledged_delivery_is_not_delivered_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    {
        let (_store, jobs, mut rx) = start(&path).await;
        jobs.enqueue(&job(3), Duration::ZERO).await.unwrap();
        jobs.enqueue(&job(4), Duration::ZERO).await.unwrap();
        let acker = rx.acker();
        let first = rx.next_delivery().await.unwrap();
        let second = rx.next_delivery().await.unwrap();
        assert_eq!((first.attempt, second.attempt), (1, 1));
        acker.ack(&second).await;
        // `first` is never acknowledged: the process "dies" with it running.
    }
    let (_store, _jobs, mut rx) = start(&path).await;
    let again = rx.next_delivery().await.unwrap();
    assert_eq!((again.job, again.attempt), (job(3), 2));
    assert_eq!(rx.pending(), 0, "the acknowledged job is gone");
}
