//! Request pieces the rooms, members, issues, messages and connections modules share:
//! transaction items and batch write requests, `#name` placeholders for expressions,
//! running a transaction and reading its refusal, prefix queries, and reading enum
//! attributes.
//!
//! Every expression writes attribute names as `#name` ([`names`] derives the
//! placeholder map from the text), so no attribute can clash with DynamoDB's reserved
//! words (`status`, `text`, `data`, …).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, DeleteRequest, Put, PutRequest,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update, WriteRequest,
};

use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{Item, s};
use super::keys::{PK, SK};
use super::ops::{self, build_error, sdk_error};

/// Rounds of re-sending a transaction that collided with another one on its items.
const CONFLICT_ROUNDS: u32 = 16;

/// `#name` placeholders for every `#word` in the expressions, so attribute names never
/// clash with DynamoDB's reserved words (`status`, `text`, `data`, …).
pub(super) fn names(expressions: &[&str]) -> Option<HashMap<String, String>> {
    let mut map = HashMap::new();
    for expression in expressions {
        let mut rest = *expression;
        while let Some(start) = rest.find('#') {
            let tail = &rest[start + 1..];
            let len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..len];
            map.insert(format!("#{name}"), name.to_string());
            rest = &tail[len..];
        }
    }
    (!map.is_empty()).then_some(map)
}

pub(super) fn values_map(values: Vec<(&str, AttributeValue)>) -> HashMap<String, AttributeValue> {
    values
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// `SET a, b REMOVE c` from its parts (either may be empty, not both).
pub(super) fn set_and_remove(set: &[&str], remove: &[&str]) -> String {
    let mut expression = String::new();
    if !set.is_empty() {
        expression = format!("SET {}", set.join(", "));
    }
    if !remove.is_empty() {
        if !expression.is_empty() {
            expression.push(' ');
        }
        expression.push_str(&format!("REMOVE {}", remove.join(", ")));
    }
    expression
}

pub(super) fn put(
    table: &str,
    item: Item,
    condition: Option<&str>,
) -> CoreResult<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_string))
        .set_expression_attribute_names(condition.and_then(|c| names(&[c])))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

pub(super) fn delete(
    table: &str,
    key: Item,
    condition: Option<&str>,
) -> CoreResult<TransactWriteItem> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .set_condition_expression(condition.map(str::to_string))
        .set_expression_attribute_names(condition.and_then(|c| names(&[c])))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// An update; when its condition refuses it, the cancellation carries the item as it
/// was ([`TxOutcome::Cancelled`]'s `old`).
pub(super) fn update(
    table: &str,
    key: Item,
    expression: &str,
    condition: Option<&str>,
    values: Vec<(&str, AttributeValue)>,
) -> CoreResult<TransactWriteItem> {
    let all = [expression, condition.unwrap_or_default()];
    // A refusal hands back the item as it was (free of charge), so a caller that lost
    // a race can retry without reading it again.
    let old_on_refusal = condition.map(|_| ReturnValuesOnConditionCheckFailure::AllOld);
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(expression)
        .set_condition_expression(condition.map(str::to_string))
        .set_return_values_on_condition_check_failure(old_on_refusal)
        .set_expression_attribute_names(names(&all))
        .set_expression_attribute_values((!values.is_empty()).then(|| values_map(values)))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

pub(super) fn check(table: &str, key: Item, condition: &str) -> CoreResult<TransactWriteItem> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition)
        .set_expression_attribute_names(names(&[condition]))
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// A `ConditionCheck` with values; when refused, the cancellation carries the item as
/// it was ([`TxOutcome::Cancelled`]'s `old`), so the caller learns what changed.
pub(super) fn check_returning(
    table: &str,
    key: Item,
    condition: &str,
    values: Vec<(&str, AttributeValue)>,
) -> CoreResult<TransactWriteItem> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition)
        .set_expression_attribute_names(names(&[condition]))
        .set_expression_attribute_values((!values.is_empty()).then(|| values_map(values)))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

pub(super) fn put_request(item: Item) -> CoreResult<WriteRequest> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(build_error)?;
    Ok(WriteRequest::builder().put_request(put).build())
}

pub(super) fn delete_request(key: Item) -> CoreResult<WriteRequest> {
    let delete = DeleteRequest::builder()
        .set_key(Some(key))
        .build()
        .map_err(build_error)?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}

