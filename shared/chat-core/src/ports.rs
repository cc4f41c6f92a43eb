//! Ports: what the core needs from the outside world, as small capability traits.
//!
//! Adapters implement them: `chat-embedded` (SQLite, local folder, in-process queue and
//! push), `chat-aws` (DynamoDB, S3, SQS, API Gateway Management), and
//! [`crate::testkit::memory`] for fast tests. Each port has one contract test suite in
//! [`crate::testkit`] that every adapter runs.
//!
//! Errors: adapters report failures as [`CoreError::Storage`] (or `Unavailable` when the
//! backend is throttling/unreachable); semantic outcomes that the domain acts on
//! (duplicate username, stale connection, a guest left alone) are typed values or
//! specific `CoreError` variants documented on each method.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::ids::{ClientMsgId, ConnectionId, FileId, IssueId, MemberId, MessageId, RoomId, UserId};
use crate::model::{
    AuditEntry, Connection, FileRecord, FileStatus, Identity, Invite, Issue, IssueEvent,
    IssueStatus, Member, Message, NewAuditEntry, NewMessage, Profile, RobotChunk, RobotFailure,
    RobotInfo, RobotRequest, Room, RoomConnection, RoomStatus, Tier, UserRecord,
};

mod blobs;
mod push;
pub use blobs::{BlobMeta, Blobs, DownloadOptions, PresignedRequest, UploadBinding};
pub use push::{MANAGEMENT_KEY_HEADER, POST_MANY_CONCURRENCY, Push, PushError, SharedFrame};

// ---------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------

/// Accounts: identity, profile, credential.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Adds a user. A taken username (case-insensitive) → `CoreError::Conflict`.
    async fn insert_user(&self, user: &UserRecord) -> CoreResult<()>;
    async fn user_by_id(&self, id: &UserId) -> CoreResult<Option<UserRecord>>;
    /// Case-insensitive lookup.
    async fn user_by_username(&self, username: &str) -> CoreResult<Option<UserRecord>>;
    /// Replaces identity fields (kind, tier, roles, enabled, token version, guest scope)
    /// and the password hash. The username is the login key and never changes here.
    /// Unknown user → `CoreError::NotFound`.
    async fn update_identity(
        &self,
        identity: &Identity,
        password_hash: Option<&str>,
    ) -> CoreResult<()>;
    /// Replaces the profile only. Unknown user → `CoreError::NotFound`.
    async fn update_profile(&self, user: &UserId, profile: &Profile) -> CoreResult<()>;
    /// Every account, ordered by username.
    async fn list_users(&self) -> CoreResult<Vec<UserRecord>>;
}

/// Result of adding a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addition {
    Added,
    AlreadyMember,
    /// Refused: a guest may only join a room that has an employee in it.
    GuestWithoutEmployee,
}

/// Result of a guarded membership removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    NotAMember,
    /// Refused: the member is the room's last employee and a guest remains.
    WouldLeaveGuestAlone,
}

/// Rooms, their members and issues.
#[async_trait]
pub trait RoomStore: Send + Sync {
    /// Creates a room with its first member, and the issue when it is new (`issue` is
    /// `Some` only for a new issue; otherwise the room id is appended to the existing
    /// issue's `room_ids`). Atomic.
    async fn create_room(
        &self,
        room: &Room,
        first_member: &Member,
        new_issue: Option<&Issue>,
    ) -> CoreResult<()>;
    async fn room(&self, id: &RoomId) -> CoreResult<Option<Room>>;
    /// Updates status, conclusion, title and `waiting_since`. Never touches `last_seq`.
    async fn update_room(&self, room: &Room) -> CoreResult<()>;
    /// [`update_room`](Self::update_room) only if the stored room's status and
    /// `waiting_since` are still those of `seen` (what the caller read): `false`, writing
    /// nothing, when another writer changed them first (or the room is gone). Makes
    /// "conclude once" and "one employee claims a waiting room" atomic.
    async fn update_room_if(&self, room: &Room, seen: &Room) -> CoreResult<bool>;
    /// Rooms that `member` belongs to, newest first.
    async fn rooms_of(&self, member: &str) -> CoreResult<Vec<Room>>;
    /// Every room with the given status (`None` = all), newest first.
    async fn list_rooms(&self, status: Option<RoomStatus>) -> CoreResult<Vec<Room>>;

