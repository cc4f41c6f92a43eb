//! `MessageStore` on the single table: a room's messages live in the room's partition.
//!
//! - **message** (`ROOM#{room}` / `MSG#{seq:020}`): every field as a plain attribute,
//!   `data` as a JSON string. Zero-padded seqs make the sort key the paging cursor.
//! - **message id → seq** (`MSGID#{id}`) and **client message id → seq**
//!   (`CMID#{author}#{client msg id}`): pointers for `message` and for idempotent sends.
//!
//! `append_message` takes the room's `last_seq` = n (the warm process's hint, else a
//! consistent read), then commits one transaction:
//! move `last_seq` to n + 1 *on condition it is still n*, put message n + 1, put the
//! id pointer, and put the client-id pointer *on condition it does not exist*. So a seq
//! is never issued without its message nor twice, messages appear in seq order, and a
//! resend is refused by the same atomic step that would have numbered it (it then
//! returns the original). A lost race (or a stale hint) retries with the n its refusal
//! handed back. The code is in `message_batch.rs`: `append_message` is a batch of one;
//! `message.send` adds its authorization as conditions of the same transaction
//! (`message_guard.rs`).

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use chat_core::ids::{ClientMsgId, MessageId, RoomId, UserId};
use chat_core::model::{Author, Message, NewMessage, UserRecord};
use chat_core::ports::{
    Appended, AppendedAll, GuardedAppend, MessageStore, Page, PageQuery, SendRefusal,
};
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{
    Item, get_id, get_json, get_n, get_opt_id, get_opt_s, get_s, get_time, json, key, n, s,
};
use super::keys;
use super::message_batch::BatchOutcome;
use super::ops;
use super::requests::{names, set_and_remove};

const MESSAGE_ID: &str = "message_id";
const ROOM_ID: &str = "room_id";
const SEQ: &str = "seq";
const CLIENT_MSG_ID: &str = "client_msg_id";
const AUTHOR_ID: &str = "author_id";
const AUTHOR_KIND: &str = "author_kind";
const AUTHOR_NAME: &str = "author_name";
const CONTENT_TYPE: &str = "content_type";
const DELIVERY: &str = "delivery";
const STATUS: &str = "status";
const VISIBILITY: &str = "visibility";
const TEXT: &str = "text";
const DATA: &str = "data";
const REPLY_TO: &str = "reply_to";
const SHARED_FROM: &str = "shared_from";
const CREATED_AT: &str = "created_at";
const UPDATED_AT: &str = "updated_at";

/// The wire name of a message enum (`employees`, `batch-delay`, …).
fn wire_name<T: Serialize + std::fmt::Debug>(value: &T) -> CoreResult<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        _ => Err(CoreError::Internal(format!("{value:?} has no wire name"))),
    }
}

fn get_wire<T: DeserializeOwned>(item: &Item, name: &str) -> CoreResult<T> {
    let raw = get_s(item, name)?;
    serde_json::from_value(serde_json::Value::String(raw.to_string())).map_err(|_| {
        CoreError::Internal(format!(
            "stored message has a bad `{name}` attribute: {raw}"
        ))
    })
}

fn message_key(room: &str, seq: u64) -> Item {
    key(keys::room(room), keys::message_sk(seq))
}

fn employees_only() -> CoreResult<String> {
    wire_name(&chat_core::model::Visibility::Employees)
}

