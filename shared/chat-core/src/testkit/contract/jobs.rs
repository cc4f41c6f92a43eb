//! `Jobs` contract: what is enqueued is delivered intact, immediate jobs in order, and a
//! delayed job never before its delay.
//!
//! The port only enqueues; delivery is each adapter's own (an in-process receiver, an
//! SQS poll). The suite observes it through [`JobSource`], which the adapter's test
//! implements over its delivery side.

use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::ports::{Job, Jobs};
use crate::testkit::contract::fixtures::{mid, rid, uid};

/// The delivery side of a queue, as the suite sees it.
#[async_trait]
pub trait JobSource: Send {
    /// The next delivered job, waiting at most `wait`; `None` if nothing arrives in time.
    async fn next_job(&mut self, wait: Duration) -> Option<Job>;
}

/// How long the suite waits for something that should arrive; generous for slow CI.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long the suite waits to be sure something does not arrive.
const QUIET: Duration = Duration::from_millis(150);

/// Runs every jobs check, each on a fresh queue from `make`.
pub async fn run_all<J, S, F, Fut>(make: F)
where
    J: Jobs,
    S: JobSource,
    F: Fn() -> Fut,
    Fut: Future<Output = (J, S)>,
{
    macro_rules! check {
        ($name:ident) => {{
            eprintln!(concat!("contract jobs::", stringify!($name)));
            let (jobs, mut source) = make().await;
            $name(&jobs, &mut source).await;
        }};
    }
    check!(immediate_jobs_arrive_intact_and_in_order);
    check!(a_delayed_job_is_not_delivered_before_its_delay);
    check!(jobs_are_delivered_by_due_time);
}

/// A distinct job per `n`, alternating variants.
pub fn job(n: usize) -> Job {
    if n % 2 == 0 {
        Job::RobotAnswer {
            room_id: rid(&format!("room_{n}")),
            request_id: mid(&format!("msg_req_{n}")),
            response_id: mid(&format!("msg_res_{n}")),
            robot: "iStackBuddy.docs.jokes".to_string(),
        }
    } else {
        Job::GuestAwayCheck {
            room_id: rid(&format!("room_{n}")),
            guest: uid(&format!("usr_guest_{n}")),
        }
    }
}

async fn enqueue(jobs: &dyn Jobs, job: &Job, delay: Duration) {
    jobs.enqueue(job, delay)
        .await
        .unwrap_or_else(|e| panic!("enqueue {job:?} after {delay:?}: {e:?}"));
}

pub async fn immediate_jobs_arrive_intact_and_in_order(
    jobs: &dyn Jobs,
    source: &mut dyn JobSource,
) {
    for n in 0..5 {
        enqueue(jobs, &job(n), Duration::ZERO).await;
    }
    for n in 0..5 {
        let got = source.next_job(PATIENCE).await;
        assert_eq!(
            got,
            Some(job(n)),
            "job {n}: immediate jobs arrive intact, in enqueue order"
        );
    }
    assert_eq!(
        source.next_job(QUIET).await,
        None,
        "each job is delivered once"
    );
}

pub async fn a_delayed_job_is_not_delivered_before_its_delay(
    jobs: &dyn Jobs,
    source: &mut dyn JobSource,
) {
    let delay = Duration::from_millis(400);
    let start = Instant::now();
    enqueue(jobs, &job(1), delay).await;
    assert_eq!(
        source.next_job(QUIET).await,
        None,
        "a delayed job waits for its delay"
    );
    let got = source.next_job(PATIENCE).await;
    let elapsed = start.elapsed();
    assert_eq!(
        got,
        Some(job(1)),
        "a delayed job is delivered once its delay has passed"
    );
    assert!(
        elapsed >= delay,
        "delivered after {elapsed:?}, before its delay of {delay:?}"
    );
}

pub async fn jobs_are_delivered_by_due_time(jobs: &dyn Jobs, source: &mut dyn JobSource) {
    enqueue(jobs, &job(1), Duration::from_millis(300)).await;
    enqueue(jobs, &job(2), Duration::ZERO).await;
    assert_eq!(
        source.next_job(PATIENCE).await,
        Some(job(2)),
        "a job due now overtakes an earlier-enqueued delayed job"
    );
    assert_eq!(
        source.next_job(PATIENCE).await,
        Some(job(1)),
        "then the delayed job"
    );
}
