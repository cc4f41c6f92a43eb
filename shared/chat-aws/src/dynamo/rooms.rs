//! `RoomStore` on the single table: rooms here, members in [`super::members`], issues in
//! [`super::issues`].
//!
//! The room item (`ROOM#{id}` / `ROOM`) holds the room's fields as plain attributes plus
//! two things only this adapter needs: `last_seq` (advanced by `append_message`'s
//! transaction, never by `update_room`) and the member counters `employees` / `guests`
//! that make "a guest is never alone" a condition on one item. It is listed by status
//! through `gsi1` (`ROOMS#{status}` / `{created}#{id}`); `update_room` moves it between
//! the two partitions when the status changes.
//!
//! Requests and costs: `docs/dynamodb.md`, "Rooms, members and issues".

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use chat_core::ids::{IssueId, RoomId};
use chat_core::model::{
    Conclusion, Issue, IssueEvent, IssueStatus, Member, ParticipantKind, Room, RoomKind,
    RoomStatus, Tier,
};
use chat_core::ports::{Addition, Removal, RoomStore};
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{Item, get_id, get_n, get_opt_time, get_s, get_time, key, n, s};
use super::keys::{self, GSI1, GSI1_PK, GSI1_SK};
use super::ops;
use super::requests::{
    TxOutcome, failed_condition, get_opt_parsed, get_parsed, names, put, retry_or_give_up,
    set_and_remove, transact, update,
};

pub(super) const ROOM_ID: &str = "room_id";
const KIND: &str = "kind";
const TITLE: &str = "title";
const ISSUE_ID: &str = "issue_id";
pub(super) const STATUS: &str = "status";
const CONCLUSION: &str = "conclusion";
const CREATED_BY: &str = "created_by";
const CREATED_AT: &str = "created_at";
pub(super) const LAST_SEQ: &str = "last_seq";
const LAST_MESSAGE_AT: &str = "last_message_at";
const WAITING_SINCE: &str = "waiting_since";
/// Employee members of the room (guest-never-alone conditions read it).
const EMPLOYEES: &str = "employees";
/// Guest members of the room.
const GUESTS: &str = "guests";

pub(super) fn room_key(id: &str) -> Item {
    key(keys::room(id), keys::ROOM_SK)
}

/// The new room item, counting its first member.
fn room_item(room: &Room, first: &Member) -> Item {
    let mut item = room_key(room.id.as_str());
    item.insert(
        GSI1_PK.into(),
        s(keys::rooms_by_status(room.status.as_str())),
    );
    item.insert(
        GSI1_SK.into(),
        s(keys::created_then_id(&room.created_at, room.id.as_str())),
    );
    item.insert(ROOM_ID.into(), s(room.id.as_str()));
    item.insert(KIND.into(), s(room.kind.as_str()));
    item.insert(TITLE.into(), s(&room.title));
    item.insert(ISSUE_ID.into(), s(room.issue_id.as_str()));
    item.insert(STATUS.into(), s(room.status.as_str()));
    if let Some(c) = room.conclusion {
        item.insert(CONCLUSION.into(), s(c.as_str()));
    }
    item.insert(CREATED_BY.into(), s(room.created_by.as_str()));
    item.insert(CREATED_AT.into(), s(keys::ts(&room.created_at)));
    item.insert(LAST_SEQ.into(), n(room.last_seq));
    if let Some(at) = &room.last_message_at {
        item.insert(LAST_MESSAGE_AT.into(), s(keys::ts(at)));
    }
    if let Some(at) = &room.waiting_since {
        item.insert(WAITING_SINCE.into(), s(keys::ts(at)));
    }
    let count = |kind| n(u8::from(first.kind == kind));
    item.insert(EMPLOYEES.into(), count(ParticipantKind::Employee));
    item.insert(GUESTS.into(), count(ParticipantKind::Guest));
    item
}