    async fn members(&self, room: &RoomId) -> CoreResult<Vec<Member>>;
    async fn is_member(&self, room: &RoomId, member: &str) -> CoreResult<bool>;
    /// Adds a member. A guest is added only if the room has an employee member at that
    /// moment (checked atomically with the insert; DESIGN §3 "a guest is never alone").
    /// An existing member gets `AlreadyMember` whatever the room holds. Unknown room →
    /// `NotFound`.
    async fn add_member(&self, room: &RoomId, member: &Member) -> CoreResult<Addition>;
    /// Removes a member unless that would leave a guest without any employee
    /// (DESIGN §3 "a guest is never alone"). The check and the removal are one atomic
    /// step, so two employees leaving at once cannot strand a guest.
    async fn remove_member(&self, room: &RoomId, member: &str) -> CoreResult<Removal>;

    async fn issue(&self, id: &IssueId) -> CoreResult<Option<Issue>>;
    /// Inserts or replaces an issue.
    async fn save_issue(&self, issue: &Issue) -> CoreResult<()>;
    /// Replaces an existing issue's tier, status, conclusion and ratings; never its
    /// history or room list, which only grow (through `append_issue_event` and
    /// `create_room`), so a writer holding an older copy cannot drop a line someone
    /// else just added. Unknown issue → `NotFound`.
    async fn update_issue(&self, issue: &Issue) -> CoreResult<()>;
    /// Appends one line to an issue's history, atomically with respect to every other
    /// append and update. Unknown issue → `NotFound`.
    async fn append_issue_event(&self, issue: &IssueId, event: &IssueEvent) -> CoreResult<()>;
    /// Issues filtered by tier and status (`None` = any), newest first (ties: id
    /// descending).
    async fn list_issues(
        &self,
        tier: Option<Tier>,
        status: Option<IssueStatus>,
    ) -> CoreResult<Vec<Issue>>;
}

/// Outcome of appending a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Appended {
    /// A new message with the next sequence number.
    Created(Message),
    /// The same author already sent this `clientMsgId` in this room: the original.
    Existing(Message),
}

impl Appended {
    pub fn message(&self) -> &Message {
        match self {
            Appended::Created(m) | Appended::Existing(m) => m,
        }
    }
    pub fn into_message(self) -> Message {
        match self {
            Appended::Created(m) | Appended::Existing(m) => m,
        }
    }
}

/// Outcome of appending several messages in one step.
#[derive(Debug, Clone, PartialEq)]
pub enum AppendedAll {
    /// New messages with consecutive sequence numbers, in the order given.
    Created(Vec<Message>),
    /// A resend: the originals, in the order given.
    Existing(Vec<Message>),
}

impl AppendedAll {
    pub fn into_messages(self) -> Vec<Message> {
        match self {
            AppendedAll::Created(m) | AppendedAll::Existing(m) => m,
        }
    }
}

/// The room of a batch for [`MessageStore::append_messages`], checking that it is not
/// empty and that every message is in that room (a caller's bug otherwise).
pub fn batch_room(messages: &[NewMessage]) -> CoreResult<&RoomId> {
    let first = messages
        .first()
        .ok_or_else(|| crate::CoreError::Internal("append_messages: an empty batch".into()))?;
    if messages.iter().any(|m| m.room_id != first.room_id) {
        return Err(crate::CoreError::Internal(
            "append_messages: a batch spans rooms".into(),
        ));
    }
    Ok(&first.room_id)
}

