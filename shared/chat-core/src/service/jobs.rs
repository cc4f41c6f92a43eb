//! Background jobs: what a worker does with each [`Job`] it receives, whichever queue
//! delivered it (the SQS-triggered Lambda, the local gateway's in-process worker).
//!
//! No job kind has a handler in this version: robot answers and guest-away checks come
//! with their issues. A job is acknowledged with [`JobOutcome::NoHandler`] and logged, so
//! it is not retried forever; the `match` stops compiling when a kind is added, so a new
//! kind cannot be forgotten here.

use tracing::warn;

use crate::error::CoreResult;
use crate::ports::Job;
use crate::service::App;

/// What running a job came to. An `Err` from [`App::run_job`] means "retry later" (the
/// queue redelivers it; SQS moves it to the dead-letter queue after `maxReceiveCount`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// This version has no handler for the job's kind; it was logged and dropped.
    NoHandler,
}

impl App {
    /// Runs one delivered job.
    pub async fn run_job(&self, job: &Job) -> CoreResult<JobOutcome> {
        match job {
            Job::RobotAnswer { .. } | Job::GuestAwayCheck { .. } => {
                warn!(?job, "job dropped: this version has no handler for it");
                Ok(JobOutcome::NoHandler)
            }
        }
    }
}
