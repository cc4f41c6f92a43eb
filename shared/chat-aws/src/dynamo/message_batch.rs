//! Appending: one or several messages numbered in one transaction (`append_message` is
//! a batch of one).
//!
//! The scheme of `messages.rs`'s module doc, for k messages: read the room's
//! `last_seq` = n, then one transaction moves it to n + k on condition it is still n and
//! puts messages n + 1 … n + k with their id pointers and client-id pointers (each on
//! condition it does not exist). A robot request and its response therefore appear
//! together or not at all, with nothing between them. The first message's client-id
//! pointer failing its condition marks a resend: the originals are read back through
//! each message's own client-id pointer.

use aws_sdk_dynamodb::types::TransactWriteItem;

use chat_core::model::{Message, NewMessage};
use chat_core::ports::{AppendedAll, batch_room};
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{get_n, n, s};
use super::keys;
use super::messages::{message_item, seq_pointer};
use super::ops;
use super::requests::{TxOutcome, failed_condition, put, transact, update};
use super::rooms::{LAST_SEQ, room_key};

/// Rounds of trying again after losing a race. With many writers in one busy room each
/// loses a few before its turn: 8 writers appending flat out needed at most 20.
const APPEND_ROUNDS: u32 = 64;
/// The longest pause between rounds, as an `ops::backoff` step: 80–160 ms.
const BACKOFF_CAP: u32 = 5;
/// Transaction item order: the room first, then per message its item, id pointer and
/// (when it has one) client-id pointer.
const ROOM_ITEM: usize = 0;
/// The first message's client-id pointer: room, message, id pointer, then it.
const FIRST_CLIENT_ID_ITEM: usize = 3;

impl DynamoStore {
    pub(super) async fn append_batch(&self, batch: &[NewMessage]) -> CoreResult<AppendedAll> {
        let room = batch_room(batch)?.as_str();
        let mut seen = None;
        for attempt in 1..=APPEND_ROUNDS {
            let room_item = match seen.take() {
                Some(item) => item,
                None => ops::get_item(&self.client, &self.table, room_key(room))
                    .await?
                    .ok_or_else(|| CoreError::not_found("no such room"))?,
            };
            let last: u64 = get_n(&room_item, LAST_SEQ)?;
            let numbered: Vec<Message> = batch
                .iter()
                .zip(1..)
                .map(|(m, i)| m.clone().with_seq(last + i))
                .collect();
            let (codes, mut old) = match transact(self, self.batch_items(&numbered, last)?).await? {
                TxOutcome::Committed => return Ok(AppendedAll::Created(numbered)),
                TxOutcome::Cancelled { codes, old } => (codes, old),
            };
            if batch[0].client_msg_id.is_some() && failed_condition(&codes, FIRST_CLIENT_ID_ITEM) {
                return self.originals(room, batch).await.map(AppendedAll::Existing);
            }
            if failed_condition(&codes, ROOM_ITEM) {
                if attempt == 1 {
                    seen = old.get_mut(ROOM_ITEM).and_then(Option::take);
                    continue;
                }
            } else if !ops::is_transient_cancellation(&codes) {
                return Err(CoreError::Internal(format!(
                    "append_messages: transaction refused unexpectedly: {codes:?}"
                )));
            }
            ops::backoff(attempt.min(BACKOFF_CAP)).await;
        }
        Err(CoreError::Unavailable(
            "the room is too busy; try again shortly".into(),
        ))
    }

    fn batch_items(&self, numbered: &[Message], last: u64) -> CoreResult<Vec<TransactWriteItem>> {
        let Some(newest) = numbered.last() else {
            return Err(CoreError::Internal(
                "append_messages: an empty batch".into(),
            ));
        };
        let room = newest.room_id.as_str();
        let mut items = vec![update(
            &self.table,
            room_key(room),
            "SET #last_seq = :next, #last_message_at = :at",
            Some("#last_seq = :last"),
            vec![
                (":next", n(newest.seq)),
                (":at", s(keys::ts(&newest.created_at))),
                (":last", n(last)),
            ],
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