/// A page request over a room's messages, ascending by `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// Only messages with `seq > after_seq`.
    pub after_seq: Option<u64>,
    /// Only messages with `seq < before_seq`. With only `before_seq`, the page is the
    /// `limit` messages just before it (still returned in ascending order).
    pub before_seq: Option<u64>,
    pub limit: usize,
    /// `false` drops `employees`-only messages (for guests).
    pub include_employee_only: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub messages: Vec<Message>,
    /// More messages exist in the paging direction.
    pub has_more: bool,
}

/// What must still hold when a `message.send` commits: the sender's connection is open,
/// its user is as the sender saw it (enabled, on the connection's token version, with the
/// kind, name and guest scope the message was built from), the author is a member of
/// the room, and the room is open.
#[derive(Debug, Clone, Copy)]
pub struct SendGuard<'a> {
    pub connection: &'a Connection,
    /// The user the message was built from; possibly the store's hint
    /// ([`MessageStore::author_hint`]), so it is compared at commit.
    pub user: &'a UserRecord,
}

/// Why [`append_checked`] refused a send; nothing was written.
#[derive(Debug, Clone, PartialEq)]
pub enum SendRefusal {
    /// The sender's connection is gone (disconnected, revoked, or never existed).
    ConnectionGone,
    /// The user differs from [`SendGuard::user`]: the stored record (`None`: deleted).
    /// The caller decides (refuse a revoked user; rebuild the message otherwise).
    UserChanged(Option<Box<UserRecord>>),
    /// The author is not a member of the room (or there is no such room).
    NotAMember,
    /// The room is concluded.
    RoomClosed,
}

/// Outcome of [`append_checked`]: appended (new, or a resend's original), or refused
/// with nothing written.
pub type CheckedAppend = Result<Appended, SendRefusal>;

/// A store that checks a [`SendGuard`] inside the commit itself (DynamoDB: one
/// transaction with `ConditionCheck`s), so a send needs no reads beforehand.
#[async_trait]
pub trait GuardedAppend: Send + Sync {
    /// [`MessageStore::append_message`], committed only while `guard` holds. When
    /// several things fail, the first of these wins: connection, user, membership, a
    /// resend ([`Appended::Existing`], also in a concluded room), room closed.
    async fn append_guarded(
        &self,
        message: &NewMessage,
        guard: &SendGuard<'_>,
    ) -> CoreResult<CheckedAppend>;
}

/// Appends a send only while `guard` holds, one way for every store: atomically when
/// the store offers [`GuardedAppend`], otherwise by reading membership and the room
/// just before appending (what every send did before; the identity behind `guard` was
/// read fresh, since such stores give no [`MessageStore::author_hint`]).
pub async fn append_checked(
    store: &(impl Store + ?Sized),
    message: &NewMessage,
    guard: &SendGuard<'_>,
) -> CoreResult<CheckedAppend> {
    if let Some(guarded) = store.guarded_append() {
        return guarded.append_guarded(message, guard).await;
    }
    let room = &message.room_id;
    if !store.is_member(room, &message.author.id).await? {
        return Ok(Err(SendRefusal::NotAMember));
    }
    match store.room(room).await? {
        None => Ok(Err(SendRefusal::NotAMember)),
        Some(r) if r.status != RoomStatus::Open => {
            // Idempotency beats the open-room check, as in the atomic checks.
            let original = match &message.client_msg_id {
                Some(cmid) => {
                    store
                        .message_by_client_id(room, &message.author.id, cmid)
                        .await?
                }
                None => None,
            };
            Ok(match original {
                Some(m) => Ok(Appended::Existing(m)),
                None => Err(SendRefusal::RoomClosed),
            })
        }
        Some(_) => Ok(Ok(store.append_message(message).await?)),
    }
}

