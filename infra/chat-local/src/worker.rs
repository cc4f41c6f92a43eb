//! The in-process job worker: receives what the app enqueues on the embedded queue and
//! runs it through [`App::run_job`], the same code the SQS-triggered Lambda runs.
//!
//! Jobs run concurrently (up to [`MAX_JOBS_IN_FLIGHT`]): a robot answer streams for
//! seconds and must not hold up the next employee's question. Each job is acknowledged
//! when it finishes, so one cut short by a crash is delivered again at the next start,
//! told its attempt number.

use std::sync::Arc;

use chat_core::{App, Attempt};
use chat_embedded::jobs::{JobReceiver, MAX_ATTEMPTS};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{info, warn};

/// Jobs running at once, like the reserved concurrency of the worker Lambda.
pub const MAX_JOBS_IN_FLIGHT: usize = 32;

/// Runs until the queue closes or `stop` flips to `true`; jobs already started are
/// finished first.
pub(crate) async fn run(app: Arc<App>, mut jobs: JobReceiver, mut stop: watch::Receiver<bool>) {
    let acker = jobs.acker();
    let slots = Arc::new(Semaphore::new(MAX_JOBS_IN_FLIGHT));
    let mut running = JoinSet::new();
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        tokio::select! {
            delivered = jobs.next_delivery() => match delivered {
                Some(delivered) => {
                    let app = Arc::clone(&app);
                    let acker = acker.clone();
                    running.spawn(async move {
                        let attempt = Attempt::new(delivered.attempt, MAX_ATTEMPTS);
                        if let Err(e) = app.run_job(&delivered.job, attempt).await {
                            // The embedded queue redelivers a job only after a restart;
                            // the failure is logged where an operator looks.
                            warn!(job = ?delivered.job, error = %e, "job failed");
                        }
                        acker.ack(&delivered).await;
                        drop(slot);
                    });
                }
                None => break,
            },
            _ = stop.changed() => break,
        }
        // Reap finished tasks so the set does not grow with the uptime.
        while running.try_join_next().is_some() {}
    }
    while running.join_next().await.is_some() {}
    info!("job worker stopped");
}
