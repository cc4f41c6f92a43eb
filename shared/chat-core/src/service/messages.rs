//! Message use cases: send, history, typing, and system messages.
//!
//! A message is committed (with its `seq`) before anyone is told about it, so a client
//! that misses the event finds it with `history.get {afterSeq}`.

use crate::error::{CoreError, CoreResult};
use crate::ids::{MessageId, RoomId};
use crate::model::{
    Author, Connection, ContentType, Delivery, Identity, Message, MessageStatus, MessageText,
    NewMessage, Room, UserRecord, Visibility,
};
use crate::policy;
use crate::ports::{Appended, PageQuery, SendGuard, SendRefusal, append_checked};
use crate::protocol::actions::{HistoryGet, MessageSend, Typing};
use crate::protocol::events::ServerEvent;
use crate::protocol::replies::{Empty, HistoryReply, MessageReply};
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};
use crate::service::fanout::Audience;
use crate::service::session::Sender;

/// Rounds of rebuilding a send whose user changed between the sender's view and the
/// commit (a renamed profile, a stale hint). More than two in a row means the record
/// keeps changing under us.
const SEND_ROUNDS: u32 = 4;

/// How one attempt at a send ended, when it did not fail.
enum Attempt {
    Sent(Message),
    /// The user is not as the message was built: the stored user (already checked
    /// current), to build it again from.
    Rebuild(UserRecord),
}

impl App {
    /// `message.send`. Membership, the room being open and the sender's identity are
    /// checked by the commit itself ([`append_checked`]), so on a store that can check
    /// them atomically a send reads nothing but its connection before committing.
    pub(crate) async fn message_send(
        &self,
        sender: &Sender,
        req: MessageSend,
    ) -> CoreResult<MessageReply> {
        let mut user = sender.user.clone();
        let mut text = match self.check_sender(&user, &req) {
            Err(e) if sender.hinted => {
                // A hint may be stale, and a stale view must not refuse: decide again
                // on the stored user.
                tracing::debug!(error = %e, "refused on a hint; reading the user");
                user = self.fresh_sender(&sender.connection).await?;
                self.check_sender(&user, &req)?
            }
            checked => checked?,
        };
        for _ in 0..SEND_ROUNDS {
            match self.send_as(&sender.connection, &user, text, &req).await? {
                Attempt::Sent(message) => return Ok(MessageReply { message }),
                Attempt::Rebuild(fresh) => {
                    user = fresh;
                    text = self.check_sender(&user, &req)?;
                }
            }
        }
        Err(CoreError::Unavailable(
            "your account changed while sending; try again".into(),
        ))
    }

    /// What a send checks from its sender alone (no reads): guest scope, who may post
    /// employees-only, and the text.
    fn check_sender(&self, user: &UserRecord, req: &MessageSend) -> CoreResult<MessageText> {
        let id = &user.identity;
        policy::within_guest_scope(id, &req.room_id)?;
        policy::may_post_with_visibility(id, req.visibility == Visibility::Employees)?;
        MessageText::parse_with_limit(req.text.clone(), self.config.limits.text_bytes)
    }