pub(super) fn message_item(m: &Message) -> CoreResult<Item> {
    let mut item = message_key(m.room_id.as_str(), m.seq);
    item.insert(MESSAGE_ID.into(), s(m.id.as_str()));
    item.insert(ROOM_ID.into(), s(m.room_id.as_str()));
    item.insert(SEQ.into(), n(m.seq));
    if let Some(c) = &m.client_msg_id {
        item.insert(CLIENT_MSG_ID.into(), s(c.as_str()));
    }
    item.insert(AUTHOR_ID.into(), s(&m.author.id));
    item.insert(AUTHOR_KIND.into(), s(wire_name(&m.author.kind)?));
    item.insert(AUTHOR_NAME.into(), s(&m.author.display_name));
    item.insert(CONTENT_TYPE.into(), s(wire_name(&m.content_type)?));
    item.insert(DELIVERY.into(), s(wire_name(&m.delivery)?));
    item.insert(STATUS.into(), s(wire_name(&m.status)?));
    item.insert(VISIBILITY.into(), s(wire_name(&m.visibility)?));
    item.insert(TEXT.into(), s(&m.text));
    if let Some(data) = &m.data {
        item.insert(DATA.into(), json(data)?);
    }
    if let Some(r) = &m.reply_to {
        item.insert(REPLY_TO.into(), s(r.as_str()));
    }
    if let Some(r) = &m.shared_from {
        item.insert(SHARED_FROM.into(), s(r.as_str()));
    }
    item.insert(CREATED_AT.into(), s(keys::ts(&m.created_at)));
    item.insert(UPDATED_AT.into(), s(keys::ts(&m.updated_at)));
    Ok(item)
}

fn read_message(item: &Item) -> CoreResult<Message> {
    let data = match get_opt_s(item, DATA)? {
        None => None,
        Some(_) => Some(get_json(item, DATA)?),
    };
    Ok(Message {
        id: get_id(item, MESSAGE_ID)?,
        room_id: get_id(item, ROOM_ID)?,
        seq: get_n(item, SEQ)?,
        client_msg_id: get_opt_id(item, CLIENT_MSG_ID)?,
        author: Author {
            id: get_s(item, AUTHOR_ID)?.to_string(),
            kind: get_wire(item, AUTHOR_KIND)?,
            display_name: get_s(item, AUTHOR_NAME)?.to_string(),
        },
        content_type: get_wire(item, CONTENT_TYPE)?,
        delivery: get_wire(item, DELIVERY)?,
        status: get_wire(item, STATUS)?,
        visibility: get_wire(item, VISIBILITY)?,
        text: get_s(item, TEXT)?.to_string(),
        data,
        reply_to: get_opt_id(item, REPLY_TO)?,
        shared_from: get_opt_id(item, SHARED_FROM)?,
        created_at: get_time(item, CREATED_AT)?,
        updated_at: get_time(item, UPDATED_AT)?,
    })
}

/// A pointer item naming the seq of the message it stands for.
pub(super) fn seq_pointer(room: &str, sk: String, seq: u64) -> Item {
    let mut item = key(keys::room(room), sk);
    item.insert(SEQ.into(), n(seq));
    item
}

impl DynamoStore {
    /// The message a pointer (`MSGID#…` / `CMID#…`) names: two consistent reads.
    pub(super) async fn message_by_pointer(
        &self,
        room: &str,
        pointer_sk: String,
    ) -> CoreResult<Option<Message>> {
        let pointer = key(keys::room(room), pointer_sk);
        let Some(pointer) = ops::get_item(&self.client, &self.table, pointer).await? else {
            return Ok(None);
        };
        let seq = get_n(&pointer, SEQ)?;
        ops::get_item(&self.client, &self.table, message_key(room, seq))
            .await?
            .as_ref()
            .map(read_message)
            .transpose()
    }
}

#[async_trait]
impl MessageStore for DynamoStore {
    async fn append_message(&self, message: &NewMessage) -> CoreResult<Appended> {
        // A batch of one: the same transaction `append_message` has always sent (room
        // counter, message, id pointer, client-id pointer), in one place.
        match self
            .append_batch(std::slice::from_ref(message), None)
            .await?
        {
            BatchOutcome::Done(AppendedAll::Created(mut m)) => Ok(Appended::Created(one(&mut m)?)),
            BatchOutcome::Done(AppendedAll::Existing(mut m)) => {
                Ok(Appended::Existing(one(&mut m)?))
            }
            BatchOutcome::Refused(r) => Err(unguarded_refusal(&r)),
        }
    }

    async fn append_messages(&self, messages: &[NewMessage]) -> CoreResult<AppendedAll> {
        match self.append_batch(messages, None).await? {
            BatchOutcome::Done(all) => Ok(all),
            BatchOutcome::Refused(r) => Err(unguarded_refusal(&r)),
        }
    }

