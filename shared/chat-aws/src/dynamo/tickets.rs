//! `TicketStore` and `InviteStore` on the single table: single-use secrets stored under
//! the sha256 of the secret (`TICKET#{hash}`, `INVITE#{hash}`).
//!
//! Taking one is a single conditional `DeleteItem` returning the old item: whoever
//! deletes it wins, so concurrent takers (on any Lambda) cannot both succeed. The
//! condition compares the exact stored `expires_at` with the caller's `now` — TTL
//! (`expires`, rounded up) only cleans up later, because DynamoDB deletes expired
//! items lazily. Requests and costs: `docs/dynamodb.md`, "Tickets and invites".

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};

use chat_core::CoreResult;
use chat_core::ids::UserId;
use chat_core::model::Invite;
use chat_core::ports::{InviteStore, TicketStore};

use super::DynamoStore;
use super::item::{Item, get_id, get_opt_s, get_time, key, n, s};
use super::keys::{self, EXPIRES};
use super::ops::{is_condition_failed, sdk_error};

const USER_ID: &str = "user_id";
const EXPIRES_AT: &str = "expires_at";
const ROOM_ID: &str = "room_id";
const ISSUE_ID: &str = "issue_id";
const CREATED_BY: &str = "created_by";
const DISPLAY_NAME: &str = "display_name";

/// `expires_at` in epoch seconds, rounded up so TTL never removes a secret before its
/// exact expiry.
fn ttl(expires_at: &DateTime<Utc>) -> i64 {
    let secs = expires_at.timestamp();
    if expires_at.timestamp_subsec_nanos() > 0 {
        secs + 1
    } else {
        secs
    }
}

/// A secret's item: its key, the exact expiry and the TTL attribute.
fn secret_item(key: Item, expires_at: &DateTime<Utc>) -> Item {
    let mut item = key;
    item.insert(EXPIRES_AT.into(), s(keys::ts(expires_at)));
    item.insert(EXPIRES.into(), n(ttl(expires_at)));
    item
}

/// Stores a secret. Unconditional: a second put for the same hash replaces the first.
async fn put_secret(store: &DynamoStore, item: Item) -> CoreResult<()> {
    store
        .client
        .put_item()
        .table_name(&store.table)
        .set_item(Some(item))
        .send()
        .await
        .map_err(|e| sdk_error("PutItem", e))?;
    Ok(())
}

/// Deletes the secret if it is there and unexpired at `now`, returning what it held.
/// A refused condition (taken, unknown or expired) is `None`.
async fn take_secret(
    store: &DynamoStore,
    key: Item,
    now: &DateTime<Utc>,
) -> CoreResult<Option<Item>> {
    let taken = store
        .client
        .delete_item()
        .table_name(&store.table)
        .set_key(Some(key))
        // RFC 3339 with nine fraction digits compares as a string in time order.
        .condition_expression("attribute_exists(pk) AND #exp > :now")
        .expression_attribute_names("#exp", EXPIRES_AT)
        .expression_attribute_values(":now", s(keys::ts(now)))
        .return_values(ReturnValue::AllOld)
        .send()
        .await;
    match taken {
        Ok(out) => Ok(out.attributes),
        Err(e) if is_condition_failed(&e) => Ok(None),
        Err(e) => Err(sdk_error("DeleteItem", e)),
    }
}

#[async_trait]
impl TicketStore for DynamoStore {
    async fn put_ticket(
        &self,
        ticket_hash: &str,
        user: &UserId,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        let mut item = secret_item(key(keys::ticket(ticket_hash), keys::TICKET_SK), &expires_at);
        item.insert(USER_ID.into(), s(user.as_str()));
        put_secret(self, item).await
    }

    async fn take_ticket(
        &self,
        ticket_hash: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<Option<UserId>> {
        let key = key(keys::ticket(ticket_hash), keys::TICKET_SK);
        match take_secret(self, key, &now).await? {
            Some(item) => Ok(Some(get_id(&item, USER_ID)?)),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl InviteStore for DynamoStore {
    async fn put_invite(&self, code_hash: &str, invite: &Invite) -> CoreResult<()> {
        let mut item = secret_item(
            key(keys::invite(code_hash), keys::INVITE_SK),
            &invite.expires_at,
        );
        item.insert(ROOM_ID.into(), s(invite.room_id.as_str()));
        item.insert(ISSUE_ID.into(), s(invite.issue_id.as_str()));
        item.insert(CREATED_BY.into(), s(invite.created_by.as_str()));
        if let Some(name) = &invite.display_name {
            item.insert(DISPLAY_NAME.into(), s(name));
        }
        put_secret(self, item).await
    }

    async fn take_invite(&self, code_hash: &str, now: DateTime<Utc>) -> CoreResult<Option<Invite>> {
        let key = key(keys::invite(code_hash), keys::INVITE_SK);
        let Some(item) = take_secret(self, key, &now).await? else {
            return Ok(None);
        };
        Ok(Some(Invite {
            room_id: get_id(&item, ROOM_ID)?,
            issue_id: get_id(&item, ISSUE_ID)?,
            created_by: get_id(&item, CREATED_BY)?,
            display_name: get_opt_s(&item, DISPLAY_NAME)?.map(str::to_string),
            expires_at: get_time(&item, EXPIRES_AT)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ttl_rounds_up_to_the_next_second() {
        let whole = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(ttl(&whole), whole.timestamp());
        let later = whole + chrono::Duration::nanoseconds(1);
        assert_eq!(ttl(&later), whole.timestamp() + 1);
    }
}
