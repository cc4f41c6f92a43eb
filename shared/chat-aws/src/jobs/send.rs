//! The enqueueing side: [`SqsJobs`] implements `Jobs` with one `SendMessage` per job.
//!
//! The body is the job's JSON (the same serde form every queue uses); the attributes
//! carry its kind and enqueue time so a queue's contents (or its dead-letter queue's)
//! can be read without decoding bodies.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageAttributeValue;
use chat_core::ports::{Job, Jobs};
use chat_core::{CoreError, CoreResult};
use chrono::Utc;

use super::{ENQUEUED_AT_ATTRIBUTE, KIND_ATTRIBUTE, MAX_SQS_DELAY, NOT_BEFORE_ATTRIBUTE};
use crate::clients::AwsClients;
use crate::error::AwsError;

/// A delay longer than this (years) is treated as this: effectively never, without
/// overflowing a timestamp.
const FAR_FUTURE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Enqueues jobs on one SQS queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqsJobs {
    client: Client,
    queue_url: String,
}

impl SqsJobs {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsJobs {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The jobs queue named by `clients`' target.
    pub fn from_clients(clients: &AwsClients) -> Self {
        Self::new(clients.sqs.clone(), clients.target.queue_url.clone())
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

/// How a job enqueued at `now_ms` with some delay is handed to SQS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// SQS `DelaySeconds`: whole seconds, rounded up so a job never arrives early.
    pub delay_seconds: i32,
    /// Epoch milliseconds before which a receiver must not run the job; set only when
    /// the delay exceeds [`MAX_SQS_DELAY`].
    pub not_before_ms: Option<i64>,
}

impl Schedule {
    pub fn new(delay: Duration, now_ms: i64) -> Schedule {
        let delay = delay.min(FAR_FUTURE);
        if delay > MAX_SQS_DELAY {
            let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
            return Schedule {
                delay_seconds: MAX_SQS_DELAY.as_secs() as i32,
                not_before_ms: Some(now_ms.saturating_add(delay_ms)),
            };
        }
        let whole = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        Schedule {
            // At most 900 here, so the conversion cannot truncate.
            delay_seconds: whole as i32,
            not_before_ms: None,
        }
    }
}

fn attribute(data_type: &str, value: impl Into<String>) -> CoreResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .map_err(|e| CoreError::Internal(format!("SQS message attribute: {e}")))
}

/// The job's kind as serialized (`robotAnswer`, …): the `job` tag of its JSON.
fn kind_of(body: &serde_json::Value) -> String {
    body.get("job")
        .and_then(|k| k.as_str())
        .unwrap_or("unknown")
        .to_string()
}

#[async_trait]
impl Jobs for SqsJobs {
    async fn enqueue(&self, job: &Job, delay: Duration) -> CoreResult<()> {
        let value = serde_json::to_value(job)
            .map_err(|e| CoreError::Internal(format!("job does not serialize: {e}")))?;
        let kind = kind_of(&value);
        let now_ms = Utc::now().timestamp_millis();
        let schedule = Schedule::new(delay, now_ms);
        let mut request = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(value.to_string())
            .delay_seconds(schedule.delay_seconds)
            .message_attributes(KIND_ATTRIBUTE, attribute("String", kind.clone())?)
            .message_attributes(
                ENQUEUED_AT_ATTRIBUTE,
                attribute("Number", now_ms.to_string())?,
            );
        if let Some(not_before) = schedule.not_before_ms {
            request = request.message_attributes(
                NOT_BEFORE_ATTRIBUTE,
                attribute("Number", not_before.to_string())?,
            );
        }
        let sent = request
            .send()
            .await
            .map_err(|e| CoreError::from(AwsError::from_sdk("SQS", "SendMessage", e)))?;
        tracing::debug!(
            kind,
            message_id = sent.message_id().unwrap_or(""),
            delay_seconds = schedule.delay_seconds,
            not_before = schedule.not_before_ms,
            "job enqueued"
        );
        Ok(())
    }
}
