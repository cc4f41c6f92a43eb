//! Request helpers every store module shares: paging through a `Query`, batched reads
//! and writes that retry what DynamoDB left unprocessed, and reading why a conditional
//! write or a transaction was refused.
//!
//! Errors come back as `CoreError` already classified (throttling → `Unavailable`,
//! everything else → storage failure), so callers only add their own outcomes.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, WriteRequest};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chat_core::{CoreError, CoreResult};

use super::item::Item;
use crate::error::AwsError;

/// Most keys in one `BatchGetItem`.
const BATCH_GET_MAX: usize = 100;
/// Most requests in one `BatchWriteItem`.
const BATCH_WRITE_MAX: usize = 25;
/// Rounds of retrying unprocessed keys/requests before giving up as `Unavailable`.
const UNPROCESSED_ROUNDS: u32 = 8;

/// Classifies a failed DynamoDB call.
pub fn sdk_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> CoreError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    AwsError::from_sdk("DynamoDB", operation, err).into()
}

/// The call was refused because its condition expression did not hold.
pub fn is_condition_failed<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.code() == Some("ConditionalCheckFailedException"))
}

/// Why each item of a cancelled transaction was refused, in request order: `None` for
/// items that were fine, else the code (`ConditionalCheckFailed`,
/// `TransactionConflict`, …). `None` overall when the error is not a cancellation.
pub fn cancellation_codes(
    err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>,
) -> Option<Vec<Option<String>>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|r| r.code().filter(|c| *c != "None").map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

/// A cancelled transaction that is worth running again as it is: another transaction
/// touched the same items at the same moment, or DynamoDB asked us to slow down.
pub fn is_transient_cancellation(codes: &[Option<String>]) -> bool {
    codes.iter().flatten().all(|c| {
        matches!(
            c.as_str(),
            "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
        )
    }) && codes.iter().any(Option::is_some)
}

/// A short pause before retry `attempt` (1, 2, …): 5 ms doubling, capped at 200 ms,
/// with jitter so racing writers do not collide again in lockstep.
pub async fn backoff(attempt: u32) {
    let base = 5u64.saturating_mul(1 << attempt.min(6)).min(200);
    let jitter = u64::from(rand_jitter()) % (base / 2 + 1);
    tokio::time::sleep(Duration::from_millis(base / 2 + jitter)).await;
}

fn rand_jitter() -> u32 {
    // Not security relevant: spread retries; the low bits of the clock suffice.
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// Every item a `Query` matches, following `LastEvaluatedKey` page after page.
pub async fn query_all(query: QueryFluentBuilder) -> CoreResult<Vec<Item>> {
    let mut items = Vec::new();
    let mut request = query;
    loop {
        let out = request
            .clone()
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() => {
                request = request.set_exclusive_start_key(Some(key));
            }
            _ => return Ok(items),
        }
    }
}

/// Items matched by a `Query` until `want` of them pass `keep` or the query runs out;
/// returns them and whether more may follow. For filters DynamoDB cannot express
/// before `Limit` applies (a page must hold `want` *visible* items).
pub async fn query_until(
    query: QueryFluentBuilder,
    want: usize,
    keep: impl Fn(&Item) -> bool,
) -> CoreResult<(Vec<Item>, bool)> {
    let mut items = Vec::new();
    let mut request = query;
    loop {
        let out = request
            .clone()
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        for item in out.items.unwrap_or_default() {
            if !keep(&item) {
                continue;
            }
            if items.len() == want {
                return Ok((items, true));
            }
            items.push(item);
        }
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() => {
                request = request.set_exclusive_start_key(Some(key));
            }
            _ => return Ok((items, false)),
        }
    }
}

/// Reads items by key, 100 at a time, retrying unprocessed keys. Order is not kept.
pub async fn batch_get(client: &Client, table: &str, keys: Vec<Item>) -> CoreResult<Vec<Item>> {
    let mut found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH_GET_MAX) {
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(chunk.to_vec()))
            .consistent_read(true)
            .build()
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        for round in 0.. {
            let out = client
                .batch_get_item()
                .request_items(table, pending.clone())
                .send()
                .await
                .map_err(|e| sdk_error("BatchGetItem", e))?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(table).unwrap_or_default());
            }
            match out.unprocessed_keys.and_then(|mut u| u.remove(table)) {
                Some(rest) if !rest.keys().is_empty() => {
                    if round >= UNPROCESSED_ROUNDS {
                        return Err(CoreError::Unavailable(
                            "the database is busy; try again shortly".into(),
                        ));
                    }
                    pending = rest;
                    backoff(round + 1).await;
                }
                _ => break,
            }
        }
    }
    Ok(found)
}

/// Writes (puts and deletes), 25 at a time, retrying unprocessed requests. Not atomic:
/// for derived copies whose loss is repaired later, never for a rule's state.
pub async fn batch_write(
    client: &Client,
    table: &str,
    requests: Vec<WriteRequest>,
) -> CoreResult<()> {
    for chunk in requests.chunks(BATCH_WRITE_MAX) {
        let mut pending = chunk.to_vec();
        for round in 0.. {
            let out = client
                .batch_write_item()
                .request_items(table, pending)
                .send()
                .await
                .map_err(|e| sdk_error("BatchWriteItem", e))?;
            match out.unprocessed_items.and_then(|mut u| u.remove(table)) {
                Some(rest) if !rest.is_empty() => {
                    if round >= UNPROCESSED_ROUNDS {
                        return Err(CoreError::Unavailable(
                            "the database is busy; try again shortly".into(),
                        ));
                    }
                    pending = rest;
                    backoff(round + 1).await;
                }
                _ => break,
            }
        }
    }
    Ok(())
}

/// A request the SDK refused to build (a required field missing): our bug.
pub fn build_error(err: aws_smithy_types::error::operation::BuildError) -> CoreError {
    CoreError::Internal(format!("cannot build a DynamoDB request: {err}"))
}

/// One item by key, strongly consistent (reads its own and everyone's committed writes).
pub async fn get_item(client: &Client, table: &str, key: Item) -> CoreResult<Option<Item>> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| sdk_error("GetItem", e))?;
    Ok(out.item)
}
