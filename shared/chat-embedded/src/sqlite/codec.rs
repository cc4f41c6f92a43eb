//! Column encodings shared by the table modules.
//!
//! - Time: RFC 3339 UTC with exactly nine fractional digits and `Z`
//!   (`2026-03-01T09:30:00.123456789Z`). Fixed width, so text order is time order and
//!   `ORDER BY created_at` / `expires_at <= ?` work on the text; nanoseconds, so a value
//!   read back equals the value written.
//! - Enums: their `as_str`/`parse` helpers where the model has them; otherwise their
//!   serde name (the wire name), so there is one spelling per value.
//! - Ids: parsed on the way out, so corrupt rows surface as errors, not as bad ids.
//!
//! Row readers return `rusqlite::Result` so they compose inside `query_row`/`query_map`;
//! a value that does not decode becomes `FromSqlConversionFailure` naming the column.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Row;
use rusqlite::types::Type;
use serde::Serialize;
use serde::de::DeserializeOwned;

use chat_core::{CoreError, CoreResult};

use crate::error::EmbeddedError;

/// The encoded form of a timestamp.
pub(crate) fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub(crate) fn opt_time(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.as_ref().map(time)
}

/// The serde (wire) name of a unit enum value, e.g. `Visibility::Employees` → `employees`.
pub(crate) fn name<T: Serialize + std::fmt::Debug>(value: &T) -> CoreResult<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(EmbeddedError::Corrupt(format!("{value:?} has no string name")).into()),
    }
}

/// The inverse of [`name`].
pub(crate) fn from_name<T: DeserializeOwned>(raw: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(raw.to_string())).ok()
}

/// JSON text of a value (issues, message `data`).
pub(crate) fn json<T: Serialize>(value: &T, what: &str) -> CoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| CoreError::storage(format!("encode {what} as JSON"), e))
}

fn corrupt(idx: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        Type::Text,
        Box::new(EmbeddedError::Corrupt(what)),
    )
}

fn decode_time(idx: usize, raw: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(idx, format!("time {raw:?}: {e}")))
}

pub(crate) fn get_time(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let raw: String = row.get(idx)?;
    decode_time(idx, &raw)
}

pub(crate) fn get_opt_time(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let raw: Option<String> = row.get(idx)?;
    raw.map(|r| decode_time(idx, &r)).transpose()
}

/// A text column decoded by `parse` (an enum's `parse`, or [`from_name`]).
pub(crate) fn get_parsed<T>(
    row: &Row<'_>,
    idx: usize,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let raw: String = row.get(idx)?;
    parse(&raw).ok_or_else(|| corrupt(idx, format!("unknown value {raw:?}")))
}

pub(crate) fn get_opt_parsed<T>(
    row: &Row<'_>,
    idx: usize,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    let raw: Option<String> = row.get(idx)?;
    raw.map(|r| parse(&r).ok_or_else(|| corrupt(idx, format!("unknown value {r:?}"))))
        .transpose()
}

/// An id column (`UserId`, `RoomId`, …), validated as the core would validate input.
pub(crate) fn get_id<T>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: TryFrom<String, Error = CoreError>,
{
    let raw: String = row.get(idx)?;
    T::try_from(raw).map_err(|e| corrupt(idx, e.to_string()))
}

pub(crate) fn get_opt_id<T>(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<T>>
where
    T: TryFrom<String, Error = CoreError>,
{
    let raw: Option<String> = row.get(idx)?;
    raw.map(|r| T::try_from(r).map_err(|e| corrupt(idx, e.to_string())))
        .transpose()
}

/// A JSON text column.
pub(crate) fn get_json<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let raw: String = row.get(idx)?;
    serde_json::from_str(&raw).map_err(|e| corrupt(idx, format!("JSON: {e}")))
}

pub(crate) fn get_opt_json<T: DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>> {
    let raw: Option<String> = row.get(idx)?;
    raw.map(|r| serde_json::from_str(&r).map_err(|e| corrupt(idx, format!("JSON: {e}"))))
        .transpose()
}

/// An unsigned counter stored as SQLite's signed 64-bit integer.
pub(crate) fn get_u64(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let raw: i64 = row.get(idx)?;
    u64::try_from(raw).map_err(|_| corrupt(idx, format!("negative counter {raw}")))
}

pub(crate) fn get_u32(row: &Row<'_>, idx: usize) -> rusqlite::Result<u32> {
    let raw: i64 = row.get(idx)?;
    u32::try_from(raw).map_err(|_| corrupt(idx, format!("counter out of range {raw}")))
}

/// `u64` → SQLite integer; seqs and sizes never get near `i64::MAX`, but saturate rather
/// than wrap if one ever did.
pub(crate) fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::model::{AccountKind, ContentType, Delivery, MessageStatus, Visibility};
    use chrono::TimeZone;

    #[test]
    fn times_are_fixed_width_and_exact() {
        let t =
            Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap() + chrono::Duration::nanoseconds(5);
        let encoded = time(&t);
        assert_eq!(encoded, "2026-03-01T09:30:00.000000005Z");
        assert_eq!(decode_time(0, &encoded).unwrap(), t);
        let later = time(&(t + chrono::Duration::seconds(1)));
        assert!(later > encoded, "text order is time order");
    }

    #[test]
    fn enum_names_are_the_wire_names() {
        assert_eq!(name(&Delivery::BatchDelay).unwrap(), "batch-delay");
        assert_eq!(name(&Visibility::Employees).unwrap(), "employees");
        assert_eq!(from_name::<ContentType>("graph"), Some(ContentType::Graph));
        assert_eq!(from_name::<MessageStatus>("done"), None);
        assert_eq!(from_name::<AccountKind>("guest"), Some(AccountKind::Guest));
    }
}