/// Messages.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// The user `user` as this process last saw it, when the store keeps such hints
    /// (DynamoDB, per warm Lambda); `None` otherwise. Only for [`append_checked`],
    /// which compares it with the stored user at commit; it may lack the password hash,
    /// so it is never written back.
    fn author_hint(&self, _user: &UserId) -> Option<UserRecord> {
        None
    }
    /// The store's atomic guard check for sends, if it has one (see [`append_checked`]).
    /// A store that gives [`author_hint`](Self::author_hint)s must have one: only a
    /// check at commit makes a hint safe.
    fn guarded_append(&self) -> Option<&dyn GuardedAppend> {
        None
    }
    /// Commits a message with the room's next `seq` (gapless, in commit order) and
    /// bumps the room's `last_seq`/`last_message_at` in the same atomic step. When
    /// `client_msg_id` is set and the same author already used it in the room, returns
    /// [`Appended::Existing`] and writes nothing. Unknown room → `NotFound`.
    async fn append_message(&self, message: &NewMessage) -> CoreResult<Appended>;
    /// Commits `messages` (one room, at least one) with consecutive `seq`s in one atomic
    /// step: all of them or none, and no other message between them (a robot request
    /// and its response). Idempotent through the first message's `client_msg_id`:
    /// when its author already used it in the room, nothing is written and the result
    /// is [`AppendedAll::Existing`] holding, for each message, the one its author sent
    /// with that message's `client_msg_id` (so every message of a batch whose first
    /// has one must carry one too). Unknown room → `NotFound`.
    async fn append_messages(&self, messages: &[NewMessage]) -> CoreResult<AppendedAll>;
    async fn message(&self, room: &RoomId, id: &MessageId) -> CoreResult<Option<Message>>;
    /// Replaces status, text, data and `updated_at` (batch-delay completion, stream end).
    async fn update_message(&self, message: &Message) -> CoreResult<()>;
    async fn messages_page(&self, room: &RoomId, query: &PageQuery) -> CoreResult<Page>;
    /// The message `author` sent with `client_msg_id`, if any.
    async fn message_by_client_id(
        &self,
        room: &RoomId,
        author: &str,
        client_msg_id: &ClientMsgId,
    ) -> CoreResult<Option<Message>>;
}

/// Open connections and who receives a room's events.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn put_connection(&self, connection: &Connection) -> CoreResult<()>;
    async fn connection(&self, id: &ConnectionId) -> CoreResult<Option<Connection>>;
    /// Removes the connection and its observer entries; returns what was removed.
    async fn delete_connection(&self, id: &ConnectionId) -> CoreResult<Option<Connection>>;
    async fn connections_of(&self, user: &UserId) -> CoreResult<Vec<Connection>>;
    /// Every connection that receives `room`'s events: each connection of each member,
    /// plus observers. One query on every backend; cost independent of other rooms.
    async fn room_connections(&self, room: &RoomId) -> CoreResult<Vec<RoomConnection>>;
    /// The subset of `users` with at least one open connection.
    async fn online_users(&self, users: &[MemberId]) -> CoreResult<HashSet<MemberId>>;
    /// Registers a silent observer (supervisor) of a room.
    async fn add_observer(&self, room: &RoomId, connection: &ConnectionId) -> CoreResult<()>;
}

