//! Client → server actions (PROTOCOL §3), one variant per `action`.
//!
//! Unknown fields are ignored (clients may be newer than the server); missing required
//! fields and wrong types are `bad_request` with serde's explanation.

use serde::Deserialize;

use crate::ids::{ClientMsgId, IssueId, MessageId, RoomId, UserId};
use crate::model::{RoomKind, Visibility};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action")]
pub enum ClientAction {
    #[serde(rename = "ping")]
    Ping,
    #[serde(rename = "room.create")]
    RoomCreate(RoomCreate),
    #[serde(rename = "room.list")]
    RoomList,
    #[serde(rename = "room.get")]
    RoomGet(RoomRef),
    #[serde(rename = "room.join")]
    RoomJoin(RoomRef),
    #[serde(rename = "room.leave")]
    RoomLeave(RoomRef),
    #[serde(rename = "room.invite")]
    RoomInvite(RoomUser),
    #[serde(rename = "room.remove")]
    RoomRemove(RoomUser),
    #[serde(rename = "message.send")]
    MessageSend(MessageSend),
    #[serde(rename = "history.get")]
    HistoryGet(HistoryGet),
    #[serde(rename = "typing")]
    Typing(RoomRef),
    #[serde(rename = "room.inviteGuest")]
    RoomInviteGuest(InviteGuest),
    #[serde(rename = "supervisor.observe")]
    SupervisorObserve(RoomRef),
    #[serde(rename = "supervisor.breakIn")]
    SupervisorBreakIn(RoomRef),
    #[serde(rename = "robot.list")]
    RobotList,
    #[serde(rename = "robot.invite")]
    RobotInvite(RoomRobot),
    #[serde(rename = "robot.remove")]
    RobotRemove(RoomRobot),
    #[serde(rename = "robot.ask")]
    RobotAsk(RobotAsk),
    #[serde(rename = "message.share")]
    MessageShare(MessageShare),
    #[serde(rename = "issue.escalate")]
    IssueEscalate(IssueEscalate),
    #[serde(rename = "issue.conclude")]
    IssueConclude(IssueConclude),
    #[serde(rename = "issue.rate")]
    IssueRate(IssueRate),
}

impl ClientAction {
    /// The protocol name, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            ClientAction::Ping => "ping",
            ClientAction::RoomCreate(_) => "room.create",
            ClientAction::RoomList => "room.list",
            ClientAction::RoomGet(_) => "room.get",
            ClientAction::RoomJoin(_) => "room.join",
            ClientAction::RoomLeave(_) => "room.leave",
            ClientAction::RoomInvite(_) => "room.invite",
            ClientAction::RoomRemove(_) => "room.remove",
            ClientAction::MessageSend(_) => "message.send",
            ClientAction::HistoryGet(_) => "history.get",
            ClientAction::Typing(_) => "typing",
            ClientAction::RoomInviteGuest(_) => "room.inviteGuest",
            ClientAction::SupervisorObserve(_) => "supervisor.observe",
            ClientAction::SupervisorBreakIn(_) => "supervisor.breakIn",
            ClientAction::RobotList => "robot.list",
            ClientAction::RobotInvite(_) => "robot.invite",
            ClientAction::RobotRemove(_) => "robot.remove",
            ClientAction::RobotAsk(_) => "robot.ask",
            ClientAction::MessageShare(_) => "message.share",
            ClientAction::IssueEscalate(_) => "issue.escalate",
            ClientAction::IssueConclude(_) => "issue.conclude",
            ClientAction::IssueRate(_) => "issue.rate",
        }
    }
}

/// Every action name this server understands (for the `bad_request` on unknown ones).
pub const ACTION_NAMES: &[&str] = &[
    "ping",
    "room.create",
    "room.list",
    "room.get",
    "room.join",
    "room.leave",
    "room.invite",
    "room.remove",
    "message.send",
    "history.get",
    "typing",
    "room.inviteGuest",
    "supervisor.observe",
    "supervisor.breakIn",
    "robot.list",
    "robot.invite",
    "robot.remove",
    "robot.ask",
    "message.share",
    "issue.escalate",
    "issue.conclude",
    "issue.rate",
];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewIssue {
    pub title: String,
    pub customer_name: Option<String>,
    pub form_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomCreate {
    pub kind: RoomKind,
    pub title: String,
    pub issue_id: Option<IssueId>,
    pub issue: Option<NewIssue>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomRef {
    pub room_id: RoomId,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomUser {
    pub room_id: RoomId,
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSend {
    pub room_id: RoomId,
    pub client_msg_id: ClientMsgId,
    pub text: String,
    #[serde(default)]
    pub visibility: Visibility,
    pub reply_to: Option<MessageId>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryGet {
    pub room_id: RoomId,
    pub after_seq: Option<u64>,
    pub before_seq: Option<u64>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteGuest {
    pub room_id: RoomId,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomRobot {
    pub room_id: RoomId,
    pub robot: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
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
pub struct MessageShare {
    pub room_id: RoomId,
    pub message_id: MessageId,
    /// The employee's edit of the copy; the original text when absent.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueEscalate {
    pub room_id: RoomId,
    /// Continue in a new room (the old one concludes `escalated`) rather than here.
    #[serde(default)]
    pub new_room: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueConclude {
    pub room_id: RoomId,
    pub conclusion: crate::model::Conclusion,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueRate {
    pub room_id: RoomId,
    pub rating: u8,
    pub comment: Option<String>,
}