    fn author_hint(&self, user: &UserId) -> Option<UserRecord> {
        self.hints.user(user)
    }

    fn guarded_append(&self) -> Option<&dyn GuardedAppend> {
        Some(self)
    }

    async fn message(&self, room: &RoomId, id: &MessageId) -> CoreResult<Option<Message>> {
        self.message_by_pointer(room.as_str(), keys::message_id_sk(id.as_str()))
            .await
    }

    async fn update_message(&self, message: &Message) -> CoreResult<()> {
        let mut set = vec![
            "#status = :status",
            "#text = :text",
            "#updated_at = :updated_at",
        ];
        let mut remove = Vec::new();
        let mut values = vec![
            (":status", s(wire_name(&message.status)?)),
            (":text", s(&message.text)),
            (":updated_at", s(keys::ts(&message.updated_at))),
            (":id", s(message.id.as_str())),
        ];
        match &message.data {
            Some(data) => {
                set.push("#data = :data");
                values.push((":data", json(data)?));
            }
            None => remove.push("#data"),
        }
        let expression = set_and_remove(&set, &remove);
        // The seq locates the item; the id proves it is the same message.
        let condition = "attribute_exists(#pk) AND #message_id = :id";
        self.update_existing(
            message_key(message.room_id.as_str(), message.seq),
            &expression,
            condition,
            values,
            "no such message",
        )
        .await
    }

    async fn messages_page(&self, room: &RoomId, query: &PageQuery) -> CoreResult<Page> {
        let empty = Page {
            messages: Vec::new(),
            has_more: false,
        };
        // The seq range as sort keys, both ends inclusive.
        let low = query.after_seq.map_or(1, |a| a.saturating_add(1));
        let high = match query.before_seq {
            Some(0) => return Ok(empty),
            Some(before) => before - 1,
            None => u64::MAX,
        };
        if low > high {
            return Ok(empty);
        }
        // Only `before_seq`: the page just before it, read backwards, returned ascending.
        let backwards = query.before_seq.is_some() && query.after_seq.is_none();
        let key_condition = "#pk = :pk AND #sk BETWEEN :low AND :high";
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(names(&[key_condition]))
            .expression_attribute_values(":pk", s(keys::room(room.as_str())))
            .expression_attribute_values(":low", s(keys::message_sk(low)))
            .expression_attribute_values(":high", s(keys::message_sk(high)))
            .scan_index_forward(!backwards)
            .consistent_read(true)
            // One more than asked, so one request also answers `has_more`.
            .limit(i32::try_from(query.limit.saturating_add(1)).unwrap_or(i32::MAX));
        let hidden = employees_only()?;
        let include_all = query.include_employee_only;
        // Hidden messages do not count towards `limit`: keep reading until it is met.
        let (items, has_more) = ops::query_until(request, query.limit, |item| {
            include_all || get_s(item, VISIBILITY).map_or(true, |v| v != hidden)
        })
        .await?;
        let mut messages = items
            .iter()
            .map(read_message)
            .collect::<CoreResult<Vec<_>>>()?;
        if backwards {
            messages.reverse();
        }
        Ok(Page { messages, has_more })
    }

    async fn message_by_client_id(
        &self,
        room: &RoomId,
        author: &str,
        client_msg_id: &ClientMsgId,
    ) -> CoreResult<Option<Message>> {
        let sk = keys::client_msg_sk(author, client_msg_id.as_str());
        self.message_by_pointer(room.as_str(), sk).await
    }
}

/// Only a guarded append refuses; an unguarded one that does is our bug.
fn unguarded_refusal(refusal: &SendRefusal) -> CoreError {
    CoreError::Internal(format!("an unguarded append was refused: {refusal:?}"))
}

/// The one message of a batch of one.
pub(super) fn one(messages: &mut Vec<Message>) -> CoreResult<Message> {
    messages
        .pop()
        .ok_or_else(|| CoreError::Internal("an append of one message stored none".into()))
}
