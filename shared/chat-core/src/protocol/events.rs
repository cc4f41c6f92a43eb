//! Server → client frames: replies to requests and events (PROTOCOL §3).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, ErrorDetail};
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{AccountKind, Issue, Message, RoomView, Visibility};
use crate::policy;
use crate::protocol::registry::ActionReply;

/// The `type` of a reply frame: always `reply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub enum ReplyType {
    #[serde(rename = "reply")]
    Reply,
}

/// The `type` of an error frame: always `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub enum ErrorType {
    #[serde(rename = "error")]
    Error,
}

/// The one reply a frame with a `requestId` gets: `data` (the action's reply type)
/// when `ok`, `error` otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct Reply {
    #[serde(rename = "type")]
    pub kind: ReplyType,
    pub request_id: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", ts(optional))]
    pub data: Option<ActionReply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", ts(optional))]
    pub error: Option<ErrorDetail>,
}

impl Reply {
    pub fn ok(request_id: String, data: ActionReply) -> Self {
        Reply {
            kind: ReplyType::Reply,
            request_id,
            ok: true,
            data: Some(data),
            error: None,
        }
    }

    pub fn err(request_id: String, error: &CoreError) -> Self {
        Reply {
            kind: ReplyType::Reply,
            request_id,
            ok: false,
            data: None,
            error: Some(error.to_body().error),
        }
    }
}

/// `{"type":"error","error":{…}}` for frames that are not requests at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct FrameError {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub error: ErrorDetail,
}

impl FrameError {
    pub fn new(error: &CoreError) -> Self {
        FrameError {
            kind: ErrorType::Error,
            error: error.to_body().error,
        }
    }
}

/// Events pushed to connections allowed to see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
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
        /// The streamed message's visibility: who may receive the delta. Not on the wire
        /// (read back, it is the default).
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::replies::{Empty, HistoryReply};

    #[test]
    fn a_reply_carries_its_data_as_the_reply_type_and_reads_back() {
        let reply = Reply::ok(
            "r1".into(),
            ActionReply::HistoryGet(HistoryReply {
                messages: vec![],
                has_more: false,
            }),
        );
        let wire = serde_json::to_value(&reply).unwrap();
        assert_eq!(
            wire,
            json!({"type": "reply", "requestId": "r1", "ok": true,
                   "data": {"messages": [], "hasMore": false}})
        );
        let back: Reply = serde_json::from_value(wire).unwrap();
        assert_eq!(back, reply);

        let empty = serde_json::to_value(Reply::ok("r2".into(), ActionReply::Ping(Empty {})));
        assert_eq!(empty.unwrap()["data"], json!({}));
    }

    #[test]
    fn a_refusal_has_no_data_and_reads_back() {
        let reply = Reply::err("r1".into(), &CoreError::forbidden("no"));
        let wire = serde_json::to_value(&reply).unwrap();
        assert_eq!(wire["type"], "reply");
        assert_eq!(wire["ok"], false);
        assert!(wire.get("data").is_none());
        assert_eq!(serde_json::from_value::<Reply>(wire).unwrap(), reply);
        let frame = serde_json::to_value(FrameError::new(&CoreError::forbidden("no"))).unwrap();
        assert_eq!(frame["type"], "error");
    }

    #[test]
    fn events_read_back_and_a_delta_keeps_its_visibility_off_the_wire() {
        let delta = ServerEvent::MessageDelta {
            room_id: RoomId::parse("room_1").unwrap(),
            message_id: MessageId::parse("msg_1").unwrap(),
            index: 0,
            text: "Hel".into(),
            visibility: Visibility::Employees,
        };
        let wire = serde_json::to_value(&delta).unwrap();
        assert!(wire.get("visibility").is_none());
        let ServerEvent::MessageDelta { visibility, .. } = serde_json::from_value(wire).unwrap()
        else {
            panic!("a delta");
        };
        assert_eq!(visibility, Visibility::Everyone);
        let pong: ServerEvent = serde_json::from_str(r#"{"type":"pong"}"#).unwrap();
        assert_eq!(pong, ServerEvent::Pong);
    }
}