/// How a transaction ended when DynamoDB answered.
pub(super) enum TxOutcome {
    Committed,
    /// Refused. Per item, in request order: `codes`, why (`None` = that item was fine;
    /// see [`ops::cancellation_codes`]), and `old`, the item as it was where an
    /// [`update`] or [`check_returning`] was refused by its condition.
    Cancelled {
        codes: Vec<Option<String>>,
        old: Vec<Option<Item>>,
    },
}

pub(super) async fn transact(
    store: &DynamoStore,
    items: Vec<TransactWriteItem>,
) -> CoreResult<TxOutcome> {
    match store
        .client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
    {
        Ok(_) => Ok(TxOutcome::Committed),
        Err(e) => {
            let Some(codes) = ops::cancellation_codes(&e) else {
                return Err(sdk_error("TransactWriteItems", e));
            };
            let old = match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => c
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.item().cloned())
                    .collect(),
                _ => Vec::new(),
            };
            Ok(TxOutcome::Cancelled { codes, old })
        }
    }
}

/// Item `index` of a cancelled transaction failed its condition.
pub(super) fn failed_condition(codes: &[Option<String>], index: usize) -> bool {
    codes
        .get(index)
        .is_some_and(|c| c.as_deref() == Some("ConditionalCheckFailed"))
}

/// After a cancellation no outcome explains: waits and lets the caller try again when
/// it was a collision with another transaction (up to [`CONFLICT_ROUNDS`], then
/// `Unavailable`), else reports it as an internal error (a condition we did not expect
/// to fail means the stored items disagree with each other).
pub(super) async fn retry_or_give_up(
    what: &str,
    codes: &[Option<String>],
    attempt: u32,
) -> CoreResult<()> {
    if !ops::is_transient_cancellation(codes) {
        return Err(CoreError::Internal(format!(
            "{what}: transaction refused unexpectedly: {codes:?}"
        )));
    }
    if attempt >= CONFLICT_ROUNDS {
        return Err(CoreError::Unavailable(
            "the database is busy; try again shortly".into(),
        ));
    }
    ops::backoff(attempt).await;
    Ok(())
}

impl DynamoStore {
    /// A strongly consistent query for the items of partition `pk` whose sort key starts
    /// with `prefix`, ascending.
    /// One `UpdateItem` of an item that must exist (and meet `condition`, which should
    /// include `attribute_exists(#pk)`); a refused condition is `NotFound(missing)`.
    pub(super) async fn update_existing(
        &self,
        key: Item,
        expression: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
        missing: &str,
    ) -> CoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[expression, condition]))
            .set_expression_attribute_values(Some(values_map(values)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if ops::is_condition_failed(&e) => Err(CoreError::not_found(missing)),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    pub(super) fn prefix_query(&self, pk: &str, prefix: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
    }
}

fn bad(name: &str) -> CoreError {
    CoreError::Internal(format!("stored item has a bad `{name}` attribute"))
}

/// An optional attribute holding an enum's name.
pub(super) fn get_opt_parsed<T>(
    item: &Item,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> CoreResult<Option<T>> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(raw)) => parse(raw).map(Some).ok_or_else(|| bad(name)),
        Some(_) => Err(bad(name)),
    }
}

pub(super) fn get_parsed<T>(
    item: &Item,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> CoreResult<T> {
    get_opt_parsed(item, name, parse)?.ok_or_else(|| bad(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_names_are_collected_once_each() {
        let got = names(&[
            "SET #status = :s, #text = :t",
            "attribute_exists(#pk) AND #status <> :x",
        ])
        .unwrap_or_default();
        let mut keys: Vec<_> = got.keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["#pk", "#status", "#text"]);
        assert_eq!(got.get("#status").map(String::as_str), Some("status"));
        assert_eq!(names(&["ADD counter :one"]), None);
    }

    #[test]
    fn set_and_remove_joins_both_clauses() {
        assert_eq!(
            set_and_remove(&["#a = :a", "#b = :b"], &[]),
            "SET #a = :a, #b = :b"
        );
        assert_eq!(
            set_and_remove(&["#a = :a"], &["#c"]),
            "SET #a = :a REMOVE #c"
        );
    }
}
