//! `AuditStore` on the single table: one partition, `AUDIT`, holding a head item
//! (`HEAD`, with `last_seq`) and one item per entry (`ENTRY#{seq:020}`).
//!
//! An append reads the head (`n`), then in one transaction moves it to `n + 1` *on
//! condition it is still `n`* and puts entry `n + 1`. A number is therefore never
//! issued without its entry, never twice, and entries commit in number order — so a
//! reader paging by `after_seq` never skips an entry that commits later with a lower
//! number (DESIGN §3). A lost race re-reads the head and tries again. Nothing here
//! updates or deletes an entry. Requests and costs: `docs/dynamodb.md`, "Audit log".

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use chat_core::model::{AuditEntry, NewAuditEntry};
use chat_core::ports::AuditStore;
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{Item, get_json, get_n, get_opt_id, get_s, get_time, json, key, n, s};
use super::keys::{self, AUDIT_HEAD_SK, AUDIT_PK};
use super::ops::{self, build_error, sdk_error};

/// Rounds of losing the race for the head before giving up as `Unavailable`. Every
/// round some appender wins, so only sustained heavy contention gets there.
const APPEND_ROUNDS: u32 = 64;
/// Smallest `Limit` per page when `since` filters: entries it skips are read anyway,
/// so fewer, larger pages cost the same capacity in fewer requests.
const FILTERED_PAGE_MIN: usize = 100;

const LAST_SEQ: &str = "last_seq";
const SEQ: &str = "seq";
const AT: &str = "at";
const ACTOR: &str = "actor";
const ACTION: &str = "action";
const ROOM_ID: &str = "room_id";
const ISSUE_ID: &str = "issue_id";
const DETAIL: &str = "detail";

fn head_key() -> Item {
    key(AUDIT_PK, AUDIT_HEAD_SK)
}

fn entry_item(seq: u64, entry: &NewAuditEntry) -> CoreResult<Item> {
    let mut item = key(AUDIT_PK, keys::audit_entry_sk(seq));
    item.insert(SEQ.into(), n(seq));
    item.insert(AT.into(), s(keys::ts(&entry.at)));
    item.insert(ACTOR.into(), s(&entry.actor));
    item.insert(ACTION.into(), s(&entry.action));
    if let Some(room) = &entry.room_id {
        item.insert(ROOM_ID.into(), s(room.as_str()));
    }
    if let Some(issue) = &entry.issue_id {
        item.insert(ISSUE_ID.into(), s(issue.as_str()));
    }
    item.insert(DETAIL.into(), json(&entry.detail)?);
    Ok(item)
}

fn read_entry(item: &Item) -> CoreResult<AuditEntry> {
    Ok(AuditEntry {
        seq: get_n(item, SEQ)?,
        entry: NewAuditEntry {
            at: get_time(item, AT)?,
            actor: get_s(item, ACTOR)?.to_string(),
            action: get_s(item, ACTION)?.to_string(),
            room_id: get_opt_id(item, ROOM_ID)?,
            issue_id: get_opt_id(item, ISSUE_ID)?,
            detail: get_json(item, DETAIL)?,
        },
    })
}

/// The newest entry's number (0 for an empty log), strongly consistent.
async fn last_seq(store: &DynamoStore) -> CoreResult<u64> {
    match ops::get_item(&store.client, &store.table, head_key()).await? {
        Some(head) => get_n(&head, LAST_SEQ),
        None => Ok(0),
    }
}

/// The transaction appending entry `last + 1` on condition the head is still `last`.
fn append_items(
    store: &DynamoStore,
    last: u64,
    entry: &NewAuditEntry,
) -> CoreResult<[TransactWriteItem; 2]> {
    let mut head = Update::builder()
        .table_name(&store.table)
        .set_key(Some(head_key()))
        .update_expression("SET #last = :next")
        .expression_attribute_names("#last", LAST_SEQ)
        .expression_attribute_values(":next", n(last + 1));
    head = if last == 0 {
        // The first append creates the head.
        head.condition_expression("attribute_not_exists(pk)")
    } else {
        head.condition_expression("#last = :last")
            .expression_attribute_values(":last", n(last))
    };
    let put = Put::builder()
        .table_name(&store.table)
        .set_item(Some(entry_item(last + 1, entry)?))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(build_error)?;
    Ok([
        TransactWriteItem::builder()
            .update(head.build().map_err(build_error)?)
            .build(),
        TransactWriteItem::builder().put(put).build(),
    ])
}

