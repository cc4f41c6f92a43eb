//! The polling side, for processes that are not triggered by SQS (the local gateway):
//! [`SqsJobPoller`] receives with long polling and deletes what was done, and
//! [`run_worker`] loops over it with [`process_batch`], the same function the
//! robot-worker Lambda runs on its events.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use chat_core::{App, CoreError, CoreResult};
use futures::StreamExt;
use tokio::sync::watch;
use tracing::{info, warn};

use super::NOT_BEFORE_ATTRIBUTE;
use super::batch::{Delivery, process_batch};
use crate::clients::AwsClients;
use crate::error::AwsError;

/// SQS's longest long poll: one empty `ReceiveMessage` per 20 s on an idle queue.
pub const LONG_POLL: Duration = Duration::from_secs(20);
/// SQS's largest batch, for both receiving and deleting.
const MAX_BATCH: usize = 10;
/// Back-off after a failed receive, doubling up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Received batches being run at once (ten jobs each).
const MAX_BATCHES_IN_FLIGHT: usize = 4;

/// Receives and deletes messages of one queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqsJobPoller {
    client: Client,
    queue_url: String,
    wait: Duration,
    /// How long a received job stays hidden from other receivers; `None` = the
    /// queue's own setting.
    visibility: Option<Duration>,
}

impl SqsJobPoller {
    /// A poller that long-polls for [`LONG_POLL`].
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsJobPoller {
            client,
            queue_url: queue_url.into(),
            wait: LONG_POLL,
            visibility: None,
        }
    }

    /// The jobs queue named by `clients`' target.
    pub fn from_clients(clients: &AwsClients) -> Self {
        Self::new(clients.sqs.clone(), clients.target.queue_url.clone())
    }

    /// Hides received jobs for `visibility` (a little over the longest a job may
    /// take): a worker killed mid-job gets its jobs back that soon after restarting.
    pub fn with_visibility(mut self, visibility: Duration) -> Self {
        self.visibility = Some(visibility);
        self
    }

    /// Long-polls for `wait` (whole seconds, at most 20) instead.
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait.min(LONG_POLL);
        self
    }

    /// Up to ten messages, waiting up to the poller's long-poll time for the first.
    pub async fn receive(&self) -> CoreResult<Vec<Delivery>> {
        self.receive_within(self.wait).await
    }

    /// Up to ten messages, waiting up to `wait` (whole seconds, at most 20; under a
    /// second is a short poll) for the first. One `ReceiveMessage` request.
    pub async fn receive_within(&self, wait: Duration) -> CoreResult<Vec<Delivery>> {
        let received = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(MAX_BATCH as i32)
            .wait_time_seconds(wait.min(LONG_POLL).as_secs() as i32)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .set_visibility_timeout(self.visibility.map(|v| v.as_secs().max(1) as i32))
            .send()
            .await
            .map_err(|e| CoreError::from(AwsError::from_sdk("SQS", "ReceiveMessage", e)))?;
        Ok(received.messages().iter().map(delivery_of).collect())
    }

    /// Deletes `done` messages: one `DeleteMessageBatch` per ten. A message that could
    /// not be deleted is logged and comes back later; jobs are idempotent.
    pub async fn delete(&self, done: &[Delivery]) -> CoreResult<()> {
        let handles: Vec<&str> = done
            .iter()
            .filter_map(|d| d.receipt_handle.as_deref())
            .collect();
        for chunk in handles.chunks(MAX_BATCH) {
            let mut request = self
                .client
                .delete_message_batch()
                .queue_url(&self.queue_url);
            for (i, handle) in chunk.iter().enumerate() {
                let entry = DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(*handle)
                    .build()
                    .map_err(|e| CoreError::Internal(format!("SQS delete entry: {e}")))?;
                request = request.entries(entry);
            }
            let deleted = request
                .send()
                .await
                .map_err(|e| CoreError::from(AwsError::from_sdk("SQS", "DeleteMessageBatch", e)))?;
            for failed in deleted.failed() {
                warn!(
                    entry = failed.id(),
                    code = failed.code(),
                    "a done job was not deleted; it will run again"
                );
            }
        }
        Ok(())
    }
}

fn delivery_of(message: &Message) -> Delivery {
    let not_before = message
        .message_attributes()
        .and_then(|a| a.get(NOT_BEFORE_ATTRIBUTE))
        .and_then(|v| v.string_value());
    let mut delivery = Delivery::new(
        message.message_id().unwrap_or_default(),
        message.body().unwrap_or_default(),
        not_before,
    );
    delivery.receipt_handle = message.receipt_handle().map(str::to_string);
    delivery.receive_count = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    delivery
}

/// Receives, runs and deletes jobs until `stop` changes (or its sender is dropped). A
/// batch being run is finished and deleted before the loop stops; a long poll in
/// flight is abandoned (its messages, if any, come back after the visibility timeout).
pub async fn run_worker(app: Arc<App>, poller: SqsJobPoller, stop: watch::Receiver<bool>) {
    run_worker_with(poller, stop, move |batch| {
        let app = Arc::clone(&app);
        async move { process_batch(&app, &batch).await }
    })
    .await
}

/// [`run_worker`] with another way to run a batch: `run` gets the received deliveries
/// and returns the message ids that failed. The local gateway's Lambda mode passes the
/// batch to the worker function through the Invoke API here.
pub async fn run_worker_with<F, Fut>(poller: SqsJobPoller, mut stop: watch::Receiver<bool>, run: F)
where
    F: Fn(Vec<Delivery>) -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let mut backoff = FIRST_BACKOFF;
    // Batches run while the next receive waits: a robot answer takes seconds, and the
    // queue must not stall behind it (as Lambda's event source scales out). The receive
    // in flight is kept, not dropped, when a batch finishes first: a dropped receive
    // would hide whatever SQS handed it until the visibility timeout.
    let mut running = futures::stream::FuturesUnordered::new();
    let mut receiving = Box::pin(poller.receive());
    let mut paused = false;
    loop {
        if *stop.borrow_and_update() {
            break;
        }
        let room_for_more = running.len() < MAX_BATCHES_IN_FLIGHT && !paused;
        tokio::select! {
            received = &mut receiving, if room_for_more => {
                match received {
                    Ok(batch) => {
                        backoff = FIRST_BACKOFF;
                        if !batch.is_empty() {
                            let run_batch = run(batch.clone());
                            running.push(async move { (batch, run_batch.await) });
                        }
                        receiving.set(poller.receive());
                    }
                    Err(e) => {
                        warn!(error = %e, retry_in = ?backoff, "could not receive jobs");
                        paused = true;
                    }
                }
            }
            Some((batch, failed)) = running.next(), if !running.is_empty() => {
                delete_done(&poller, batch, &failed).await;
            }
            () = tokio::time::sleep(backoff), if paused => {
                paused = false;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                receiving.set(poller.receive());
            }
            _ = stop.changed() => break,
        }
    }
    // Batches already started are finished and deleted.
    while let Some((batch, failed)) = running.next().await {
        delete_done(&poller, batch, &failed).await;
    }
    info!("SQS job worker stopped");
}

async fn delete_done(poller: &SqsJobPoller, batch: Vec<Delivery>, failed: &[String]) {
    let done: Vec<Delivery> = batch
        .into_iter()
        .filter(|d| !failed.contains(&d.message_id))
        .collect();
    if let Err(e) = poller.delete(&done).await {
        warn!(error = %e, "done jobs were not deleted; they will run again");
    }
}