    /// One attempt at a send as `user` (who may be a hint), with its checked text.
    async fn send_as(
        &self,
        connection: &Connection,
        user: &UserRecord,
        text: MessageText,
        req: &MessageSend,
    ) -> CoreResult<Attempt> {
        let id = &user.identity;
        if let Some(target) = &req.reply_to {
            // Only members may learn whether a message id exists: membership first.
            let is_member = self
                .deps
                .store
                .is_member(&req.room_id, id.user_id.as_str())
                .await?;
            policy::must_be_member(is_member)?;
            self.check_reply_target(id, &req.room_id, target, req.visibility)
                .await?;
        }
        let new = NewMessage {
            id: MessageId::parse(self.new_id("msg"))?,
            room_id: req.room_id.clone(),
            client_msg_id: Some(req.client_msg_id.clone()),
            author: Author {
                id: id.user_id.to_string(),
                kind: id.kind.into(),
                display_name: user.profile.display_name.clone(),
            },
            content_type: ContentType::Chat,
            delivery: Delivery::Streaming,
            status: MessageStatus::Complete,
            visibility: req.visibility,
            text: text.into_inner(),
            data: None,
            reply_to: req.reply_to.clone(),
            shared_from: None,
            created_at: self.deps.clock.now(),
        };
        let guard = SendGuard { connection, user };
        let refusal = match append_checked(&*self.deps.store, &new, &guard).await? {
            Ok(appended) => {
                return Ok(Attempt::Sent(self.announce_if_new(appended).await));
            }
            Err(refusal) => refusal,
        };
        match refusal {
            SendRefusal::ConnectionGone => Err(CoreError::Unauthorized),
            SendRefusal::UserChanged(stored) => self
                .still_current(connection, stored.map(|u| *u))
                .await
                .map(Attempt::Rebuild),
            SendRefusal::NotAMember => {
                policy::must_be_member(false)?;
                Err(CoreError::Internal("a non-member was let through".into()))
            }
            SendRefusal::RoomClosed => {
                // A resend of a message committed before the room concluded still gets
                // its original back: idempotency beats the open-room check.
                if let Some(existing) = self
                    .deps
                    .store
                    .message_by_client_id(&req.room_id, id.user_id.as_str(), &req.client_msg_id)
                    .await?
                {
                    return Ok(Attempt::Sent(existing));
                }
                let room = self
                    .deps
                    .store
                    .room(&req.room_id)
                    .await?
                    .ok_or_else(|| CoreError::not_found("no such room"))?;
                policy::must_be_open(&room)?;
                Err(CoreError::Internal(
                    "a send was refused for a closed room that is open".into(),
                ))
            }
        }
    }

    /// `replyTo` must name a message of the room the sender can see, and a message
    /// everyone sees may not point at an employees-only one: its id would reach guests.
    async fn check_reply_target(
        &self,
        sender: &Identity,
        room: &RoomId,
        target: &MessageId,
        visibility: Visibility,
    ) -> CoreResult<()> {
        let original = self
            .deps
            .store
            .message(room, target)
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
        let appended = self.deps.store.append_message(&new).await?;
        Ok(self.announce_if_new(appended).await)
    }

    /// Pushes `message.created` for a message just created; a resend's original was
    /// announced when it was first committed.
    async fn announce_if_new(&self, appended: Appended) -> Message {
        match appended {
            Appended::Created(message) => {
                let event = ServerEvent::MessageCreated {
                    room_id: message.room_id.clone(),
                    message: message.clone(),
                };
                self.broadcast(&message.room_id, &event, Audience::Room)
                    .await;
                message
            }
            Appended::Existing(message) => message,
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

    pub(crate) async fn history_get(
        &self,
        actor: &Identity,
        req: HistoryGet,
    ) -> CoreResult<HistoryReply> {
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
        Ok(HistoryReply {
            messages,
            has_more: page.has_more,
        })
    }

    pub(crate) async fn typing(&self, actor: &Identity, room_id: &RoomId) -> CoreResult<Empty> {
        let room = self.member_room(actor, room_id).await?;
        policy::must_be_open(&room)?;
        let event = ServerEvent::Typing {
            room_id: room.id.clone(),
            user_id: actor.user_id.clone(),
        };
        self.broadcast(&room.id, &event, Audience::AllBut(&actor.user_id))
            .await;
        Ok(Empty {})
    }
}

impl UseCase for MessageSend {
    type Reply = MessageReply;
    // The commit compares the hinted user with the stored one (`append_checked`).
    const TRUSTS_HINT: bool = true;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<MessageReply> {
        app.message_send(caller.sender, self).await
    }
}

impl UseCase for HistoryGet {
    type Reply = HistoryReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<HistoryReply> {
        app.history_get(caller.identity(), self).await
    }
}

impl UseCase for Typing {
    type Reply = Empty;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<Empty> {
        app.typing(caller.identity(), &self.0.room_id).await
    }
}
