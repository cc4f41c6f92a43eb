//! The audit log: an append-only record of security-relevant actions (logins,
//! supervisor observe / break-in, shares, escalations, conclusions, admin changes).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{IssueId, RoomId};

/// What happened, as stored before the store numbers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    /// A user id, or `operator` for the admin CLI.
    pub actor: String,
    /// Dotted verb: `login`, `supervisor.observe`, `admin.user-updated`, …
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_id: Option<RoomId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_id: Option<IssueId>,
    pub detail: serde_json::Value,
}

/// A stored entry; `seq` orders the log and is the paging cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[cfg_attr(feature = "schema", ts(type = "number"))]
    pub seq: u64,
    #[serde(flatten)]
    pub entry: NewAuditEntry,
}
