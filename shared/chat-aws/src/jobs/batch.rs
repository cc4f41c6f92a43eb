//! What a worker does with received messages, whichever way they arrived: the
//! SQS-triggered Lambda gets them in its event, the local gateway's worker polls for
//! them. Both hand a batch of [`Delivery`]s to [`process_batch`] and act on the message
//! ids it reports as failed (Lambda: `batchItemFailures`; the poller: not deleted).
//! Either way a failed message is redelivered after its visibility timeout and, after
//! the queue's `maxReceiveCount`, moved to the dead-letter queue.

use std::time::Duration;

use chat_core::{App, Attempt};

use super::queue::MAX_RECEIVE_COUNT;
use chat_core::ports::Job;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use tracing::{debug, error, instrument, warn};

/// How many jobs of one batch run at once: robot answers wait on slow providers, and
/// one slow job should not hold up the other nine.
pub const BATCH_CONCURRENCY: usize = 10;

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message_id: String,
    pub body: String,
    /// From the `notBefore` attribute: the job must not run before this instant (epoch
    /// milliseconds).
    pub not_before_ms: Option<i64>,
    /// For deleting it (messages the poller received; Lambda deletes its own).
    pub(crate) receipt_handle: Option<String>,
    /// SQS's `ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
}

impl Delivery {
    /// A received message. `not_before` is the raw `notBefore` attribute, if any; an
    /// unreadable one is ignored with a warning, so the job runs now rather than never.
    pub fn new(
        message_id: impl Into<String>,
        body: impl Into<String>,
        not_before: Option<&str>,
    ) -> Delivery {
        let message_id = message_id.into();
        let not_before_ms = not_before.and_then(|raw| match raw.trim().parse::<i64>() {
            Ok(ms) => Some(ms),
            Err(_) => {
                warn!(%message_id, raw, "ignoring an unreadable notBefore attribute");
                None
            }
        });
        Delivery {
            message_id,
            body: body.into(),
            not_before_ms,
            receipt_handle: None,
            receive_count: 1,
        }
    }

    /// Sets the receive count from SQS's `ApproximateReceiveCount` attribute (an
    /// unreadable one counts as a first delivery).
    pub fn with_receive_count(mut self, raw: Option<&str>) -> Delivery {
        self.receive_count = raw.and_then(|n| n.trim().parse().ok()).unwrap_or(1);
        self
    }

    /// The job in the body. A body that is not a `Job` (another producer's message, a
    /// kind from a newer version) is an error, so the message is retried and then kept
    /// in the dead-letter queue instead of vanishing.
    pub fn job(&self) -> Result<Job, serde_json::Error> {
        serde_json::from_str(&self.body)
    }

    /// How long until the job is due at `now`; `None` when it is due.
    pub fn remaining(&self, now: DateTime<Utc>) -> Option<Duration> {
        let left = self.not_before_ms?.checked_sub(now.timestamp_millis())?;
        (left > 0).then(|| Duration::from_millis(left.unsigned_abs()))
    }
}

/// Runs each delivered job with [`App::run_job`] and returns the message ids that failed
/// (in delivery order). A job not yet due is enqueued again with its remaining delay and
/// counts as done. Never fails as a whole: one bad message must not make SQS redeliver
/// the good ones.
pub async fn process_batch(app: &App, deliveries: &[Delivery]) -> Vec<String> {
    // Collected first: a stream holding a closure over borrowed items would make the
    // batch future unusable in `tokio::spawn` (a known higher-ranked lifetime limit).
    let runs: Vec<_> = deliveries
        .iter()
        .map(|delivery| process_one(app, delivery))
        .collect();
    let done: Vec<bool> = futures::stream::iter(runs)
        .buffered(BATCH_CONCURRENCY)
        .collect()
        .await;
    deliveries
        .iter()
        .zip(done)
        .filter(|(_, done)| !done)
        .map(|(delivery, _)| delivery.message_id.clone())
        .collect()
}

/// `true` when the message may be deleted.
#[instrument(skip_all, fields(message_id = %delivery.message_id))]
async fn process_one(app: &App, delivery: &Delivery) -> bool {
    let job = match delivery.job() {
        Ok(job) => job,
        Err(e) => {
            error!(error = %e, "a queued message is not a job; it stays for the dead-letter queue");
            return false;
        }
    };
    // The queue's timer is the wall clock, whatever clock the app's rules use.
    if let Some(remaining) = delivery.remaining(Utc::now()) {
        return match app.deps().jobs.enqueue(&job, remaining).await {
            Ok(()) => {
                debug!(?remaining, "job not due yet: enqueued again");
                true
            }
            Err(e) => {
                warn!(error = %e, "could not enqueue a job that is not due yet; it will be redelivered");
                false
            }
        };
    }
    let attempt = Attempt::new(delivery.receive_count, MAX_RECEIVE_COUNT);
    match app.run_job(&job, attempt).await {
        Ok(outcome) => {
            debug!(?outcome, "job done");
            true
        }
        Err(e) => {
            warn!(error = %e, ?job, "job failed; the queue will redeliver it");
            false
        }
    }
}
