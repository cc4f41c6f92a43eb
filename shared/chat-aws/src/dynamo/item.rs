//! Reading and writing attribute values: the small conversions every item codec uses.
//!
//! Items are plain `HashMap<String, AttributeValue>`; codecs in each module build them
//! with [`s`]/[`n`] and read them back with [`get_s`]/[`get_n`], which turn a missing or
//! mistyped attribute into a storage error naming it (a corrupt item is our bug, never
//! the client's).

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chat_core::CoreError;
use chrono::{DateTime, Utc};

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn bool(value: bool) -> AttributeValue {
    AttributeValue::Bool(value)
}

fn corrupt(name: &str, what: &str) -> CoreError {
    CoreError::Internal(format!("stored item has a bad `{name}` attribute: {what}"))
}

pub fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, CoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        Some(_) => Err(corrupt(name, "not a string")),
        None => Err(corrupt(name, "missing")),
    }
}

pub fn get_opt_s<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, CoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(v)) => Ok(Some(v)),
        Some(_) => Err(corrupt(name, "not a string")),
    }
}

pub fn get_n<T: FromStr>(item: &Item, name: &str) -> Result<T, CoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| corrupt(name, "not a number")),
        Some(_) => Err(corrupt(name, "not a number")),
        None => Err(corrupt(name, "missing")),
    }
}

pub fn get_bool(item: &Item, name: &str) -> Result<bool, CoreError> {
    match item.get(name) {
        Some(AttributeValue::Bool(v)) => Ok(*v),
        Some(_) => Err(corrupt(name, "not a boolean")),
        None => Err(corrupt(name, "missing")),
    }
}

/// A timestamp stored with [`super::keys::ts`].
pub fn get_time(item: &Item, name: &str) -> Result<DateTime<Utc>, CoreError> {
    let raw = get_s(item, name)?;
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| corrupt(name, "not an RFC 3339 time"))
}

pub fn get_opt_time(item: &Item, name: &str) -> Result<Option<DateTime<Utc>>, CoreError> {
    match get_opt_s(item, name)? {
        None => Ok(None),
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| corrupt(name, "not an RFC 3339 time")),
    }
}

/// A serde value stored as a JSON string (nested structures: message data, issue
/// history, audit details). JSON keeps the item codec short and the shape identical
/// to the wire's.
pub fn json<T: serde::Serialize>(value: &T) -> Result<AttributeValue, CoreError> {
    serde_json::to_string(value)
        .map(AttributeValue::S)
        .map_err(|e| CoreError::Internal(format!("cannot encode item: {e}")))
}

pub fn get_json<T: serde::de::DeserializeOwned>(item: &Item, name: &str) -> Result<T, CoreError> {
    serde_json::from_str(get_s(item, name)?).map_err(|e| corrupt(name, &e.to_string()))
}

/// An id newtype (`UserId`, `RoomId`, …) stored as a string; an invalid one is corrupt.
pub fn get_id<T: TryFrom<String>>(item: &Item, name: &str) -> Result<T, CoreError> {
    T::try_from(get_s(item, name)?.to_string()).map_err(|_| corrupt(name, "not a valid id"))
}

pub fn get_opt_id<T: TryFrom<String>>(item: &Item, name: &str) -> Result<Option<T>, CoreError> {
    get_opt_s(item, name)?
        .map(|raw| T::try_from(raw.to_string()).map_err(|_| corrupt(name, "not a valid id")))
        .transpose()
}

/// An item's primary key (`pk`, `sk`), for `GetItem`/`UpdateItem`/`DeleteItem`.
pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    Item::from([
        (super::keys::PK.to_string(), s(pk)),
        (super::keys::SK.to_string(), s(sk)),
    ])
}
