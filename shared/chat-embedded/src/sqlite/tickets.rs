//! `TicketStore` on the `tickets` table.
//!
//! Taking a ticket is a single `DELETE … RETURNING`: whoever deletes the row wins, so
//! concurrent takers (even on other connections) cannot both succeed. Expiry is checked
//! against the caller's `now`, and expired rows are swept with the same clock, so the
//! store never reads a clock of its own.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use chat_core::CoreResult;
use chat_core::ids::UserId;
use chat_core::ports::TicketStore;

use super::codec::{get_id, get_time, time};
use super::{SqliteStore, immediate};

#[async_trait]
impl TicketStore for SqliteStore {
    async fn put_ticket(
        &self,
        ticket_hash: &str,
        user: &UserId,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        let hash = ticket_hash.to_string();
        let user = user.clone();
        self.run("put ticket", move |conn| {
            conn.prepare_cached(
                "INSERT INTO tickets (ticket_hash, user_id, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (ticket_hash) DO UPDATE SET user_id = excluded.user_id, \
                 expires_at = excluded.expires_at",
            )?
            .execute(params![hash, user.as_str(), time(&expires_at)])?;
            Ok(())
        })
        .await
    }

    async fn take_ticket(
        &self,
        ticket_hash: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<Option<UserId>> {
        let hash = ticket_hash.to_string();
        self.run("take ticket", move |conn| {
            let tx = immediate(conn)?;
            let taken: Option<(UserId, DateTime<Utc>)> = tx
                .prepare_cached(
                    "DELETE FROM tickets WHERE ticket_hash = ?1 RETURNING user_id, expires_at",
                )?
                .query_row([hash], |row| Ok((get_id(row, 0)?, get_time(row, 1)?)))
                .optional()?;
            // Housekeeping: tickets nobody redeemed would otherwise stay forever.
            tx.prepare_cached("DELETE FROM tickets WHERE expires_at <= ?1")?
                .execute([time(&now)])?;
            tx.commit()?;
            Ok(taken
                .filter(|(_, expires_at)| *expires_at > now)
                .map(|(user, _)| user))
        })
        .await
    }
}
