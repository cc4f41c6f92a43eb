//! In-memory adapters. One mutex around all state keeps every operation atomic, which
//! is exactly the guarantee the store contract asks for. This file is the store; the
//! other ports' adapters (push, jobs, blobs, clock, ids) are re-exported from
//! `memory_io.rs`; the message log is in `memory/messages.rs`, file records in
//! `memory/files.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::{CoreError, CoreResult};
use crate::ids::{ClientMsgId, ConnectionId, IssueId, MemberId, RoomId, UserId};
use crate::model::{
    AuditEntry, Connection, Identity, Invite, Issue, IssueEvent, IssueStatus, Member, Message,
    NewAuditEntry, ParticipantKind, Profile, Room, RoomConnection, RoomStatus, Tier, UserRecord,
};
use crate::policy::guest_never_alone;
use crate::ports::{
    Addition, AuditStore, ConnectionStore, InviteStore, Removal, RoomStore, TicketStore, UserStore,
};

mod files;
mod messages;

#[derive(Default)]
struct State {
    users: BTreeMap<UserId, UserRecord>,
    rooms: HashMap<RoomId, Room>,
    members: HashMap<RoomId, Vec<Member>>,
    issues: HashMap<IssueId, Issue>,
    messages: HashMap<RoomId, Vec<Message>>,
    /// (room, author, clientMsgId) → position in the room's log: idempotency lookups
    /// stay O(1) however long the room gets.
    client_ids: HashMap<(RoomId, String, ClientMsgId), usize>,
    connections: HashMap<ConnectionId, Connection>,
    observers: HashMap<RoomId, HashSet<ConnectionId>>,
    tickets: HashMap<String, (UserId, DateTime<Utc>)>,
    invites: HashMap<String, Invite>,
    audit: Vec<AuditEntry>,
    files: HashMap<crate::ids::FileId, crate::model::FileRecord>,
}

/// The in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn insert_user(&self, user: &UserRecord) -> CoreResult<()> {
        let mut s = self.lock();
        let name = user.identity.username.to_ascii_lowercase();
        if s.users
            .values()
            .any(|u| u.identity.username.to_ascii_lowercase() == name)
        {
            return Err(CoreError::conflict("username is taken"));
        }
        if s.users.contains_key(&user.identity.user_id) {
            return Err(CoreError::conflict("user id is taken"));
        }
        s.users.insert(user.identity.user_id.clone(), user.clone());
        Ok(())
    }

    async fn user_by_id(&self, id: &UserId) -> CoreResult<Option<UserRecord>> {
        Ok(self.lock().users.get(id).cloned())
    }

    async fn user_by_username(&self, username: &str) -> CoreResult<Option<UserRecord>> {
        let name = username.to_ascii_lowercase();
        Ok(self
            .lock()
            .users
            .values()
            .find(|u| u.identity.username.to_ascii_lowercase() == name)
            .cloned())
    }

    async fn update_identity(
        &self,
        identity: &Identity,
        password_hash: Option<&str>,
    ) -> CoreResult<()> {
        let mut s = self.lock();
        let user = s
            .users
            .get_mut(&identity.user_id)
            .ok_or_else(|| CoreError::not_found("no such user"))?;
        // The username is the login key and never changes through an identity update.
        let username = std::mem::take(&mut user.identity.username);
        user.identity = Identity {
            username,
            ..identity.clone()
        };
        user.password_hash = password_hash.map(str::to_string);
        Ok(())
    }

    async fn update_profile(&self, user: &UserId, profile: &Profile) -> CoreResult<()> {
        let mut s = self.lock();
        let record = s
            .users
            .get_mut(user)
            .ok_or_else(|| CoreError::not_found("no such user"))?;
        record.profile = profile.clone();
        Ok(())
    }

    async fn list_users(&self) -> CoreResult<Vec<UserRecord>> {
        let mut users: Vec<UserRecord> = self.lock().users.values().cloned().collect();
        users.sort_by(|a, b| a.identity.username.cmp(&b.identity.username));
        Ok(users)
    }
}

fn newest_first(mut rooms: Vec<Room>) -> Vec<Room> {
    rooms.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    rooms
}

#[async_trait]
impl RoomStore for MemoryStore {
    async fn create_room(
        &self,
        room: &Room,
        first_member: &Member,
        new_issue: Option<&Issue>,
    ) -> CoreResult<()> {
        let mut s = self.lock();
        if s.rooms.contains_key(&room.id) {
            return Err(CoreError::conflict("room id is taken"));
        }
        match new_issue {
            Some(issue) => {
                s.issues.insert(issue.id.clone(), issue.clone());
            }
            None => {
                let issue = s
                    .issues
                    .get_mut(&room.issue_id)
                    .ok_or_else(|| CoreError::not_found("no such issue"))?;
                if !issue.room_ids.contains(&room.id) {
                    issue.room_ids.push(room.id.clone());
                }
            }
        }
        s.rooms.insert(room.id.clone(), room.clone());
        s.members
            .insert(room.id.clone(), vec![first_member.clone()]);
        Ok(())
    }

