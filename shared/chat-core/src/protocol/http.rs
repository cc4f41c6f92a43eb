//! HTTP request and response bodies (PROTOCOL §2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{FileId, IssueId, RoomId, UserId};
use crate::model::{
    AuditEntry, Conclusion, IdentityView, Issue, Message, Participant, Profile, RoomKind,
    RoomStatus, Tier,
};

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub identity: IdentityView,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TicketResponse {
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct MeResponse {
    pub identity: IdentityView,
    pub profile: ProfileView,
}

/// The profile as its owner sees it: the stored fields plus a short-lived URL showing
/// the avatar (absent without one, or once the image is past its retention).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    #[serde(flatten)]
    pub profile: Profile,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", ts(optional))]
    pub avatar_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", ts(optional))]
    pub avatar_url_expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub avatar_file_id: Option<FileId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct ProfileResponse {
    pub profile: ProfileView,
}

/// One row of the employee directory.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DirectoryEntry {
    pub user_id: UserId,
    pub display_name: String,
    /// Always `employee`: guests are never listed.
    #[cfg_attr(
        feature = "schema",
        schema(value_type = String, pattern = "^employee$"),
        ts(type = "\"employee\"")
    )]
    pub kind: &'static str,
    pub tier: Option<Tier>,
    pub online: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct UsersResponse {
    pub users: Vec<DirectoryEntry>,
}

/// `POST /auth/guest`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GuestLoginRequest {
    pub invite_code: String,
    #[cfg_attr(feature = "schema", schema(min_length = 1, max_length = 80))]
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GuestTokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub identity: IdentityView,
    pub room_id: RoomId,
}

/// A row of `GET /supervisor/rooms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct RoomSummary {
    pub id: RoomId,
    pub kind: RoomKind,
    pub title: String,
    pub issue_id: IssueId,
    pub tier: Tier,
    pub status: RoomStatus,
    pub member_count: usize,
    pub online_count: usize,
    pub guest_count: usize,
    pub employee_count: usize,
    pub robot_count: usize,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct RoomsResponse {
    pub rooms: Vec<RoomSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct ParticipantsResponse {
    pub participants: Vec<Participant>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TranscriptResponse {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct IssuesResponse {
    pub issues: Vec<Issue>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct QueueLength {
    pub tier: Tier,
    pub waiting: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct QueuesResponse {
    pub queues: Vec<QueueLength>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct AuditResponse {
    pub entries: Vec<AuditEntry>,
    /// Pass back as `since` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct IdentityResponse {
    pub identity: IdentityView,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct AccountsResponse {
    pub users: Vec<IdentityView>,
}

/// A room as a transcript describes it: what it was, not who is in it now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct TranscriptRoom {
    pub id: RoomId,
    pub kind: RoomKind,
    pub title: String,
    pub issue_id: IssueId,
    pub status: RoomStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<Conclusion>,
    pub created_at: DateTime<Utc>,
}

/// One room of a transcript and every message of it the reader may see, in `seq`
/// order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct TranscriptSection {
    pub room: TranscriptRoom,
    pub messages: Vec<Message>,
}

/// `GET /supervisor/rooms/{roomId}/transcript?format=json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct RoomTranscriptResponse {
    pub issue: Issue,
    pub room: TranscriptRoom,
    pub messages: Vec<Message>,
}

/// `GET /supervisor/issues/{issueId}/transcript?format=json`: the issue's rooms in the
/// order the issue lists them (oldest first).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct IssueTranscriptResponse {
    pub issue: Issue,
    pub rooms: Vec<TranscriptSection>,
}

/// A number of ratings and their mean (`None` without ratings).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct CsatAverage {
    pub count: u32,
    pub average: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct CsatTier {
    pub tier: Tier,
    #[serde(flatten)]
    pub average: CsatAverage,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CsatEmployee {
    pub user_id: crate::ids::UserId,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", ts(optional))]
    pub display_name: Option<String>,
    #[serde(flatten)]
    pub average: CsatAverage,
}

/// `GET /supervisor/csat`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CsatResponse {
    pub overall: CsatAverage,
    pub by_tier: Vec<CsatTier>,
    pub by_employee: Vec<CsatEmployee>,
}
