//! Room membership on the single table: the guest-never-alone rule as transaction
//! conditions on the room's member counters.
//!
//! A membership is two items written together: the **member** (`ROOM#{room}` /
//! `MEMBER#{member}`, what `members` lists) and the **room of member** copy
//! (`MEMBER#{member}` / `ROOM#{created}#{room}`, what `rooms_of` lists newest first). The
//! room item counts its `employees` and `guests` (robots are neither), and every
//! membership change updates the count in the same transaction, under a condition:
//!
//! - a guest joins only if `employees > 0`;
//! - an employee leaves only if `guests = 0 OR employees > 1`.
//!
//! Both conditions sit on the one room item, so DynamoDB serialises a guest joining
//! against the last employee leaving (and two employees leaving at once): whichever
//! commits second sees the first's count and is refused.
//!
//! After the membership commits, the member's open connections are copied into (or
//! removed from) the room's audience ([`super::connections`]).

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};

use chat_core::ids::RoomId;
use chat_core::model::{Member, ParticipantKind, Room, Tier};
use chat_core::ports::{Addition, Removal};
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{Item, get_opt_s, get_s, get_time, key, n, s};
use super::keys;
use super::ops;
use super::requests::{
    TxOutcome, check, delete, failed_condition, get_parsed, put, retry_or_give_up, transact, update,
};
use super::rooms::{ROOM_ID, room_key};

const MEMBER_ID: &str = "member_id";
const KIND: &str = "kind";
const DISPLAY_NAME: &str = "display_name";
const TIER: &str = "tier";
const JOINED_AT: &str = "joined_at";
/// The room's creation time, kept on the member so removal can name the
/// room-of-member copy's key (`ROOM#{created}#{room}`) without reading the room.
const ROOM_CREATED_AT: &str = "room_created_at";

/// Transaction item order in `add_member` / `remove_member`.
const MEMBER_ITEM: usize = 0;
const ROOM_ITEM: usize = 2;

pub(super) fn member_key(room: &str, member: &str) -> Item {
    key(keys::room(room), keys::member_sk(member))
}

fn room_of_member_key(member: &str, room: &str, room_created: &DateTime<Utc>) -> Item {
    key(
        keys::member(member),
        keys::room_of_member_sk(room_created, room),
    )
}

fn member_item(room: &Room, m: &Member) -> Item {
    let mut item = member_key(room.id.as_str(), &m.id);
    item.insert(MEMBER_ID.into(), s(&m.id));
    item.insert(KIND.into(), s(m.kind.as_str()));
    item.insert(DISPLAY_NAME.into(), s(&m.display_name));
    if let Some(tier) = m.tier {
        item.insert(TIER.into(), s(tier.as_str()));
    }
    item.insert(JOINED_AT.into(), s(keys::ts(&m.joined_at)));
    item.insert(ROOM_CREATED_AT.into(), s(keys::ts(&room.created_at)));
    item
}

fn room_of_member_item(room: &Room, member: &str) -> Item {
    let mut item = room_of_member_key(member, room.id.as_str(), &room.created_at);
    item.insert(ROOM_ID.into(), s(room.id.as_str()));
    item
}

fn read_member(item: &Item) -> CoreResult<Member> {
    let tier = match get_opt_s(item, TIER)? {
        None => None,
        Some(raw) => Some(Tier::parse(raw).ok_or_else(|| {
            CoreError::Internal("stored member has a bad `tier` attribute".into())
        })?),
    };
    Ok(Member {
        id: get_s(item, MEMBER_ID)?.to_string(),
        kind: get_parsed(item, KIND, ParticipantKind::parse)?,
        display_name: get_s(item, DISPLAY_NAME)?.to_string(),
        tier,
        joined_at: get_time(item, JOINED_AT)?,
    })
}

impl DynamoStore {
    /// The member item and its room-of-member copy, the member refused if it exists.
    pub(super) fn membership_puts(
        &self,
        room: &Room,
        m: &Member,
    ) -> CoreResult<Vec<TransactWriteItem>> {
        Ok(vec![
            put(
                &self.table,
                member_item(room, m),
                Some("attribute_not_exists(#pk)"),
            )?,
            put(&self.table, room_of_member_item(room, &m.id), None)?,
        ])
    }

    pub(super) async fn member_item(
        &self,
        room: &RoomId,
        member: &str,
    ) -> CoreResult<Option<Item>> {
        ops::get_item(&self.client, &self.table, member_key(room.as_str(), member)).await
    }

