//! # fn-robot-worker — the jobs queue's consumer
//!
//! SQS invokes it with a batch of messages, each one [`Job`](chat_core::ports::Job).
//! The handler only translates: records become [`Delivery`]s, the batch goes to
//! [`process_batch`] (the same function the local gateway's polling worker runs), and
//! the message ids it reports failed go back as `batchItemFailures`, so SQS redelivers
//! just those (and, after `maxReceiveCount`, moves them to the dead-letter queue). The
//! event source mapping needs `FunctionResponseTypes: [ReportBatchItemFailures]`.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chat_aws::jobs::{Delivery, NOT_BEFORE_ATTRIBUTE, process_batch};
use chat_core::App;
use tracing::warn;

/// Handles one SQS batch.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let deliveries: Vec<Delivery> = event.records.iter().map(delivery_of).collect();
    let failed = process_batch(app, &deliveries).await;
    let mut response = SqsBatchResponse::default();
    response.set_failures(failed);
    response
}

fn delivery_of(record: &SqsMessage) -> Delivery {
    let message_id = record.message_id.clone().unwrap_or_else(|| {
        // Lambda always sets it. Were it missing, the empty id reported as failed makes
        // Lambda retry the whole batch, which is the safe side.
        warn!("an SQS record without a message id");
        String::new()
    });
    let not_before = record
        .message_attributes
        .get(NOT_BEFORE_ATTRIBUTE)
        .and_then(|a| a.string_value.as_deref());
    Delivery::new(
        message_id,
        record.body.clone().unwrap_or_default(),
        not_before,
    )
    .with_receive_count(
        record
            .attributes
            .get("ApproximateReceiveCount")
            .map(String::as_str),
    )
}
