//! Fan-out: pushing events to the connections allowed to see them.
//!
//! A room's audience is read with one `room_connections` query (members' connections
//! plus observers). The frame is serialized once, filtered by visibility per connection,
//! and posted with bounded concurrency. A connection the push side reports `Gone` is
//! deleted from the store; the others are unaffected.

use futures::StreamExt;
use tracing::{debug, warn};

use crate::error::CoreResult;
use crate::ids::{ConnectionId, RoomId, UserId};
use crate::model::{AccountKind, Room, RoomView, Visibility};
use crate::ports::PushError;
use crate::protocol::events::{ServerEvent, to_frame};
use crate::service::App;

/// How many PostToConnection calls run at once for one event.
pub const PUSH_CONCURRENCY: usize = 16;

/// Who in a room gets an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// Everyone allowed to see `visibility`.
    Room(Visibility),
    /// Everyone allowed to see `visibility` except `user`'s own connections.
    AllBut(Visibility, &'a UserId),
}

impl App {
    /// Posts one frame to one connection; deletes it if gone. Never fails the caller:
    /// the message is already durable, and the client resumes from history.
    pub(crate) async fn send_frame(&self, connection: &ConnectionId, frame: &str) {
        match self.deps.push.post(connection, frame).await {
            Ok(()) => {}
            Err(PushError::Gone) => {
                debug!(connection_id = %connection, "connection gone; removing it");
                if let Err(e) = self.deps.store.delete_connection(connection).await {
                    warn!(connection_id = %connection, error = %e, "could not remove a gone connection");
                }
                self.rate.forget(connection);
            }
            Err(e) => warn!(connection_id = %connection, error = %e, "push failed"),
        }
    }

    /// Pushes `event` to the room's audience.
    pub(crate) async fn broadcast(
        &self,
        room: &RoomId,
        event: &ServerEvent,
        audience: Audience<'_>,
    ) {
        let connections = match self.deps.store.room_connections(room).await {
            Ok(c) => c,
            Err(e) => {
                warn!(room_id = %room, error = %e, "fan-out skipped: could not list connections");
                return;
            }
        };
        let (visibility, except) = match audience {
            Audience::Room(v) => (v, None),
            Audience::AllBut(v, user) => (v, Some(user)),
        };
        let frame = to_frame(event);
        let targets = connections.into_iter().filter(|rc| {
            let c = &rc.connection;
            let may_see = visibility == Visibility::Everyone || c.kind == AccountKind::Employee;
            may_see && except != Some(&c.user_id)
        });
        futures::stream::iter(targets)
            .for_each_concurrent(PUSH_CONCURRENCY, |rc| {
                let frame = &frame;
                async move { self.send_frame(&rc.connection.id, frame).await }
            })
            .await;
    }

    /// Pushes `event` to every connection of `user` (e.g. a member who was removed).
    pub(crate) async fn send_to_user(&self, user: &UserId, event: &ServerEvent) {
        let connections = match self.deps.store.connections_of(user).await {
            Ok(c) => c,
            Err(e) => {
                warn!(user_id = %user, error = %e, "could not list a user's connections");
                return;
            }
        };
        let frame = to_frame(event);
        for c in connections {
            self.send_frame(&c.id, &frame).await;
        }
    }

    /// The wire view of a room: members with online flags and counts.
    pub(crate) async fn room_view(&self, room: &Room) -> CoreResult<RoomView> {
        let members = self.deps.store.members(&room.id).await?;
        let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
        let online = self.deps.store.online_users(&ids).await?;
        Ok(RoomView::build(room, &members, |id| online.contains(id)))
    }

    /// Sends `room.updated` with the current view to the room.
    pub(crate) async fn broadcast_room_updated(&self, room: &Room) -> CoreResult<RoomView> {
        let view = self.room_view(room).await?;
        let event = ServerEvent::RoomUpdated { room: view.clone() };
        self.broadcast(&room.id, &event, Audience::Room(Visibility::Everyone))
            .await;
        Ok(view)
    }

    /// A user came online or went offline: their rooms' online counts changed.
    pub(crate) async fn announce_presence(&self, user: &UserId) {
        let rooms = match self.deps.store.rooms_of(user.as_str()).await {
            Ok(r) => r,
            Err(e) => {
                warn!(user_id = %user, error = %e, "presence not announced");
                return;
            }
        };
        for room in rooms
            .iter()
            .filter(|r| r.status == crate::model::RoomStatus::Open)
        {
            if let Err(e) = self.broadcast_room_updated(room).await {
                warn!(room_id = %room.id, error = %e, "presence not announced to a room");
            }
        }
    }
}
