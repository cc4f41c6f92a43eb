//! HTTP request and response bodies (PROTOCOL §2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{FileId, UserId};
use crate::model::{IdentityView, Profile, Tier};

#[derive(Debug, Clone, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub identity: IdentityView,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketResponse {
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeResponse {
    pub identity: IdentityView,
    pub profile: Profile,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub avatar_file_id: Option<FileId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileResponse {
    pub profile: Profile,
}

/// One row of the employee directory.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryEntry {
    pub user_id: UserId,
    pub display_name: String,
    pub kind: &'static str,
    pub tier: Option<Tier>,
    pub online: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct UsersResponse {
    pub users: Vec<DirectoryEntry>,
}
