//! Guest invitations: a single-use, expiring code that lets one customer into one room.
//! Only the code's sha256 is stored; the code itself travels once, by email.

use chrono::{DateTime, Utc};

use crate::ids::{IssueId, RoomId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub room_id: RoomId,
    pub issue_id: IssueId,
    pub created_by: UserId,
    /// The name the employee expects (the guest types their own at redemption).
    pub display_name: Option<String>,
    pub expires_at: DateTime<Utc>,
}
