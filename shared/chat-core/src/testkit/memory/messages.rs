//! The in-memory `MessageStore`: per-room logs under the store's one mutex.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{CoreError, CoreResult};
use crate::ids::{ClientMsgId, MessageId, RoomId};
use crate::model::{Message, NewMessage};
use crate::ports::{Appended, AppendedAll, MessageStore, Page, PageQuery, batch_room};

#[async_trait]
impl MessageStore for MemoryStore {
    async fn append_message(&self, message: &NewMessage) -> CoreResult<Appended> {
        let mut s = self.lock();
        if !s.rooms.contains_key(&message.room_id) {
            return Err(CoreError::not_found("no such room"));
        }
        let key = message.client_msg_id.as_ref().map(|cid| {
            (
                message.room_id.clone(),
                message.author.id.clone(),
                cid.clone(),
            )
        });
        if let Some(pos) = key.as_ref().and_then(|k| s.client_ids.get(k)).copied() {
            if let Some(existing) = s
                .messages
                .get(&message.room_id)
                .and_then(|log| log.get(pos))
            {
                return Ok(Appended::Existing(existing.clone()));
            }
        }
        let log = s.messages.entry(message.room_id.clone()).or_default();
        let seq = log.last().map_or(1, |m| m.seq + 1);
        let committed = message.clone().with_seq(seq);
        log.push(committed.clone());
        let pos = log.len() - 1;
        if let Some(k) = key {
            s.client_ids.insert(k, pos);
        }
        if let Some(room) = s.rooms.get_mut(&message.room_id) {
            room.last_seq = seq;
            room.last_message_at = Some(message.created_at);
        }
        Ok(Appended::Created(committed))
    }

    async fn append_messages(&self, messages: &[NewMessage]) -> CoreResult<AppendedAll> {
        let first = batch_room(messages)?;
        let mut s = self.lock();
        if !s.rooms.contains_key(first) {
            return Err(CoreError::not_found("no such room"));
        }
        let key_of = |m: &NewMessage| {
            m.client_msg_id
                .as_ref()
                .map(|cid| (m.room_id.clone(), m.author.id.clone(), cid.clone()))
        };
        if let Some(k) = key_of(&messages[0]) {
            if s.client_ids.contains_key(&k) {
                let log = s.messages.get(first).map(Vec::as_slice).unwrap_or(&[]);
                let originals = messages
                    .iter()
                    .map(|m| {
                        key_of(m)
                            .and_then(|k| s.client_ids.get(&k))
                            .and_then(|pos| log.get(*pos))
                            .cloned()
                            .ok_or_else(|| {
                                CoreError::Internal("a resent batch is incomplete".into())
                            })
                    })
                    .collect::<CoreResult<Vec<_>>>()?;
                return Ok(AppendedAll::Existing(originals));
            }
        }
        let mut committed = Vec::with_capacity(messages.len());
        for m in messages {
            let log = s.messages.entry(first.clone()).or_default();
            let seq = log.last().map_or(1, |m| m.seq + 1);
            log.push(m.clone().with_seq(seq));
            let pos = log.len() - 1;
            committed.push(log[pos].clone());
            if let Some(k) = key_of(m) {
                s.client_ids.insert(k, pos);
            }
        }
        if let (Some(room), Some(last)) = (s.rooms.get_mut(first), committed.last()) {
            room.last_seq = last.seq;
            room.last_message_at = Some(last.created_at);
        }
        Ok(AppendedAll::Created(committed))
    }

    async fn message(&self, room: &RoomId, id: &MessageId) -> CoreResult<Option<Message>> {
        Ok(self
            .lock()
            .messages
            .get(room)
            .and_then(|log| log.iter().find(|m| &m.id == id).cloned()))
    }

    async fn update_message(&self, message: &Message) -> CoreResult<()> {
        let mut s = self.lock();
        let stored = s
            .messages
            .get_mut(&message.room_id)
            .and_then(|log| log.iter_mut().find(|m| m.id == message.id))
            .ok_or_else(|| CoreError::not_found("no such message"))?;
        stored.status = message.status;
        stored.text = message.text.clone();
        stored.data = message.data.clone();
        stored.updated_at = message.updated_at;
        Ok(())
    }

    async fn messages_page(&self, room: &RoomId, query: &PageQuery) -> CoreResult<Page> {
        let s = self.lock();
        let visible: Vec<&Message> = s
            .messages
            .get(room)
            .map(|log| {
                log.iter()
                    .filter(|m| query.after_seq.is_none_or(|a| m.seq > a))
                    .filter(|m| query.before_seq.is_none_or(|b| m.seq < b))
                    .filter(|m| {
                        query.include_employee_only
                            || m.visibility == crate::model::Visibility::Everyone
                    })
                    .collect()
            })
            .unwrap_or_default();
        let backwards = query.before_seq.is_some() && query.after_seq.is_none();
        let (messages, has_more) = if backwards {
            let start = visible.len().saturating_sub(query.limit);
            (visible[start..].to_vec(), start > 0)
        } else {
            let end = visible.len().min(query.limit);
            (visible[..end].to_vec(), visible.len() > end)
        };
        Ok(Page {
            messages: messages.into_iter().cloned().collect(),
            has_more,
        })
    }

    async fn message_by_client_id(
        &self,
        room: &RoomId,
        author: &str,
        client_msg_id: &ClientMsgId,
    ) -> CoreResult<Option<Message>> {
        let s = self.lock();
        let key = (room.clone(), author.to_string(), client_msg_id.clone());
        Ok(s.client_ids
            .get(&key)
            .and_then(|pos| s.messages.get(room).and_then(|log| log.get(*pos)))
            .cloned())
    }
}
