//! Identity (who you are, what you may do) versus profile (how you look).
//!
//! DESIGN §3: identity — kind, tier, roles, enabled, token version — changes only by
//! admins; the profile is the user's own and never affects permissions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{FileId, IssueId, RoomId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    Employee,
    Guest,
}

impl AccountKind {
    /// The wire and storage name (`employee`, `guest`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Employee => "employee",
            AccountKind::Guest => "guest",
        }
    }

    pub fn parse(raw: &str) -> Option<AccountKind> {
        match raw {
            "employee" => Some(AccountKind::Employee),
            "guest" => Some(AccountKind::Guest),
            _ => None,
        }
    }
}

/// Support tier; ordered so `T1 < T2 < T3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub enum Tier {
    T1,
    T2,
    T3,
}

impl Tier {
    /// The next tier up, if any (T3 cannot escalate further).
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::T1 => Some(Tier::T2),
            Tier::T2 => Some(Tier::T3),
            Tier::T3 => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::T1 => "T1",
            Tier::T2 => "T2",
            Tier::T3 => "T3",
        }
    }

    pub fn parse(raw: &str) -> Option<Tier> {
        match raw {
            "T1" => Some(Tier::T1),
            "T2" => Some(Tier::T2),
            "T3" => Some(Tier::T3),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Supervisor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "supervisor" => Some(Role::Supervisor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who someone is and what they may do. Only admins change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: UserId,
    pub username: String,
    pub kind: AccountKind,
    /// Employees only.
    pub tier: Option<Tier>,
    pub roles: Vec<Role>,
    pub enabled: bool,
    /// Bumping it revokes every token issued before (tokens carry the version).
    pub token_version: u32,
    /// Guests are scoped to the room (and issue) they were invited to.
    pub guest_room: Option<RoomId>,
    pub guest_issue: Option<IssueId>,
}

impl Identity {
    pub fn is_employee(&self) -> bool {
        self.kind == AccountKind::Employee
    }
    pub fn is_guest(&self) -> bool {
        self.kind == AccountKind::Guest
    }
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    pub fn is_supervisor(&self) -> bool {
        self.is_employee() && self.has_role(Role::Supervisor)
    }
    pub fn is_admin(&self) -> bool {
        self.is_employee() && self.has_role(Role::Admin)
    }
}

/// What the user edits about themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct Profile {
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_file_id: Option<FileId>,
}

/// The wire `identity` object (PROTOCOL §2), plus `enabled` for admin listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct IdentityView {
    pub user_id: UserId,
    pub username: String,
    pub kind: AccountKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    pub roles: Vec<Role>,
    pub display_name: String,
    pub enabled: bool,
}

/// A stored account: identity, profile and credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub identity: Identity,
    pub profile: Profile,
    /// PHC-format argon2id hash; `None` for guests (they hold only an invite-born token).
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl UserRecord {
    /// The identity as clients see it; the display name comes from the profile.
    pub fn view(&self) -> IdentityView {
        let id = &self.identity;
        IdentityView {
            user_id: id.user_id.clone(),
            username: id.username.clone(),
            kind: id.kind,
            tier: id.tier,
            roles: id.roles.clone(),
            display_name: self.profile.display_name.clone(),
            enabled: id.enabled,
        }
    }
}