/// Why an append's transaction was cancelled, as far as the next round cares.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// The head moved, another transaction held an item, or DynamoDB asked us to slow
    /// down: re-read the head and try again.
    LostRace,
    /// Only the entry's condition failed: either the head moved as well (and the
    /// service reported just the entry), or an entry exists beyond the head. The
    /// re-read head tells which.
    EntryExists,
    /// Anything else: not worth retrying.
    Other,
}

fn refusal(codes: &[Option<String>]) -> Refusal {
    let failed = |i: usize| {
        codes
            .get(i)
            .is_some_and(|c| c.as_deref() == Some("ConditionalCheckFailed"))
    };
    if failed(0) || ops::is_transient_cancellation(codes) {
        Refusal::LostRace
    } else if failed(1) {
        Refusal::EntryExists
    } else {
        Refusal::Other
    }
}

#[async_trait]
impl AuditStore for DynamoStore {
    async fn append_audit(&self, entry: &NewAuditEntry) -> CoreResult<AuditEntry> {
        let mut last = last_seq(self).await?;
        for attempt in 1..=APPEND_ROUNDS {
            let [head, put] = append_items(self, last, entry)?;
            let sent = self
                .client
                .transact_write_items()
                .transact_items(head)
                .transact_items(put)
                .send()
                .await;
            let err = match sent {
                Ok(_) => {
                    return Ok(AuditEntry {
                        seq: last + 1,
                        entry: entry.clone(),
                    });
                }
                Err(e) => e,
            };
            let seen = last;
            match ops::cancellation_codes(&err).map(|codes| refusal(&codes)) {
                Some(Refusal::LostRace) => {
                    ops::backoff(attempt).await;
                    last = last_seq(self).await?;
                }
                Some(Refusal::EntryExists) => {
                    last = last_seq(self).await?;
                    // The head still says `seen` yet entry `seen + 1` exists: the log
                    // is inconsistent and retrying would loop. Never expected, since
                    // the two are only ever written together.
                    if last == seen {
                        return Err(CoreError::Internal(format!(
                            "audit entry {} exists beyond the head",
                            seen + 1
                        )));
                    }
                    ops::backoff(attempt).await;
                }
                _ => return Err(sdk_error("TransactWriteItems", err)),
            }
        }
        Err(CoreError::Unavailable(
            "the audit log is busy; try again shortly".into(),
        ))
    }

    async fn audit_page(
        &self,
        after_seq: u64,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> CoreResult<Vec<AuditEntry>> {
        let Some(first) = after_seq.checked_add(1) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        // A range on the entries only: `HEAD` sorts after every `ENTRY#`, so an open
        // `sk > …` would return it too.
        let mut page = limit.saturating_add(1);
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
            .expression_attribute_values(":pk", s(AUDIT_PK))
            .expression_attribute_values(":first", s(keys::audit_entry_sk(first)))
            .expression_attribute_values(":last", s(keys::audit_entry_sk(u64::MAX)))
            .scan_index_forward(true);
        if let Some(since) = since {
            // Times are stored sortable, so the filter is a string comparison. It runs
            // after `Limit`; `query_until` keeps reading until the page is full.
            page = page.max(FILTERED_PAGE_MIN);
            query = query
                .filter_expression("#at >= :since")
                .expression_attribute_names("#at", AT)
                .expression_attribute_values(":since", s(keys::ts(&since)));
        }
        let query = query.limit(i32::try_from(page).unwrap_or(i32::MAX));
        let (items, _) = ops::query_until(query, limit, |_| true).await?;
        items.iter().map(read_entry).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_head_or_a_conflict_is_a_lost_race() {
        let code = |c: &str| Some(c.to_string());
        let ccf = code("ConditionalCheckFailed");
        assert_eq!(refusal(&[ccf.clone(), None]), Refusal::LostRace);
        assert_eq!(refusal(&[ccf.clone(), ccf.clone()]), Refusal::LostRace);
        assert_eq!(
            refusal(&[code("TransactionConflict"), None]),
            Refusal::LostRace
        );
        assert_eq!(refusal(&[None, ccf]), Refusal::EntryExists);
        assert_eq!(refusal(&[code("ValidationError"), None]), Refusal::Other);
    }
}