    async fn room(&self, id: &RoomId) -> CoreResult<Option<Room>> {
        Ok(self.lock().rooms.get(id).cloned())
    }

    async fn update_room_if(&self, room: &Room, seen: &Room) -> CoreResult<bool> {
        let mut s = self.lock();
        let Some(stored) = s.rooms.get_mut(&room.id) else {
            return Ok(false);
        };
        if stored.status != seen.status || stored.waiting_since != seen.waiting_since {
            return Ok(false);
        }
        stored.status = room.status;
        stored.conclusion = room.conclusion;
        stored.title = room.title.clone();
        stored.waiting_since = room.waiting_since;
        Ok(true)
    }

    async fn update_room(&self, room: &Room) -> CoreResult<()> {
        let mut s = self.lock();
        let stored = s
            .rooms
            .get_mut(&room.id)
            .ok_or_else(|| CoreError::not_found("no such room"))?;
        stored.status = room.status;
        stored.conclusion = room.conclusion;
        stored.title = room.title.clone();
        stored.waiting_since = room.waiting_since;
        Ok(())
    }

    async fn rooms_of(&self, member: &str) -> CoreResult<Vec<Room>> {
        let s = self.lock();
        let rooms = s
            .members
            .iter()
            .filter(|(_, ms)| ms.iter().any(|m| m.id == member))
            .filter_map(|(id, _)| s.rooms.get(id).cloned())
            .collect();
        Ok(newest_first(rooms))
    }

    async fn list_rooms(&self, status: Option<RoomStatus>) -> CoreResult<Vec<Room>> {
        let s = self.lock();
        let rooms = s
            .rooms
            .values()
            .filter(|r| status.is_none_or(|st| r.status == st))
            .cloned()
            .collect();
        Ok(newest_first(rooms))
    }

    async fn members(&self, room: &RoomId) -> CoreResult<Vec<Member>> {
        Ok(self.lock().members.get(room).cloned().unwrap_or_default())
    }

    async fn is_member(&self, room: &RoomId, member: &str) -> CoreResult<bool> {
        Ok(self
            .lock()
            .members
            .get(room)
            .is_some_and(|ms| ms.iter().any(|m| m.id == member)))
    }

    async fn add_member(&self, room: &RoomId, member: &Member) -> CoreResult<Addition> {
        let mut s = self.lock();
        if !s.rooms.contains_key(room) {
            return Err(CoreError::not_found("no such room"));
        }
        let members = s.members.entry(room.clone()).or_default();
        if members.iter().any(|m| m.id == member.id) {
            return Ok(Addition::AlreadyMember);
        }
        let mut after = members.clone();
        after.push(member.clone());
        if member.kind == ParticipantKind::Guest && !guest_never_alone(&after) {
            return Ok(Addition::GuestWithoutEmployee);
        }
        *members = after;
        Ok(Addition::Added)
    }

    async fn remove_member(&self, room: &RoomId, member: &str) -> CoreResult<Removal> {
        let mut s = self.lock();
        let Some(members) = s.members.get_mut(room) else {
            return Ok(Removal::NotAMember);
        };
        let Some(pos) = members.iter().position(|m| m.id == member) else {
            return Ok(Removal::NotAMember);
        };
        let mut after = members.clone();
        after.remove(pos);
        if !guest_never_alone(&after) {
            return Ok(Removal::WouldLeaveGuestAlone);
        }
        *members = after;
        Ok(Removal::Removed)
    }

    async fn issue(&self, id: &IssueId) -> CoreResult<Option<Issue>> {
        Ok(self.lock().issues.get(id).cloned())
    }

    async fn save_issue(&self, issue: &Issue) -> CoreResult<()> {
        self.lock().issues.insert(issue.id.clone(), issue.clone());
        Ok(())
    }

    async fn update_issue(&self, issue: &Issue) -> CoreResult<()> {
        let mut s = self.lock();
        let stored = s
            .issues
            .get_mut(&issue.id)
            .ok_or_else(|| CoreError::not_found("no such issue"))?;
        stored.tier = issue.tier;
        stored.status = issue.status;
        stored.conclusion = issue.conclusion;
        stored.ratings = issue.ratings.clone();
        Ok(())
    }

    async fn append_issue_event(&self, issue: &IssueId, event: &IssueEvent) -> CoreResult<()> {
        self.lock()
            .issues
            .get_mut(issue)
            .ok_or_else(|| CoreError::not_found("no such issue"))?
            .history
            .push(event.clone());
        Ok(())
    }

