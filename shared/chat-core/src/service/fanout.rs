//! Fan-out: pushing events to the connections allowed to see them.
//!
//! A room's audience is read with one `room_connections` query (members' connections
//! plus observers). Each connection gets the event as its kind of viewer may see it
//! ([`ServerEvent::for_viewer`], the one visibility rule), serialized once per kind into
//! a [`SharedFrame`] that all of that kind's connections share (no copy per socket),
//! and posted with one `Push::post_many` per kind: the in-process hub queues it on every
//! socket in one pass, API Gateway's adapter posts with bounded concurrency. A
//! connection the push side reports `Gone` is deleted from the store; the others are
//! unaffected.

use futures::StreamExt;
use tracing::{debug, warn};

use crate::error::CoreResult;
use crate::ids::{ConnectionId, RoomId, UserId};
use crate::model::{AccountKind, Room, RoomView};
use crate::ports::{PushError, SharedFrame};
use crate::protocol::events::{ServerEvent, to_frame};
use crate::service::App;

/// How many per-connection calls (posts outside `post_many`, removals of gone
/// connections) run at once for one event.
pub const PUSH_CONCURRENCY: usize = 16;

/// Who in a room gets an event (always only those allowed to see it; see
/// [`ServerEvent::for_viewer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// Every connection of the room.
    Room,
    /// Every connection except `user`'s own.
    AllBut(&'a UserId),
}

/// The frame each kind of viewer gets for one event, serialized at most once per kind
/// and shared by every connection of that kind.
struct FramesByViewer<'e> {
    event: &'e ServerEvent,
    employee: Option<Option<SharedFrame>>,
    guest: Option<Option<SharedFrame>>,
}

impl<'e> FramesByViewer<'e> {
    fn new(event: &'e ServerEvent) -> Self {
        FramesByViewer {
            event,
            employee: None,
            guest: None,
        }
    }

    fn for_viewer(&mut self, viewer: AccountKind) -> Option<&SharedFrame> {
        let event = self.event;
        let slot = match viewer {
            AccountKind::Employee => &mut self.employee,
            AccountKind::Guest => &mut self.guest,
        };
        slot.get_or_insert_with(|| {
            event
                .for_viewer(viewer)
                .map(|e| SharedFrame::from(to_frame(e.as_ref())))
        })
        .as_ref()
    }
}

impl App {
    /// Posts one frame to one connection; deletes it if gone. Never fails the caller:
    /// the message is already durable, and the client resumes from history.
    pub(crate) async fn send_frame(&self, connection: &ConnectionId, frame: &str) {
        if let Err(e) = self.deps.push.post(connection, frame).await {
            self.push_failed(connection, e).await;
        }
    }

    /// Posts one shared frame to every target at once ([`Push::post_many`]), then
    /// handles the failures as [`App::send_frame`] does. Never fails the caller.
    ///
    /// [`Push::post_many`]: crate::ports::Push::post_many
    pub(crate) async fn send_frames(&self, targets: &[ConnectionId], frame: &SharedFrame) {
        if targets.is_empty() {
            return;
        }
        let failed = self.deps.push.post_many(targets, frame).await;
        futures::stream::iter(failed)
            .for_each_concurrent(PUSH_CONCURRENCY, |(connection, e)| async move {
                self.push_failed(&connection, e).await
            })
            .await;
    }

    /// A gone connection is deleted from the store (and its rate bucket forgotten);
    /// any other failure is only logged.
    async fn push_failed(&self, connection: &ConnectionId, error: PushError) {
        match error {
            PushError::Gone => {
                debug!(connection_id = %connection, "connection gone; removing it");
                if let Err(e) = self.deps.store.delete_connection(connection).await {
                    warn!(connection_id = %connection, error = %e, "could not remove a gone connection");
                }
                self.rate.forget(connection);
            }
            e => warn!(connection_id = %connection, error = %e, "push failed"),
        }
    }

    /// Pushes `event` to the room's audience: one frame per kind of viewer, shared by
    /// all of that kind's connections, posted in one `post_many` per kind.
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
        let except = match audience {
            Audience::Room => None,
            Audience::AllBut(user) => Some(user),
        };
        let mut employees = Vec::with_capacity(connections.len());
        let mut guests = Vec::new();
        for rc in connections {
            if except == Some(&rc.connection.user_id) {
                continue;
            }
            match rc.connection.kind {
                AccountKind::Employee => employees.push(rc.connection.id),
                AccountKind::Guest => guests.push(rc.connection.id),
            }
        }
        self.send_by_viewer(
            event,
            [
                (AccountKind::Employee, employees),
                (AccountKind::Guest, guests),
            ],
        )
        .await;
    }

    /// Posts `event` to each group of connections as that kind of viewer sees it (a
    /// group whose viewer may not see it gets nothing).
    async fn send_by_viewer(
        &self,
        event: &ServerEvent,
        groups: [(AccountKind, Vec<ConnectionId>); 2],
    ) {
        let mut frames = FramesByViewer::new(event);
        for (viewer, targets) in groups {
            if targets.is_empty() {
                continue;
            }
            if let Some(frame) = frames.for_viewer(viewer).cloned() {
                self.send_frames(&targets, &frame).await;
            }
        }
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
        let mut employees = Vec::new();
        let mut guests = Vec::new();
        for c in connections {
            match c.kind {
                AccountKind::Employee => employees.push(c.id),
                AccountKind::Guest => guests.push(c.id),
            }
        }
        self.send_by_viewer(
            event,
            [
                (AccountKind::Employee, employees),
                (AccountKind::Guest, guests),
            ],
        )
        .await;
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
        self.broadcast(&room.id, &event, Audience::Room).await;
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
