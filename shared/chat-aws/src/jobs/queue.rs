//! The jobs queue's definition, for `chat-local --backend aws` and tests. On AWS the
//! SAM template creates the same pair; keep the two in step (`template.yaml`).

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::error::AwsError;

/// Receives after which a message that keeps failing moves to the dead-letter queue.
pub const MAX_RECEIVE_COUNT: u32 = 5;

/// The dead-letter queue's name for the queue `name`.
pub fn dead_letter_name(name: &str) -> String {
    format!("{name}-dlq")
}

/// Returns the URL of the queue `name`, first creating it (with a `<name>-dlq`
/// dead-letter queue after [`MAX_RECEIVE_COUNT`] receives) if it does not exist. An
/// existing queue is left as it is. One `GetQueueUrl` when the queue exists; four
/// requests when it is created.
pub async fn ensure_queue(client: &Client, name: &str) -> Result<String, AwsError> {
    match client.get_queue_url().queue_name(name).send().await {
        Ok(found) => {
            if let Some(url) = found.queue_url() {
                return Ok(url.to_string());
            }
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_queue_does_not_exist()) => {}
        Err(e) => return Err(AwsError::from_sdk("SQS", "GetQueueUrl", e)),
    }
    let dlq_url = create(client, &dead_letter_name(name), None).await?;
    let attributes = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("SQS", "GetQueueAttributes", e))?;
    let dlq_arn = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .ok_or_else(|| AwsError::Config(format!("queue {dlq_url} has no ARN")))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT.to_string(),
    });
    create(client, name, Some(redrive.to_string())).await
}

/// `CreateQueue`, which answers the existing queue's URL when one with the same
/// attributes exists (a concurrent start created it first).
async fn create(client: &Client, name: &str, redrive: Option<String>) -> Result<String, AwsError> {
    let mut request = client.create_queue().queue_name(name);
    if let Some(policy) = redrive {
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy);
    }
    let created = request
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("SQS", "CreateQueue", e))?;
    created
        .queue_url()
        .map(str::to_string)
        .ok_or_else(|| AwsError::Config(format!("CreateQueue {name} returned no URL")))
}
