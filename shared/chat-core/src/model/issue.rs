//! Issues: the customer problem a conversation is about.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{IssueId, RoomId, UserId};
use crate::model::identity::Tier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum IssueStatus {
    Open,
    Concluded,
}

/// How a conversation ended (exactly one per room).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Conclusion {
    Escalated,
    Resolved,
    Unresolved,
    GuestDisengaged,
}

impl Conclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Escalated => "escalated",
            Conclusion::Resolved => "resolved",
            Conclusion::Unresolved => "unresolved",
            Conclusion::GuestDisengaged => "guest-disengaged",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "escalated" => Some(Conclusion::Escalated),
            "resolved" => Some(Conclusion::Resolved),
            "unresolved" => Some(Conclusion::Unresolved),
            "guest-disengaged" => Some(Conclusion::GuestDisengaged),
            _ => None,
        }
    }
}

/// One line of an issue's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct IssueEvent {
    pub at: DateTime<Utc>,
    /// `opened`, `escalated`, `concluded`, `room-added` …
    pub event: String,
    /// Who did it (user id).
    pub by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The wire and stored `Issue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub id: IssueId,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", ts(optional))]
    pub customer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", ts(optional))]
    pub form_id: Option<String>,
    pub tier: Tier,
    pub status: IssueStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", ts(optional))]
    pub conclusion: Option<Conclusion>,
    pub room_ids: Vec<RoomId>,
    pub history: Vec<IssueEvent>,
    pub created_at: DateTime<Utc>,
    /// Guests' satisfaction ratings, one per room at most (CSAT).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
}

/// A guest's rating of a concluded room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct Rating {
    pub room_id: RoomId,
    pub guest: UserId,
    /// 1 (poor) to 5 (great).
    pub rating: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The issue's tier when the room concluded.
    pub tier: Tier,
    /// The room's employees at the time: whom the rating is about.
    pub employees: Vec<UserId>,
    pub at: DateTime<Utc>,
}
