//! `message.share`: an employee posts a copy of an employees-only message (a robot's
//! answer, an internal note) for everyone, guest included, optionally edited first.
//!
//! The original is never changed (messages are append-only); the copy points to it with
//! `sharedFrom`, which only employees receive (see `policy::message_for`). Every share
//! is audited: it is the one way employees-only content reaches a guest.

use serde_json::json;

use crate::error::{CoreError, CoreResult};
use crate::ids::MessageId;
use crate::model::{Author, MessageText, NewMessage, UserRecord, Visibility};
use crate::policy;
use crate::protocol::actions::MessageShare;
use crate::protocol::replies::MessageReply;
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};

impl App {
    pub(crate) async fn message_share(
        &self,
        actor: &UserRecord,
        req: MessageShare,
    ) -> CoreResult<MessageReply> {
        let id = &actor.identity;
        let room = self.member_room(id, &req.room_id).await?;
        policy::must_be_open(&room)?;
        let original = self
            .deps
            .store
            .message(&room.id, &req.message_id)
            .await?
            .filter(|m| policy::may_see(id.kind, m.visibility))
            .ok_or_else(|| CoreError::not_found("no such message"))?;
        policy::may_share(&original)?;
        let edited = req.text.is_some();
        let text = match req.text {
            Some(text) => {
                MessageText::parse_with_limit(text, self.config.limits.text_bytes)?.into_inner()
            }
            None => original.text.clone(),
        };
        let copy = NewMessage {
            id: MessageId::parse(self.new_id("msg"))?,
            room_id: room.id.clone(),
            client_msg_id: None,
            // The sharing employee speaks for the copy: they chose to say it.
            author: Author {
                id: id.user_id.to_string(),
                kind: id.kind.into(),
                display_name: actor.profile.display_name.clone(),
            },
            content_type: original.content_type,
            delivery: original.delivery,
            status: original.status,
            visibility: Visibility::Everyone,
            text,
            data: original.data.clone(),
            reply_to: None,
            shared_from: Some(original.id.clone()),
            created_at: self.deps.clock.now(),
        };
        let message = self.commit_and_announce(copy).await?;
        self.record_issue_event(
            &room,
            "shared",
            id.user_id.as_str(),
            Some(format!("{} as {}", original.id, message.id)),
        )
        .await?;
        self.audit(
            id.user_id.as_str(),
            "message.share",
            Some(&room.id),
            Some(&room.issue_id),
            json!({
                "original": original.id,
                "copy": message.id,
                "originalAuthor": original.author.id,
                "edited": edited,
            }),
        )
        .await?;
        Ok(MessageReply { message })
    }
}

impl UseCase for MessageShare {
    type Reply = MessageReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<MessageReply> {
        app.message_share(caller.user(), self).await
    }
}