pub(super) fn read_room(item: &Item) -> CoreResult<Room> {
    Ok(Room {
        id: get_id(item, ROOM_ID)?,
        kind: get_parsed(item, KIND, RoomKind::parse)?,
        title: get_s(item, TITLE)?.to_string(),
        issue_id: get_id(item, ISSUE_ID)?,
        status: get_parsed(item, STATUS, RoomStatus::parse)?,
        conclusion: get_opt_parsed(item, CONCLUSION, Conclusion::parse)?,
        created_by: get_id(item, CREATED_BY)?,
        created_at: get_time(item, CREATED_AT)?,
        last_seq: get_n(item, LAST_SEQ)?,
        last_message_at: get_opt_time(item, LAST_MESSAGE_AT)?,
        waiting_since: get_opt_time(item, WAITING_SINCE)?,
    })
}

/// Newest first, ties by id descending (the order every adapter lists rooms in).
fn newest_first(rooms: &mut [Room]) {
    rooms.sort_by(|a, b| (b.created_at, b.id.as_str()).cmp(&(a.created_at, a.id.as_str())));
}

impl DynamoStore {
    /// Every room on one `gsi1` partition (`ROOMS#{status}`), newest first.
    async fn rooms_with_status(&self, status: RoomStatus) -> CoreResult<Vec<Room>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#gsi1pk = :status")
            .set_expression_attribute_names(names(&["#gsi1pk = :status"]))
            .expression_attribute_values(":status", s(keys::rooms_by_status(status.as_str())))
            .scan_index_forward(false);
        ops::query_all(query).await?.iter().map(read_room).collect()
    }
}

#[async_trait]
impl RoomStore for DynamoStore {
    async fn create_room(
        &self,
        room: &Room,
        first_member: &Member,
        new_issue: Option<&Issue>,
    ) -> CoreResult<()> {
        let room_id = room.id.as_str();
        let issue_write = match new_issue {
            Some(issue) => put(&self.table, super::issues::issue_item(issue)?, None)?,
            // The room joins the existing issue's list in the same step; a missing issue
            // refuses the whole transaction, so nothing is created.
            None => update(
                &self.table,
                super::issues::issue_key(room.issue_id.as_str()),
                "SET #room_ids = list_append(#room_ids, :room)",
                Some("attribute_exists(#pk)"),
                vec![(":room", AttributeValue::L(vec![s(room_id)]))],
            )?,
        };
        let mut items = vec![put(
            &self.table,
            room_item(room, first_member),
            Some("attribute_not_exists(#pk)"),
        )?];
        items.extend(self.membership_puts(room, first_member)?);
        items.push(issue_write);
        // The issue write is last: its refusal is read at this index.
        let issue_index = items.len() - 1;
        for attempt in 1.. {
            let codes = match transact(self, items.clone()).await? {
                TxOutcome::Committed => {
                    // The creator is usually online already: their open connections
                    // must receive the new room's events too.
                    self.join_audience(&room.id, &first_member.id).await?;
                    return Ok(());
                }
                TxOutcome::Cancelled { codes, .. } => codes,
            };
            if failed_condition(&codes, 0) {
                return Err(CoreError::conflict("room id is taken"));
            }
            if failed_condition(&codes, issue_index) {
                return Err(CoreError::not_found("no such issue"));
            }
            retry_or_give_up("create_room", &codes, attempt).await?;
        }
        unreachable!("the retry loop returns")
    }

    async fn room(&self, id: &RoomId) -> CoreResult<Option<Room>> {
        let room = ops::get_item(&self.client, &self.table, room_key(id.as_str()))
            .await?
            .as_ref()
            .map(read_room)
            .transpose()?;
        if let Some(r) = &room {
            // A fresh `last_seq` for the next append's first attempt.
            self.hints.saw_last_seq(r.id.as_str(), r.last_seq);
        }
        Ok(room)
    }

    async fn update_room(&self, room: &Room) -> CoreResult<()> {
        let (expression, values) = room_update(room);
        self.update_existing(
            room_key(room.id.as_str()),
            &expression,
            "attribute_exists(#pk)",
            values,
            "no such room",
        )
        .await
    }

