//! Appending: one or several messages numbered in one transaction (`append_message` is
//! a batch of one; a guarded send is a batch of one with its checks, `message_guard.rs`).
//!
//! The scheme of `messages.rs`'s module doc, for k messages: take the room's
//! `last_seq` = n (the process's hint, else a consistent read), then one transaction
//! moves it to n + k on condition it is still n and puts messages n + 1 … n + k with
//! their id pointers and client-id pointers (each on condition it does not exist). A
//! robot request and its response therefore appear together or not at all, with
//! nothing between them. The first message's client-id pointer failing its condition
//! marks a resend: the originals are read back through each message's own client-id
//! pointer. A refused room condition hands back the room as it is, whose `last_seq`
//! is the next attempt's n (and the new hint).

use aws_sdk_dynamodb::types::TransactWriteItem;

use chat_core::model::{Message, NewMessage, RoomStatus};
use chat_core::ports::{AppendedAll, SendGuard, SendRefusal, batch_room};
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{Item, get_n, get_s, n, s};
use super::keys;
use super::messages::{message_item, seq_pointer};
use super::ops;
use super::requests::{TxOutcome, failed_condition, put, transact, update};
use super::rooms::{LAST_SEQ, STATUS, room_key};

/// Rounds of trying again after losing a race. With many writers in one busy room each
/// loses a few before its turn: 8 writers appending flat out needed at most 20.
const APPEND_ROUNDS: u32 = 64;
/// The longest pause between rounds, as an `ops::backoff` step: 80–160 ms.
const BACKOFF_CAP: u32 = 5;
/// Attempts that may retry at once with the `last_seq` a refusal handed back: the first
/// (its n may have been a stale hint) and the second (a lost race). Later ones pause
/// and read the room, so an append that keeps losing is not starved by newcomers.
const PROMPT_RETRIES: u32 = 2;
/// Transaction item order: the room first, then per message its item, id pointer and
/// (when it has one) client-id pointer, then a guarded send's checks.
const ROOM_ITEM: usize = 0;
/// The first message's client-id pointer: room, message, id pointer, then it.
const FIRST_CLIENT_ID_ITEM: usize = 3;

/// How a batch ended when it did not fail.
pub(super) enum BatchOutcome {
    Done(AppendedAll),
    /// A guarded send whose checks did not hold; nothing was written.
    Refused(SendRefusal),
}

impl DynamoStore {
    /// Appends `batch`; with `guard`, only while it holds (checked in the same
    /// transaction, see `message_guard.rs`).
    pub(super) async fn append_batch(
        &self,
        batch: &[NewMessage],
        guard: Option<&SendGuard<'_>>,
    ) -> CoreResult<BatchOutcome> {
        let room = batch_room(batch)?.as_str();
        let mut known = self.hints.last_seq(room);
        for attempt in 1..=APPEND_ROUNDS {
            let last = match known.take() {
                Some(last) => last,
                None => match ops::get_item(&self.client, &self.table, room_key(room)).await? {
                    Some(item) => get_n(&item, LAST_SEQ)?,
                    // A guarded send lets the transaction's refusal decide what the sender
                    // learns (a revoked user is refused as such, not told the room's fate).
                    None if guard.is_some() => 0,
                    None => return Err(CoreError::not_found("no such room")),
                },
            };
            let numbered: Vec<Message> = batch
                .iter()
                .zip(1..)
                .map(|(m, i)| m.clone().with_seq(last + i))
                .collect();
            let mut items = self.batch_items(&numbered, last, guard.is_some())?;
            let guard_at = items.len();
            if let Some(g) = guard {
                items.extend(self.guard_items(room, &batch[0].author.id, g)?);
            }
            let (codes, mut old) = match transact(self, items).await? {
                TxOutcome::Committed => {
                    self.hints.saw_last_seq(room, last + numbered.len() as u64);
                    return Ok(BatchOutcome::Done(AppendedAll::Created(numbered)));
                }
                TxOutcome::Cancelled { codes, old } => (codes, old),
            };
            if guard.is_some() {
                if let Some(refusal) = self.guard_refusal(&codes, &mut old, guard_at)? {
                    return Ok(BatchOutcome::Refused(refusal));
                }
            }
            let room_refused = failed_condition(&codes, ROOM_ITEM);
            let room_now = old.get_mut(ROOM_ITEM).and_then(Option::take);
            if room_refused && room_now.is_none() {
                return match guard {
                    Some(_) => Ok(BatchOutcome::Refused(SendRefusal::NotAMember)),
                    None => Err(CoreError::not_found("no such room")),
                };
            }
            if batch[0].client_msg_id.is_some() && failed_condition(&codes, FIRST_CLIENT_ID_ITEM) {
                let originals = self.originals(room, batch).await?;
                return Ok(BatchOutcome::Done(AppendedAll::Existing(originals)));
            }
            match room_now.filter(|_| room_refused) {
                Some(now) => {
                    if guard.is_some() && !is_open(&now)? {
                        return Ok(BatchOutcome::Refused(SendRefusal::RoomClosed));
                    }
                    let last = get_n(&now, LAST_SEQ)?;
                    self.hints.saw_last_seq(room, last);
                    if attempt <= PROMPT_RETRIES {
                        known = Some(last);
                        continue;
                    }
                }
                None if !ops::is_transient_cancellation(&codes) => {
                    return Err(CoreError::Internal(format!(
                        "append_messages: transaction refused unexpectedly: {codes:?}"
                    )));
                }
                None => {}
            }
            ops::backoff(attempt.min(BACKOFF_CAP)).await;
        }
        Err(CoreError::Unavailable(
            "the room is too busy; try again shortly".into(),
        ))
    }

