//! The in-process job worker: receives what the app enqueues on the embedded queue.
//!
//! No job kind is produced in this version; robot answers and guest-away checks get
//! their handlers in later issues. Until then a job is logged and dropped, and the
//! match below stops compiling when a new kind is added, so it cannot be forgotten.

use chat_core::ports::Job;
use chat_embedded::jobs::JobReceiver;
use tokio::sync::watch;
use tracing::{info, warn};

/// Runs until the queue closes or `stop` flips to `true`.
pub(crate) async fn run(mut jobs: JobReceiver, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => {
                    handle(job);
                    // Done with it: a durable queue forgets it now rather than at the
                    // next delivery, which may be far off.
                    jobs.ack().await;
                }
                None => break,
            },
            _ = stop.changed() => break,
        }
    }
    info!("job worker stopped");
}

fn handle(job: Job) {
    match job {
        Job::RobotAnswer { .. } | Job::GuestAwayCheck { .. } => {
            warn!(?job, "job dropped: this version has no worker for it yet");
        }
    }
}
