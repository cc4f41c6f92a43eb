//! Server → client frames: replies to requests and events (PROTOCOL §3).

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use crate::error::{CoreError, ErrorDetail};
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{AccountKind, Issue, Message, RoomView, Visibility};
use crate::policy;

/// The one reply a frame with a `requestId` gets.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub request_id: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

impl Reply {
    pub fn ok(request_id: String, data: Value) -> Self {
        Reply {
            kind: "reply",
            request_id,
            ok: true,
            data: Some(data),
            error: None,
        }
    }

    pub fn err(request_id: String, error: &CoreError) -> Self {
        Reply {
            kind: "reply",
            request_id,
            ok: false,
            data: None,
            error: Some(error.to_body().error),
        }
    }
}

/// `{"type":"error","error":{…}}` for frames that are not requests at all.
#[derive(Debug, Clone, Serialize)]
pub struct FrameError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub error: ErrorDetail,
}

impl FrameError {
    pub fn new(error: &CoreError) -> Self {
        FrameError {
            kind: "error",
            error: error.to_body().error,
        }
    }
}

/// Events pushed to connections allowed to see them.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub enum ServerEvent {
    #[serde(rename = "pong")]
    Pong,
    #[serde(rename = "message.created", rename_all = "camelCase")]
    MessageCreated { room_id: RoomId, message: Message },
    #[serde(rename = "message.updated", rename_all = "camelCase")]
    MessageUpdated { room_id: RoomId, message: Message },
    #[serde(rename = "message.delta", rename_all = "camelCase")]
    MessageDelta {
        room_id: RoomId,
        message_id: MessageId,
        index: u32,
        text: String,
        /// The streamed message's visibility: who may receive the delta. Not on the wire.
        #[serde(skip)]
        visibility: Visibility,
    },
    #[serde(rename = "room.updated")]
    RoomUpdated { room: RoomView },
    #[serde(rename = "issue.updated")]
    IssueUpdated { issue: Issue },
    #[serde(rename = "typing", rename_all = "camelCase")]
    Typing { room_id: RoomId, user_id: UserId },
}

impl ServerEvent {
    /// The event as `viewer` may receive it, `None` when it is not for them: the
    /// visibility rule ([`policy::may_see`], [`policy::message_for`]) applied to events.
    pub fn for_viewer(&self, viewer: AccountKind) -> Option<Cow<'_, ServerEvent>> {
        match self {
            ServerEvent::MessageCreated { room_id, message } => {
                policy::message_for(viewer, message).map(|message| {
                    Cow::Owned(ServerEvent::MessageCreated {
                        room_id: room_id.clone(),
                        message,
                    })
                })
            }
            ServerEvent::MessageUpdated { room_id, message } => {
                policy::message_for(viewer, message).map(|message| {
                    Cow::Owned(ServerEvent::MessageUpdated {
                        room_id: room_id.clone(),
                        message,
                    })
                })
            }
            ServerEvent::MessageDelta { visibility, .. } => {
                policy::may_see(viewer, *visibility).then_some(Cow::Borrowed(self))
            }
            ServerEvent::Pong
            | ServerEvent::RoomUpdated { .. }
            | ServerEvent::IssueUpdated { .. }
            | ServerEvent::Typing { .. } => Some(Cow::Borrowed(self)),
        }
    }
}

/// Serializes a frame; our own types always serialize, so a failure is a bug we log.
pub fn to_frame<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        tracing::error!(error = %e, "failed to serialize an outgoing frame");
        r#"{"type":"error","error":{"code":"internal","message":"internal error"}}"#.to_string()
    })
}