    /// The room's counter move (on condition it is still `last`; for a send, also that
    /// the room is open) and every message's items.
    fn batch_items(
        &self,
        numbered: &[Message],
        last: u64,
        must_be_open: bool,
    ) -> CoreResult<Vec<TransactWriteItem>> {
        let Some(newest) = numbered.last() else {
            return Err(CoreError::Internal(
                "append_messages: an empty batch".into(),
            ));
        };
        let room = newest.room_id.as_str();
        let mut values = vec![
            (":next", n(newest.seq)),
            (":at", s(keys::ts(&newest.created_at))),
            (":last", n(last)),
        ];
        let condition = if must_be_open {
            values.push((":open", s(RoomStatus::Open.as_str())));
            "#last_seq = :last AND #status = :open"
        } else {
            "#last_seq = :last"
        };
        let mut items = vec![update(
            &self.table,
            room_key(room),
            "SET #last_seq = :next, #last_message_at = :at",
            Some(condition),
            values,
        )?];
        for m in numbered {
            items.push(put(
                &self.table,
                message_item(m)?,
                Some("attribute_not_exists(#pk)"),
            )?);
            items.push(put(
                &self.table,
                seq_pointer(room, keys::message_id_sk(m.id.as_str()), m.seq),
                None,
            )?);
            if let Some(cmid) = &m.client_msg_id {
                let sk = keys::client_msg_sk(&m.author.id, cmid.as_str());
                items.push(put(
                    &self.table,
                    seq_pointer(room, sk, m.seq),
                    Some("attribute_not_exists(#pk)"),
                )?);
            }
        }
        Ok(items)
    }

    /// A resent batch: each message as first committed, found by its client id.
    async fn originals(&self, room: &str, batch: &[NewMessage]) -> CoreResult<Vec<Message>> {
        let mut found = Vec::with_capacity(batch.len());
        for m in batch {
            let cmid = m
                .client_msg_id
                .as_ref()
                .ok_or_else(|| CoreError::Internal("a resent batch is incomplete".into()))?;
            let sk = keys::client_msg_sk(&m.author.id, cmid.as_str());
            found.push(
                self.message_by_pointer(room, sk)
                    .await?
                    .ok_or_else(|| CoreError::Internal("a resent batch is incomplete".into()))?,
            );
        }
        Ok(found)
    }
}

/// The stored room (as a refusal handed it back) is open.
fn is_open(room: &Item) -> CoreResult<bool> {
    Ok(get_s(room, STATUS)? == RoomStatus::Open.as_str())
}
