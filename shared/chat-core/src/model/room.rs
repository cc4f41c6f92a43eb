//! Rooms and their members.
//!
//! A room belongs to exactly one issue. `group` rooms may be joined by any employee;
//! `solo` rooms are restricted: members arrive by invitation or escalation only.
//! Members are users (employees, guests) or robots; the stored [`Member`] keeps what the
//! room needs to show them without reading every user (`kind`, `tier`, display name at
//! join time).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{IssueId, MemberId, RoomId, UserId};
use crate::model::identity::Tier;
use crate::model::issue::Conclusion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum RoomKind {
    Group,
    Solo,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Group => "group",
            RoomKind::Solo => "solo",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "group" => Some(RoomKind::Group),
            "solo" => Some(RoomKind::Solo),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum RoomStatus {
    Open,
    Concluded,
}

impl RoomStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomStatus::Open => "open",
            RoomStatus::Concluded => "concluded",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "open" => Some(RoomStatus::Open),
            "concluded" => Some(RoomStatus::Concluded),
            _ => None,
        }
    }
}

/// The stored room (without members, which are their own records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub id: RoomId,
    pub kind: RoomKind,
    pub title: String,
    pub issue_id: IssueId,
    pub status: RoomStatus,
    pub conclusion: Option<Conclusion>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    /// Highest sequence number committed in this room (0 when empty).
    pub last_seq: u64,
    pub last_message_at: Option<DateTime<Utc>>,
    /// Set while the room needs an employee to take over (its last employee was
    /// disabled or revoked with a guest present); supervisors see it in their queues.
    pub waiting_since: Option<DateTime<Utc>>,
}

impl Room {
    /// `solo` rooms are restricted: nobody joins them on their own.
    pub fn restricted(&self) -> bool {
        self.kind == RoomKind::Solo
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ParticipantKind {
    Employee,
    Guest,
    Robot,
}

impl ParticipantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantKind::Employee => "employee",
            ParticipantKind::Guest => "guest",
            ParticipantKind::Robot => "robot",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "employee" => Some(ParticipantKind::Employee),
            "guest" => Some(ParticipantKind::Guest),
            "robot" => Some(ParticipantKind::Robot),
            _ => None,
        }
    }
}

/// A stored membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// A user id, or a robot's name.
    pub id: MemberId,
    pub kind: ParticipantKind,
    pub display_name: String,
    pub tier: Option<Tier>,
    pub joined_at: DateTime<Utc>,
}

/// The wire `Participant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct Participant {
    /// A user id, or a robot's name.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub id: MemberId,
    pub kind: ParticipantKind,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    pub online: bool,
    pub joined_at: DateTime<Utc>,
}

/// The wire `Room`: the stored room, its participants and live counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct RoomView {
    pub id: RoomId,
    pub kind: RoomKind,
    pub title: String,
    pub issue_id: IssueId,
    pub restricted: bool,
    pub status: RoomStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<Conclusion>,
    pub members: Vec<Participant>,
    pub member_count: usize,
    pub online_count: usize,
    #[cfg_attr(feature = "schema", ts(type = "number"))]
    pub last_seq: u64,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<DateTime<Utc>>,
}

impl RoomView {
    /// Builds the view; `is_online` says whether a member has an open connection.
    pub fn build(room: &Room, members: &[Member], is_online: impl Fn(&str) -> bool) -> Self {
        let members: Vec<Participant> = members
            .iter()
            .map(|m| Participant {
                id: m.id.clone(),
                kind: m.kind,
                display_name: m.display_name.clone(),
                tier: m.tier,
                // Robots are always "there": they answer through the job queue.
                online: m.kind == ParticipantKind::Robot || is_online(&m.id),
                joined_at: m.joined_at,
            })
            .collect();
        let online_count = members
            .iter()
            .filter(|p| p.online && p.kind != ParticipantKind::Robot)
            .count();
        RoomView {
            id: room.id.clone(),
            kind: room.kind,
            title: room.title.clone(),
            issue_id: room.issue_id.clone(),
            restricted: room.restricted(),
            status: room.status,
            conclusion: room.conclusion,
            member_count: members.len(),
            online_count,
            members,
            last_seq: room.last_seq,
            created_at: room.created_at,
            waiting_since: room.waiting_since,
        }
    }
}
