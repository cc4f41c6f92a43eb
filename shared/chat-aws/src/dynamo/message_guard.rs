//! A `message.send` checked inside its own transaction ([`GuardedAppend`]): besides the
//! room's counter move and the message's items (`message_batch.rs`), the transaction
//! holds three `ConditionCheck`s, so a send needs no read of the room, the membership
//! or (with a warm hint) the user:
//!
//! 1. the connection item exists (`CONN#{id}` / `CONN`): a disconnect, or a revoke that
//!    closed the socket, refuses the send;
//! 2. the user item still is the user the message was built from (enabled, on the
//!    connection's token version, same kind, display name and guest scope), so a
//!    revoked or disabled user's send fails in the transaction, and a renamed one is
//!    rebuilt; a refusal hands back the stored user;
//! 3. the author's membership item exists (`ROOM#{room}` / `MEMBER#{author}`).
//!
//! The room's own condition becomes `last_seq = n AND status = open` (one item may
//! appear only once in a transaction). DynamoDB names the failed items of a cancelled
//! transaction, so the refusal stays precise; see [`GuardedAppend::append_guarded`] for
//! which one wins when several fail.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::TransactWriteItem;

use chat_core::CoreResult;
use chat_core::model::NewMessage;
use chat_core::ports::{
    Appended, AppendedAll, CheckedAppend, GuardedAppend, SendGuard, SendRefusal,
};

use super::DynamoStore;
use super::item::{Item, key};
use super::keys;
use super::members::member_key;
use super::message_batch::BatchOutcome;
use super::messages::one;
use super::requests::{check, check_returning, failed_condition};
use super::users::{read_user, unchanged_for_send, user_key};

/// The checks' places after the message items: connection, user, membership.
const CONNECTION_CHECK: usize = 0;
const USER_CHECK: usize = 1;
const MEMBER_CHECK: usize = 2;

impl DynamoStore {
    /// The three `ConditionCheck`s of a guarded send, in the order above.
    pub(super) fn guard_items(
        &self,
        room: &str,
        author: &str,
        guard: &SendGuard<'_>,
    ) -> CoreResult<Vec<TransactWriteItem>> {
        let connection = guard.connection;
        let (unchanged, values) = unchanged_for_send(guard.user, connection.token_version);
        Ok(vec![
            check(
                &self.table,
                key(
                    keys::connection(connection.id.as_str()),
                    keys::CONNECTION_SK,
                ),
                "attribute_exists(#pk)",
            )?,
            check_returning(
                &self.table,
                user_key(guard.user.identity.user_id.as_str()),
                &unchanged,
                values,
            )?,
            check(
                &self.table,
                member_key(room, author),
                "attribute_exists(#pk)",
            )?,
        ])
    }

    /// The refusal a cancelled guarded send's checks (placed from `at`) call for, if
    /// any: the connection first, then the user, then the membership.
    pub(super) fn guard_refusal(
        &self,
        codes: &[Option<String>],
        old: &mut [Option<Item>],
        at: usize,
    ) -> CoreResult<Option<SendRefusal>> {
        if failed_condition(codes, at + CONNECTION_CHECK) {
            return Ok(Some(SendRefusal::ConnectionGone));
        }
        if failed_condition(codes, at + USER_CHECK) {
            let stored = old
                .get_mut(at + USER_CHECK)
                .and_then(Option::take)
                .as_ref()
                .map(read_user)
                .transpose()?;
            if let Some(user) = &stored {
                self.hints.saw_user(user);
            }
            return Ok(Some(SendRefusal::UserChanged(stored.map(Box::new))));
        }
        if failed_condition(codes, at + MEMBER_CHECK) {
            return Ok(Some(SendRefusal::NotAMember));
        }
        Ok(None)
    }
}

#[async_trait]
impl GuardedAppend for DynamoStore {
    /// Refusals, first match wins: connection gone, user changed, not a member (or no
    /// room), then a resend (the original, as `Appended::Existing`), then room closed.
    /// A stale `last_seq` hint is not a refusal: the room handed back is retried.
    async fn append_guarded(
        &self,
        message: &NewMessage,
        guard: &SendGuard<'_>,
    ) -> CoreResult<CheckedAppend> {
        let batch = std::slice::from_ref(message);
        Ok(match self.append_batch(batch, Some(guard)).await? {
            BatchOutcome::Done(AppendedAll::Created(mut m)) => Ok(Appended::Created(one(&mut m)?)),
            BatchOutcome::Done(AppendedAll::Existing(mut m)) => {
                Ok(Appended::Existing(one(&mut m)?))
            }
            BatchOutcome::Refused(refusal) => Err(refusal),
        })
    }
}
