//! The in-process job worker: receives what the app enqueues on the embedded queue and
//! runs it through [`App::run_job`], the same code the SQS-triggered Lambda runs.

use std::sync::Arc;

use chat_core::App;
use chat_embedded::jobs::JobReceiver;
use tokio::sync::watch;
use tracing::{info, warn};

/// Runs until the queue closes or `stop` flips to `true`.
pub(crate) async fn run(app: Arc<App>, mut jobs: JobReceiver, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => {
                    if let Err(e) = app.run_job(&job).await {
                        // The embedded queue has no redelivery of a received job; the
                        // failure is logged where an operator looks.
                        warn!(?job, error = %e, "job failed");
                    }
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
