//! The `data` of a successful reply, one type per shape (PROTOCOL §3). The registry
//! ([`crate::protocol::registry`]) names each action's reply type; use cases return
//! these, so the wire shape is checked by the compiler instead of built with `json!`.
//!
//! All of them also deserialize (clients, tests and the documentation examples read
//! them back), and they carry the schema derives for the generated descriptions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Issue, Message, RobotInfo, RoomView};

/// `{}`: the action happened and there is nothing to tell. Unknown fields are refused
/// so that, read back without knowing the action, `{}` is not mistaken for a bigger
/// reply (see [`crate::protocol::registry::ActionReply`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct Empty {}

/// The room as the caller now sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct RoomReply {
    pub room: RoomView,
}

/// A room and its issue: a new room, an escalation or a conclusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct RoomIssueReply {
    pub room: RoomView,
    pub issue: Issue,
}

/// The caller's rooms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct RoomsReply {
    pub rooms: Vec<RoomView>,
}

/// One message as stored (a send, or the copy a share made).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct MessageReply {
    pub message: Message,
}

/// A page of history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct HistoryReply {
    pub messages: Vec<Message>,
    /// More messages lie beyond this page, in the direction asked.
    pub has_more: bool,
}

/// The robots employees may invite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct RobotsReply {
    pub robots: Vec<RobotInfo>,
}

/// A robot exchange: the employee's request and the robot's (still empty) response,
/// which later `message.delta` / `message.updated` events fill in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct AskReply {
    pub request: Message,
    pub response: Message,
}

/// A one-time guest invite code; only its hash is stored, so this is the one time it
/// is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct InviteGuestReply {
    pub invite_code: String,
    pub expires_at: DateTime<Utc>,
}
