//! Open WebSocket connections.
//!
//! A connection belongs to one user; the store can list a room's live connections in one
//! query (members' connections plus silent observers), which is what fan-out reads.

use chrono::{DateTime, Utc};

use crate::ids::{ConnectionId, RoomId, UserId};
use crate::model::identity::AccountKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: ConnectionId,
    pub user_id: UserId,
    /// Copied from the identity at connect time so fan-out can filter by visibility
    /// without reading users.
    pub kind: AccountKind,
    /// The identity's token version when the socket opened; a later revoke makes it
    /// stale, and the next action on it is refused (and the socket closed).
    pub token_version: u32,
    pub connected_at: DateTime<Utc>,
}

/// A connection that receives a room's events, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomConnection {
    pub connection: Connection,
    pub room_id: RoomId,
    /// A supervisor watching silently (not a member).
    pub observer: bool,
}
