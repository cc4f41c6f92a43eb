//! `InviteStore` on the `invites` table, keyed by the sha256 of the code.
//!
//! Taking an invite is a single `DELETE … RETURNING`, as for tickets: whoever deletes the
//! row wins, so two redeemers (even on other connections) cannot both get in. Expiry is
//! checked against the caller's `now`, and expired rows are swept with the same clock.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use chat_core::CoreResult;
use chat_core::model::Invite;
use chat_core::ports::InviteStore;

use super::codec::{get_id, get_time, time};
use super::{SqliteStore, immediate};

fn read_invite(row: &Row<'_>) -> rusqlite::Result<Invite> {
    Ok(Invite {
        room_id: get_id(row, 0)?,
        issue_id: get_id(row, 1)?,
        created_by: get_id(row, 2)?,
        display_name: row.get(3)?,
        expires_at: get_time(row, 4)?,
    })
}

#[async_trait]
impl InviteStore for SqliteStore {
    async fn put_invite(&self, code_hash: &str, invite: &Invite) -> CoreResult<()> {
        let hash = code_hash.to_string();
        let invite = invite.clone();
        self.run("put invite", move |conn| {
            conn.prepare_cached(
                "INSERT INTO invites (code_hash, room_id, issue_id, created_by, display_name, \
                 expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (code_hash) DO UPDATE SET room_id = excluded.room_id, \
                 issue_id = excluded.issue_id, created_by = excluded.created_by, \
                 display_name = excluded.display_name, expires_at = excluded.expires_at",
            )?
            .execute(params![
                hash,
                invite.room_id.as_str(),
                invite.issue_id.as_str(),
                invite.created_by.as_str(),
                invite.display_name,
                time(&invite.expires_at),
            ])?;
            Ok(())
        })
        .await
    }

    async fn take_invite(&self, code_hash: &str, now: DateTime<Utc>) -> CoreResult<Option<Invite>> {
        let hash = code_hash.to_string();
        self.run("take invite", move |conn| {
            let tx = immediate(conn)?;
            let taken = tx
                .prepare_cached(
                    "DELETE FROM invites WHERE code_hash = ?1 \
                     RETURNING room_id, issue_id, created_by, display_name, expires_at",
                )?
                .query_row([hash], read_invite)
                .optional()?;
            // Housekeeping: invites nobody redeemed would otherwise stay forever.
            tx.prepare_cached("DELETE FROM invites WHERE expires_at <= ?1")?
                .execute([time(&now)])?;
            tx.commit()?;
            Ok(taken.filter(|invite| invite.expires_at > now))
        })
        .await
    }
}
