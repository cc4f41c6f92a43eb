//! `AuditStore` on the `audit` table, keyed by `seq`.
//!
//! `append_audit` reads `MAX(seq)` and inserts `MAX + 1` in one `BEGIN IMMEDIATE`
//! transaction: the write lock orders appenders (in this process and in others on the
//! same file), so seqs are gapless and in commit order, and a reader paging by
//! `after_seq` never skips an entry that commits later with a lower seq. Nothing here
//! updates or deletes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

use chat_core::CoreResult;
use chat_core::model::{AuditEntry, NewAuditEntry};
use chat_core::ports::AuditStore;

use super::codec::{get_json, get_opt_id, get_time, get_u64, int, json, time};
use super::{SqliteStore, immediate};

const COLUMNS: &str = "seq, at, actor, action, room_id, issue_id, detail";

fn read_entry(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: get_u64(row, 0)?,
        entry: NewAuditEntry {
            at: get_time(row, 1)?,
            actor: row.get(2)?,
            action: row.get(3)?,
            room_id: get_opt_id(row, 4)?,
            issue_id: get_opt_id(row, 5)?,
            detail: get_json(row, 6)?,
        },
    })
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, entry: &NewAuditEntry) -> CoreResult<AuditEntry> {
        let entry = entry.clone();
        let detail = json(&entry.detail, "audit detail")?;
        self.run("append audit entry", move |conn| {
            let tx = immediate(conn)?;
            let seq: i64 = tx
                .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit")?
                .query_row([], |row| row.get(0))?;
            tx.prepare_cached(&format!(
                "INSERT INTO audit ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))?
            .execute(params![
                seq,
                time(&entry.at),
                entry.actor,
                entry.action,
                entry.room_id.as_ref().map(|r| r.as_str()),
                entry.issue_id.as_ref().map(|i| i.as_str()),
                detail,
            ])?;
            tx.commit()?;
            Ok(AuditEntry {
                seq: seq.unsigned_abs(),
                entry,
            })
        })
        .await
    }

    async fn audit_page(
        &self,
        after_seq: u64,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> CoreResult<Vec<AuditEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run("read audit page", move |conn| {
            let entries = match since {
                Some(since) => {
                    let sql = format!(
                        "SELECT {COLUMNS} FROM audit WHERE seq > ?1 AND at >= ?2 \
                         ORDER BY seq LIMIT ?3"
                    );
                    let mut stmt = conn.prepare_cached(&sql)?;
                    stmt.query_map(params![int(after_seq), time(&since), limit], read_entry)?
                        .collect::<Result<Vec<_>, _>>()?
                }
                None => {
                    let sql =
                        format!("SELECT {COLUMNS} FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2");
                    let mut stmt = conn.prepare_cached(&sql)?;
                    stmt.query_map(params![int(after_seq), limit], read_entry)?
                        .collect::<Result<Vec<_>, _>>()?
                }
            };
            Ok(entries)
        })
        .await
    }
}