/// Single-use secrets: WebSocket tickets (and, later, guest invites). Stored hashed.
#[async_trait]
pub trait TicketStore: Send + Sync {
    async fn put_ticket(
        &self,
        ticket_hash: &str,
        user: &UserId,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<()>;
    /// Consumes the ticket atomically: the first caller before `expires_at` gets the
    /// user; every later caller (or any caller after expiry) gets `None`.
    async fn take_ticket(
        &self,
        ticket_hash: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<Option<UserId>>;
}

/// Guest invitations, stored by the sha256 of their code.
#[async_trait]
pub trait InviteStore: Send + Sync {
    /// Stores an invite; an existing entry for the same hash is replaced.
    async fn put_invite(&self, code_hash: &str, invite: &Invite) -> CoreResult<()>;
    /// Consumes the invite atomically: the first caller before `expires_at` gets it;
    /// every later caller (or any caller after expiry) gets `None`.
    async fn take_invite(&self, code_hash: &str, now: DateTime<Utc>) -> CoreResult<Option<Invite>>;
}

/// The append-only audit log. Nothing here updates or deletes.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry with the next sequence number (gapless, commit order).
    async fn append_audit(&self, entry: &NewAuditEntry) -> CoreResult<AuditEntry>;
    /// Entries with `seq > after_seq` and `at >= since` (when given), ascending, at most
    /// `limit`.
    async fn audit_page(
        &self,
        after_seq: u64,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> CoreResult<Vec<AuditEntry>>;
}

/// Uploaded files' records (the bytes are the [`Blobs`] port's).
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Stores a new record; `Conflict` if the id exists.
    async fn insert_file(&self, file: &FileRecord) -> CoreResult<()>;
    async fn file(&self, id: &FileId) -> CoreResult<Option<FileRecord>>;
    /// Replaces the record only while its stored status is still `expected` (so two
    /// `complete` calls, or `complete` racing the expiry job, settle a file once).
    /// `false` when the status had moved on or the record is gone.
    async fn update_file_if(&self, file: &FileRecord, expected: FileStatus) -> CoreResult<bool>;
}

/// Everything the core stores, in one object.
pub trait Store:
    UserStore
    + RoomStore
    + MessageStore
    + ConnectionStore
    + TicketStore
    + InviteStore
    + AuditStore
    + FileStore
{
}
impl<T> Store for T where
    T: UserStore
        + RoomStore
        + MessageStore
        + ConnectionStore
        + TicketStore
        + InviteStore
        + AuditStore
        + FileStore
{
}

// ---------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------

/// A unit of background work. Serialized as JSON onto the queue, so variants must stay
/// backward compatible while old jobs may still be queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "camelCase")]
pub enum Job {
    /// Complete a `batch-delay` / `streaming` robot answer.
    #[serde(rename_all = "camelCase")]
    RobotAnswer {
        room_id: RoomId,
        request_id: MessageId,
        response_id: MessageId,
        robot: String,
    },
    /// Conclude the room `guest-disengaged` if the guest is still away when it runs.
    #[serde(rename_all = "camelCase")]
    GuestAwayCheck { room_id: RoomId, guest: UserId },
    /// Record a completed image's dimensions and make its thumbnail.
    #[serde(rename_all = "camelCase")]
    FileImage { file_id: FileId },
    /// Fail the file's message if its upload has not completed by now.
    #[serde(rename_all = "camelCase")]
    FileUploadExpiry { file_id: FileId },
}

/// Enqueues background work (SQS on AWS, an in-process queue locally).
#[async_trait]
pub trait Jobs: Send + Sync {
    /// Enqueues `job`, delivered no earlier than `delay` from now.
    async fn enqueue(&self, job: &Job, delay: Duration) -> CoreResult<()>;
}

// ---------------------------------------------------------------------------------------
// Robots
// ---------------------------------------------------------------------------------------

/// What a robot emits while answering; see [`RobotChunk`].
pub type RobotStream = futures::stream::BoxStream<'static, Result<RobotChunk, RobotFailure>>;

/// The robots this installation has (the `robots` crate's registry; scripted ones in
/// tests). The worker calls [`Robots::answer`]; everything around it (timeouts,
/// coalescing, storing, who sees what) is the core's.
pub trait Robots: Send + Sync {
    /// Every robot, in the order `robot.list` shows them.
    fn catalog(&self) -> &[RobotInfo];
    /// One robot's card.
    fn info(&self, name: &str) -> Option<&RobotInfo> {
        self.catalog().iter().find(|r| r.name == name)
    }
    /// Starts answering `request`. Text chunks come in order; the answer is the last
    /// `Final` if there is one, otherwise the text joined. An `Err` item ends it failed.
    fn answer(&self, request: RobotRequest) -> RobotStream;
}

// ---------------------------------------------------------------------------------------
// Clock and ids
// ---------------------------------------------------------------------------------------

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Makes new ids. ULIDs in production (sortable by creation time); tests may count.
pub trait IdGen: Send + Sync {
    /// A new id with a short type prefix, e.g. `room_01J…`.
    fn new_id(&self, prefix: &str) -> String;
}

pub struct UlidGen;

impl IdGen for UlidGen {
    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}_{}", ulid::Ulid::new())
    }
}
