//! Message use cases: send, history, typing, and system messages.
//!
//! A message is committed (with its `seq`) before anyone is told about it, so a client
//! that misses the event finds it with `history.get {afterSeq}`.

use serde_json::{Value, json};

use crate::error::{CoreError, CoreResult};
use crate::ids::{MessageId, RoomId};
use crate::model::{
    Author, ContentType, Delivery, Identity, Message, MessageStatus, MessageText, NewMessage, Room,
    RoomStatus, UserRecord, Visibility,
};
use crate::policy;
use crate::ports::{Appended, PageQuery};
use crate::protocol::actions::{HistoryGet, MessageSend};
use crate::protocol::events::ServerEvent;
use crate::service::App;
use crate::service::fanout::Audience;

impl App {
    pub(crate) async fn message_send(
        &self,
        actor: &UserRecord,
        req: MessageSend,
    ) -> CoreResult<Value> {
        let id = &actor.identity;
        let room = self.member_room(id, &req.room_id).await?;
        policy::may_post_with_visibility(id, req.visibility == Visibility::Employees)?;
        let text = MessageText::parse_with_limit(req.text, self.config.limits.text_bytes)?;
        if let Some(target) = &req.reply_to {
            self.check_reply_target(id, &room, target, req.visibility)
                .await?;
        }
        if room.status != RoomStatus::Open {
            // A resend of a message committed before the room concluded still gets its
            // original back: idempotency beats the open-room check. Open rooms need no
            // read here — `append_message` deduplicates atomically.
            if let Some(existing) = self
                .deps
                .store
                .message_by_client_id(&room.id, id.user_id.as_str(), &req.client_msg_id)
                .await?
            {
                return Ok(json!({ "message": existing }));
            }
            policy::must_be_open(&room)?;
        }
        let new = NewMessage {
            id: MessageId::parse(self.new_id("msg"))?,
            room_id: room.id.clone(),
            client_msg_id: Some(req.client_msg_id),
            author: Author {
                id: id.user_id.to_string(),
                kind: id.kind.into(),
                display_name: actor.profile.display_name.clone(),
            },
            content_type: ContentType::Chat,
            delivery: Delivery::Streaming,
            status: MessageStatus::Complete,
            visibility: req.visibility,
            text: text.into_inner(),
            data: None,
            reply_to: req.reply_to,
            shared_from: None,
            created_at: self.deps.clock.now(),
        };
        let message = self.commit_and_announce(new).await?;
        Ok(json!({ "message": message }))
    }

    /// `replyTo` must name a message of the room the sender can see, and a message
    /// everyone sees may not point at an employees-only one: its id would reach guests.
    async fn check_reply_target(
        &self,
        sender: &Identity,
        room: &Room,
        target: &MessageId,
        visibility: Visibility,
    ) -> CoreResult<()> {
        let original = self
            .deps
            .store
            .message(&room.id, target)
            .await?
            .filter(|m| policy::may_see(sender.kind, m.visibility))
            .ok_or_else(|| CoreError::not_found("no such message to reply to"))?;
        if visibility == Visibility::Everyone && original.visibility == Visibility::Employees {
            return Err(CoreError::bad_request(
                "a message everyone sees cannot reply to an employees-only message; share it first",
            ));
        }
        Ok(())
    }

    /// Appends and, when new, pushes `message.created` to whoever may see it.
    pub(crate) async fn commit_and_announce(&self, new: NewMessage) -> CoreResult<Message> {
        match self.deps.store.append_message(&new).await? {
            Appended::Created(message) => {
                let event = ServerEvent::MessageCreated {
                    room_id: message.room_id.clone(),
                    message: message.clone(),
                };
                self.broadcast(&message.room_id, &event, Audience::Room)
                    .await;
                Ok(message)
            }
            Appended::Existing(message) => Ok(message),
        }
    }

    /// A message from the system, visible to everyone (joins, leaves, break-ins).
    pub(crate) async fn post_system(&self, room: &Room, text: String) -> CoreResult<Message> {
        self.post_system_for(room, text, Visibility::Everyone).await
    }

    /// A message from the system for `visibility` (employees-only notes about robots).
    pub(crate) async fn post_system_for(
        &self,
        room: &Room,
        text: String,
        visibility: Visibility,
    ) -> CoreResult<Message> {
        let new = NewMessage {
            id: MessageId::parse(self.new_id("msg"))?,
            room_id: room.id.clone(),
            client_msg_id: None,
            author: Author::system(),
            content_type: ContentType::Chat,
            delivery: Delivery::Streaming,
            status: MessageStatus::Complete,
            visibility,
            text,
            data: None,
            reply_to: None,
            shared_from: None,
            created_at: self.deps.clock.now(),
        };
        self.commit_and_announce(new).await
    }

    pub(crate) async fn history_get(&self, actor: &Identity, req: HistoryGet) -> CoreResult<Value> {
        let room = self.member_room(actor, &req.room_id).await?;
        let limits = &self.config.limits;
        let limit = req.limit.unwrap_or(limits.history_default);
        if limit == 0 || limit > limits.history_max {
            return Err(CoreError::bad_request(format!(
                "limit must be between 1 and {}",
                limits.history_max
            )));
        }
        if let (Some(after), Some(before)) = (req.after_seq, req.before_seq) {
            if before <= after {
                return Err(CoreError::bad_request(
                    "beforeSeq must be greater than afterSeq",
                ));
            }
        }
        let page = self
            .deps
            .store
            .messages_page(
                &room.id,
                &PageQuery {
                    after_seq: req.after_seq,
                    before_seq: req.before_seq,
                    limit,
                    include_employee_only: policy::may_see(actor.kind, Visibility::Employees),
                },
            )
            .await?;
        // The store already left out what the caller may not see (so pages stay full);
        // the rule itself is applied here too, which also redacts what remains.
        let messages: Vec<Message> = page
            .messages
            .iter()
            .filter_map(|m| policy::message_for(actor.kind, m))
            .collect();
        Ok(json!({ "messages": messages, "hasMore": page.has_more }))
    }

    pub(crate) async fn typing(&self, actor: &Identity, room_id: &RoomId) -> CoreResult<Value> {
        let room = self.member_room(actor, room_id).await?;
        policy::must_be_open(&room)?;
        let event = ServerEvent::Typing {
            room_id: room.id.clone(),
            user_id: actor.user_id.clone(),
        };
        self.broadcast(&room.id, &event, Audience::AllBut(&actor.user_id))
            .await;
        Ok(json!({}))
    }
}