    async fn update_room_if(&self, room: &Room, seen: &Room) -> CoreResult<bool> {
        let (expression, mut values) = room_update(room);
        // The stored status and wait must still be what the caller read.
        let mut condition = String::from("attribute_exists(#pk) AND #status = :seen_status");
        values.push((":seen_status", s(seen.status.as_str())));
        match &seen.waiting_since {
            Some(at) => {
                condition.push_str(" AND #waiting_since = :seen_waiting");
                values.push((":seen_waiting", s(keys::ts(at))));
            }
            None => condition.push_str(" AND attribute_not_exists(#waiting_since)"),
        }
        match self
            .update_existing(
                room_key(room.id.as_str()),
                &expression,
                &condition,
                values,
                "no such room",
            )
            .await
        {
            Ok(()) => Ok(true),
            // A failed condition: the room changed since it was read (or is gone).
            Err(CoreError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn rooms_of(&self, member: &str) -> CoreResult<Vec<Room>> {
        // The member's room copies sort by room creation time: newest first is a
        // descending query, then one batched read for the rooms themselves.
        let copies = ops::query_all(
            self.prefix_query(&keys::member(member), keys::ROOM_PREFIX)
                .scan_index_forward(false),
        )
        .await?;
        let ids = copies
            .iter()
            .map(|c| get_s(c, ROOM_ID).map(str::to_string))
            .collect::<CoreResult<Vec<_>>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found = ops::batch_get(
            &self.client,
            &self.table,
            ids.iter().map(|id| room_key(id)).collect(),
        )
        .await?;
        let mut by_id = found
            .iter()
            .map(|item| read_room(item).map(|r| (r.id.as_str().to_string(), r)))
            .collect::<CoreResult<HashMap<_, _>>>()?;
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn list_rooms(&self, status: Option<RoomStatus>) -> CoreResult<Vec<Room>> {
        match status {
            Some(status) => self.rooms_with_status(status).await,
            None => {
                // Each status is its own index partition: query both, merge newest first.
                let (open, concluded) = futures::future::try_join(
                    self.rooms_with_status(RoomStatus::Open),
                    self.rooms_with_status(RoomStatus::Concluded),
                )
                .await?;
                let mut all = open;
                all.extend(concluded);
                newest_first(&mut all);
                Ok(all)
            }
        }
    }

    async fn members(&self, room: &RoomId) -> CoreResult<Vec<Member>> {
        self.room_members(room).await
    }

    async fn is_member(&self, room: &RoomId, member: &str) -> CoreResult<bool> {
        Ok(self.member_item(room, member).await?.is_some())
    }

    async fn add_member(&self, room: &RoomId, member: &Member) -> CoreResult<Addition> {
        self.add_room_member(room, member).await
    }

    async fn remove_member(&self, room: &RoomId, member: &str) -> CoreResult<Removal> {
        self.remove_room_member(room, member).await
    }

    async fn issue(&self, id: &IssueId) -> CoreResult<Option<Issue>> {
        self.read_issue(id).await
    }

    async fn save_issue(&self, issue: &Issue) -> CoreResult<()> {
        self.write_issue(issue).await
    }

    async fn update_issue(&self, issue: &Issue) -> CoreResult<()> {
        self.update_issue_fields(issue).await
    }

    async fn append_issue_event(&self, issue: &IssueId, event: &IssueEvent) -> CoreResult<()> {
        self.append_history(issue, event).await
    }

    async fn list_issues(
        &self,
        tier: Option<Tier>,
        status: Option<IssueStatus>,
    ) -> CoreResult<Vec<Issue>> {
        self.query_issues(tier, status).await
    }
}

/// `update_room`'s expression: status, title, conclusion, wait. Never `last_seq` or
/// `last_message_at`: they belong to `append_message`, and a stale `Room` written back
/// must not rewind them.
fn room_update(room: &Room) -> (String, Vec<(&'static str, AttributeValue)>) {
    let mut set = vec!["#status = :status", "#title = :title", "#gsi1pk = :gsi1pk"];
    let mut remove = Vec::new();
    let mut values = vec![
        (":status", s(room.status.as_str())),
        (":title", s(&room.title)),
        (":gsi1pk", s(keys::rooms_by_status(room.status.as_str()))),
    ];
    match room.conclusion {
        Some(c) => {
            set.push("#conclusion = :conclusion");
            values.push((":conclusion", s(c.as_str())));
        }
        None => remove.push("#conclusion"),
    }
    match &room.waiting_since {
        Some(at) => {
            set.push("#waiting_since = :waiting_since");
            values.push((":waiting_since", s(keys::ts(at))));
        }
        None => remove.push("#waiting_since"),
    }
    (set_and_remove(&set, &remove), values)
}