    /// A room's members, in the order they joined (ties by id).
    pub(super) async fn room_members(&self, room: &RoomId) -> CoreResult<Vec<Member>> {
        let items =
            ops::query_all(self.prefix_query(&keys::room(room.as_str()), keys::MEMBER_PREFIX))
                .await?;
        let mut members = items
            .iter()
            .map(read_member)
            .collect::<CoreResult<Vec<_>>>()?;
        // The query returns them by id; a stable sort keeps that as the tie-break.
        members.sort_by_key(|m| m.joined_at);
        Ok(members)
    }

    pub(super) async fn add_room_member(
        &self,
        room_id: &RoomId,
        m: &Member,
    ) -> CoreResult<Addition> {
        let room_item = ops::get_item(&self.client, &self.table, room_key(room_id.as_str()))
            .await?
            .ok_or_else(|| CoreError::not_found("no such room"))?;
        let room = super::rooms::read_room(&room_item)?;
        let mut items = self.membership_puts(&room, m)?;
        let room_write = match m.kind {
            ParticipantKind::Guest => update(
                &self.table,
                room_key(room_id.as_str()),
                "ADD #guests :one",
                Some("#employees > :zero"),
                vec![(":one", n(1)), (":zero", n(0))],
            )?,
            ParticipantKind::Employee => update(
                &self.table,
                room_key(room_id.as_str()),
                "ADD #employees :one",
                Some("attribute_exists(#pk)"),
                vec![(":one", n(1))],
            )?,
            ParticipantKind::Robot => check(
                &self.table,
                room_key(room_id.as_str()),
                "attribute_exists(#pk)",
            )?,
        };
        items.push(room_write);
        for attempt in 1.. {
            let codes = match transact(self, items.clone()).await? {
                TxOutcome::Committed => break,
                TxOutcome::Cancelled { codes, .. } => codes,
            };
            // Checked first: an existing member is `AlreadyMember` whatever the room holds.
            if failed_condition(&codes, MEMBER_ITEM) {
                return Ok(Addition::AlreadyMember);
            }
            if failed_condition(&codes, ROOM_ITEM) {
                // Rooms are never deleted (and this one was just read), so for a guest
                // the refusal is the employee count.
                return match m.kind {
                    ParticipantKind::Guest => Ok(Addition::GuestWithoutEmployee),
                    _ => Err(CoreError::not_found("no such room")),
                };
            }
            retry_or_give_up("add_member", &codes, attempt).await?;
        }
        if m.kind != ParticipantKind::Robot {
            self.join_audience(room_id, &m.id).await?;
        }
        Ok(Addition::Added)
    }

    pub(super) async fn remove_room_member(
        &self,
        room: &RoomId,
        member: &str,
    ) -> CoreResult<Removal> {
        for attempt in 1.. {
            // The stored kind decides which counter moves (and whether the rule applies).
            let Some(item) = self.member_item(room, member).await? else {
                return Ok(Removal::NotAMember);
            };
            let kind = get_parsed(&item, KIND, ParticipantKind::parse)?;
            let room_created = get_time(&item, ROOM_CREATED_AT)?;
            let mut items = vec![
                delete(
                    &self.table,
                    member_key(room.as_str(), member),
                    Some("attribute_exists(#pk)"),
                )?,
                delete(
                    &self.table,
                    room_of_member_key(member, room.as_str(), &room_created),
                    None,
                )?,
            ];
            match kind {
                ParticipantKind::Employee => items.push(update(
                    &self.table,
                    room_key(room.as_str()),
                    "ADD #employees :minus_one",
                    Some("#guests = :zero OR #employees > :one"),
                    vec![(":minus_one", n(-1)), (":zero", n(0)), (":one", n(1))],
                )?),
                ParticipantKind::Guest => items.push(update(
                    &self.table,
                    room_key(room.as_str()),
                    "ADD #guests :minus_one",
                    None,
                    vec![(":minus_one", n(-1))],
                )?),
                ParticipantKind::Robot => {}
            }
            match transact(self, items).await? {
                TxOutcome::Committed => {
                    if kind != ParticipantKind::Robot {
                        self.leave_audience(room, member).await?;
                    }
                    return Ok(Removal::Removed);
                }
                TxOutcome::Cancelled { codes, .. } => {
                    if failed_condition(&codes, MEMBER_ITEM) {
                        // Removed by someone else since our read.
                        return Ok(Removal::NotAMember);
                    }
                    if failed_condition(&codes, ROOM_ITEM) {
                        return Ok(Removal::WouldLeaveGuestAlone);
                    }
                    retry_or_give_up("remove_member", &codes, attempt).await?;
                }
            }
        }
        unreachable!("the retry loop returns")
    }
}