    async fn list_issues(
        &self,
        tier: Option<Tier>,
        status: Option<IssueStatus>,
    ) -> CoreResult<Vec<Issue>> {
        let mut issues: Vec<Issue> = self
            .lock()
            .issues
            .values()
            .filter(|i| tier.is_none_or(|t| i.tier == t) && status.is_none_or(|st| i.status == st))
            .cloned()
            .collect();
        issues.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(issues)
    }
}

#[async_trait]
impl InviteStore for MemoryStore {
    async fn put_invite(&self, code_hash: &str, invite: &Invite) -> CoreResult<()> {
        self.lock()
            .invites
            .insert(code_hash.to_string(), invite.clone());
        Ok(())
    }

    async fn take_invite(&self, code_hash: &str, now: DateTime<Utc>) -> CoreResult<Option<Invite>> {
        Ok(self
            .lock()
            .invites
            .remove(code_hash)
            .filter(|i| i.expires_at > now))
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn append_audit(&self, entry: &NewAuditEntry) -> CoreResult<AuditEntry> {
        let mut s = self.lock();
        let seq = s.audit.last().map_or(1, |e| e.seq + 1);
        let stored = AuditEntry {
            seq,
            entry: entry.clone(),
        };
        s.audit.push(stored.clone());
        Ok(stored)
    }

    async fn audit_page(
        &self,
        after_seq: u64,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> CoreResult<Vec<AuditEntry>> {
        Ok(self
            .lock()
            .audit
            .iter()
            .filter(|e| e.seq > after_seq && since.is_none_or(|t| e.entry.at >= t))
            .take(limit)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl ConnectionStore for MemoryStore {
    async fn put_connection(&self, connection: &Connection) -> CoreResult<()> {
        self.lock()
            .connections
            .insert(connection.id.clone(), connection.clone());
        Ok(())
    }

    async fn connection(&self, id: &ConnectionId) -> CoreResult<Option<Connection>> {
        Ok(self.lock().connections.get(id).cloned())
    }

    async fn delete_connection(&self, id: &ConnectionId) -> CoreResult<Option<Connection>> {
        let mut s = self.lock();
        for observers in s.observers.values_mut() {
            observers.remove(id);
        }
        Ok(s.connections.remove(id))
    }

    async fn connections_of(&self, user: &UserId) -> CoreResult<Vec<Connection>> {
        let mut v: Vec<Connection> = self
            .lock()
            .connections
            .values()
            .filter(|c| &c.user_id == user)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(v)
    }

    async fn room_connections(&self, room: &RoomId) -> CoreResult<Vec<RoomConnection>> {
        let s = self.lock();
        let members: HashSet<&str> = s
            .members
            .get(room)
            .map(|ms| ms.iter().map(|m| m.id.as_str()).collect())
            .unwrap_or_default();
        let observers = s.observers.get(room);
        let mut out: Vec<RoomConnection> = s
            .connections
            .values()
            .filter_map(|c| {
                let observer = observers.is_some_and(|o| o.contains(&c.id));
                (members.contains(c.user_id.as_str()) || observer).then(|| RoomConnection {
                    connection: c.clone(),
                    room_id: room.clone(),
                    observer: observer && !members.contains(c.user_id.as_str()),
                })
            })
            .collect();
        out.sort_by(|a, b| a.connection.id.cmp(&b.connection.id));
        Ok(out)
    }

    async fn online_users(&self, users: &[MemberId]) -> CoreResult<HashSet<MemberId>> {
        let s = self.lock();
        let online: HashSet<&str> = s.connections.values().map(|c| c.user_id.as_str()).collect();
        Ok(users
            .iter()
            .filter(|u| online.contains(u.as_str()))
            .cloned()
            .collect())
    }

    async fn add_observer(&self, room: &RoomId, connection: &ConnectionId) -> CoreResult<()> {
        let mut s = self.lock();
        if !s.connections.contains_key(connection) {
            return Err(CoreError::not_found("no such connection"));
        }
        s.observers
            .entry(room.clone())
            .or_default()
            .insert(connection.clone());
        Ok(())
    }
}

#[async_trait]
impl TicketStore for MemoryStore {
    async fn put_ticket(
        &self,
        ticket_hash: &str,
        user: &UserId,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        self.lock()
            .tickets
            .insert(ticket_hash.to_string(), (user.clone(), expires_at));
        Ok(())
    }

    async fn take_ticket(
        &self,
        ticket_hash: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<Option<UserId>> {
        Ok(self
            .lock()
            .tickets
            .remove(ticket_hash)
            .filter(|(_, exp)| *exp > now)
            .map(|(u, _)| u))
    }
}

pub use super::memory_io::{CountingIds, ManualClock, MemoryBlobs, MemoryJobs, RecordingPush};
