//! The fields of client → server actions (PROTOCOL §3): one request type per action.
//! Which type belongs to which `action`, and the [`ClientAction`] enum itself, are in
//! the registry ([`crate::protocol::registry`]).
//!
//! Unknown fields are ignored (clients may be newer than the server); missing required
//! fields and wrong types are `bad_request` with serde's explanation.

use serde::Deserialize;

pub use crate::protocol::registry::{ACTION_NAMES, ClientAction};

use crate::ids::{ClientMsgId, IssueId, MessageId, RoomId, UserId};
use crate::model::{RoomKind, Visibility};

/// `ping`, `room.list` and `robot.list` carry no fields.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(type = "Record<never, never>"))]
pub struct Ping {}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(type = "Record<never, never>"))]
pub struct RoomList {}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(type = "Record<never, never>"))]
pub struct RobotList {}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct NewIssue {
    pub title: String,
    pub customer_name: Option<String>,
    pub form_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct RoomCreate {
    pub kind: RoomKind,
    pub title: String,
    pub issue_id: Option<IssueId>,
    pub issue: Option<NewIssue>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct RoomRef {
    pub room_id: RoomId,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct RoomUser {
    pub room_id: RoomId,
    pub user_id: UserId,
}

/// Actions whose fields are those of another: one request type per action all the
/// same (the use case belongs to the type), with the shared fields inside. A newtype
/// reads and writes exactly as the type it wraps.
macro_rules! same_fields_as {
    ($( $(#[$doc:meta])* $name:ident($inner:ident); )*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
        pub struct $name(pub $inner);
    )*};
}

same_fields_as! {
    /// `room.get`.
    RoomGet(RoomRef);
    /// `room.join`.
    RoomJoin(RoomRef);
    /// `room.leave`.
    RoomLeave(RoomRef);
    /// `typing`.
    Typing(RoomRef);
    /// `supervisor.observe`.
    SupervisorObserve(RoomRef);
    /// `supervisor.breakIn`.
    SupervisorBreakIn(RoomRef);
    /// `room.invite`.
    RoomInvite(RoomUser);
    /// `room.remove`.
    RoomRemove(RoomUser);
    /// `robot.invite`.
    RobotInvite(RoomRobot);
    /// `robot.remove`.
    RobotRemove(RoomRobot);
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct MessageSend {
    pub room_id: RoomId,
    pub client_msg_id: ClientMsgId,
    pub text: String,
    #[serde(default)]
    #[cfg_attr(feature = "schema", ts(as = "Option<_>", optional))]
    pub visibility: Visibility,
    pub reply_to: Option<MessageId>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct HistoryGet {
    pub room_id: RoomId,
    #[cfg_attr(feature = "schema", ts(type = "number", optional))]
    pub after_seq: Option<u64>,
    #[cfg_attr(feature = "schema", ts(type = "number", optional))]
    pub before_seq: Option<u64>,
    #[cfg_attr(feature = "schema", ts(optional))]
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct InviteGuest {
    pub room_id: RoomId,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct RoomRobot {
    pub room_id: RoomId,
    pub robot: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct RobotAsk {
    pub room_id: RoomId,
    pub robot: String,
    pub text: String,
    #[serde(default)]
    pub args: Option<serde_json::Map<String, serde_json::Value>>,
    /// Makes a retried ask return the first exchange instead of asking twice.
    pub client_msg_id: Option<ClientMsgId>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct MessageShare {
    pub room_id: RoomId,
    pub message_id: MessageId,
    /// The employee's edit of the copy; the original text when absent.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct IssueEscalate {
    pub room_id: RoomId,
    /// Continue in a new room (the old one concludes `escalated`) rather than here.
    #[serde(default)]
    #[cfg_attr(feature = "schema", ts(as = "Option<_>", optional))]
    pub new_room: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct IssueConclude {
    pub room_id: RoomId,
    pub conclusion: crate::model::Conclusion,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct IssueRate {
    pub room_id: RoomId,
    pub rating: u8,
    pub comment: Option<String>,
}
