//! Builders for the contract suites.
//!
//! Timestamps are fixed and carry nanoseconds on purpose: an adapter that stores time as
//! milliseconds (or floats) fails the round-trip checks instead of silently reordering
//! messages later. Ids are parsed once here so checks read as sentences.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use crate::ids::{ClientMsgId, ConnectionId, IssueId, MessageId, RoomId, UserId};
use crate::model::{
    AccountKind, Author, AuthorKind, Connection, ContentType, Delivery, Identity, Invite, Issue,
    IssueEvent, IssueStatus, Member, MessageStatus, NewAuditEntry, NewMessage, ParticipantKind,
    Profile, Role, Room, RoomKind, RoomStatus, Tier, UserRecord, Visibility,
};
use crate::ports::{Addition, Store};

/// The suites' epoch: 2026-03-01T09:30:00.123456789Z.
pub fn t0() -> DateTime<Utc> {
    let base = Utc
        .with_ymd_and_hms(2026, 3, 1, 9, 30, 0)
        .single()
        .unwrap_or_else(|| panic!("fixture epoch is a valid date"));
    base + Duration::nanoseconds(123_456_789)
}

/// `t0` plus `secs` seconds.
pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

pub fn uid(raw: &str) -> UserId {
    UserId::parse(raw).unwrap_or_else(|e| panic!("fixture user id {raw:?}: {e}"))
}
pub fn rid(raw: &str) -> RoomId {
    RoomId::parse(raw).unwrap_or_else(|e| panic!("fixture room id {raw:?}: {e}"))
}
pub fn iid(raw: &str) -> IssueId {
    IssueId::parse(raw).unwrap_or_else(|e| panic!("fixture issue id {raw:?}: {e}"))
}
pub fn mid(raw: &str) -> MessageId {
    MessageId::parse(raw).unwrap_or_else(|e| panic!("fixture message id {raw:?}: {e}"))
}
pub fn cid(raw: &str) -> ConnectionId {
    ConnectionId::parse(raw).unwrap_or_else(|e| panic!("fixture connection id {raw:?}: {e}"))
}
pub fn client_id(raw: &str) -> ClientMsgId {
    ClientMsgId::parse(raw).unwrap_or_else(|e| panic!("fixture clientMsgId {raw:?}: {e}"))
}

/// An enabled T2 supervisor with every optional field set, so round trips cover them.
pub fn employee(id: &str, username: &str) -> UserRecord {
    UserRecord {
        identity: Identity {
            user_id: uid(id),
            username: username.to_string(),
            kind: AccountKind::Employee,
            tier: Some(Tier::T2),
            roles: vec![Role::Supervisor, Role::Admin],
            enabled: true,
            token_version: 3,
            guest_room: None,
            guest_issue: None,
        },
        profile: Profile {
            display_name: format!("{username} (support)"),
            avatar_file_id: Some(
                crate::ids::FileId::parse(format!("file_{id}"))
                    .unwrap_or_else(|e| panic!("fixture file id: {e}")),
            ),
        },
        password_hash: Some(format!("$argon2id$v=19$m=8,t=1,p=1$salt${id}")),
        created_at: at(-3600),
    }
}

/// A guest scoped to `room` / `issue`, without a password.
pub fn guest(id: &str, username: &str, room: &str, issue: &str) -> UserRecord {
    UserRecord {
        identity: Identity {
            user_id: uid(id),
            username: username.to_string(),
            kind: AccountKind::Guest,
            tier: None,
            roles: vec![],
            enabled: true,
            token_version: 0,
            guest_room: Some(rid(room)),
            guest_issue: Some(iid(issue)),
        },
        profile: Profile {
            display_name: "John Q. Customer".to_string(),
            avatar_file_id: None,
        },
        password_hash: None,
        created_at: at(-60),
    }
}

pub fn member(id: &str, kind: ParticipantKind) -> Member {
    Member {
        id: id.to_string(),
        kind,
        display_name: format!("{id} shown"),
        tier: (kind == ParticipantKind::Employee).then_some(Tier::T1),
        joined_at: at(1),
    }
}
pub fn employee_member(id: &str) -> Member {
    member(id, ParticipantKind::Employee)
}
pub fn guest_member(id: &str) -> Member {
    member(id, ParticipantKind::Guest)
}
pub fn robot_member(name: &str) -> Member {
    member(name, ParticipantKind::Robot)
}

/// The issue id [`seed_room`] opens for a room: `iss_<room id>`.
pub fn issue_of(room: &str) -> String {
    format!("iss_{room}")
}

pub fn issue(id: &str, room_ids: &[&str]) -> Issue {
    Issue {
        id: iid(id),
        title: format!("Form {id} does not submit"),
        customer_name: Some("John Q. Customer".to_string()),
        form_id: Some("5375703".to_string()),
        tier: Tier::T1,
        status: IssueStatus::Open,
        conclusion: None,
        room_ids: room_ids.iter().map(|r| rid(r)).collect(),
        history: vec![IssueEvent {
            at: t0(),
            event: "opened".to_string(),
            by: "usr_alice".to_string(),
            note: Some("from the contact form".to_string()),
        }],
        created_at: t0(),
        // A rating, so every adapter's issue round trip covers them.
        ratings: vec![crate::model::Rating {
            room_id: rid(room_ids.first().copied().unwrap_or("room_1")),
            guest: uid("usr_guest"),
            rating: 4,
            comment: Some("quick and kind".to_string()),
            tier: Tier::T1,
            employees: vec![uid("usr_alice")],
            at: t0(),
        }],
    }
}

/// A fresh open room created `created` seconds after `t0`.
pub fn room(id: &str, issue_id: &str, created: i64) -> Room {
    Room {
        id: rid(id),
        kind: RoomKind::Group,
        title: format!("Room {id}"),
        issue_id: iid(issue_id),
        status: RoomStatus::Open,
        conclusion: None,
        created_by: uid("usr_alice"),
        created_at: at(created),
        last_seq: 0,
        last_message_at: None,
        waiting_since: None,
    }
}

/// Creates room `id` (with a new issue `iss_<id>`, created `created` s after `t0`),
/// whose first member is `members[0]`, then adds the rest. Returns the stored room.
pub async fn seed_room(store: &dyn Store, id: &str, created: i64, members: &[Member]) -> Room {
    let room = room(id, &issue_of(id), created);
    let Some((first, rest)) = members.split_first() else {
        panic!("seed_room needs at least one member");
    };
    let new_issue = issue(&issue_of(id), &[id]);
    store
        .create_room(&room, first, Some(&new_issue))
        .await
        .unwrap_or_else(|e| panic!("create_room {id}: {e}"));
    for m in rest {
        let added = store
            .add_member(&room.id, m)
            .await
            .unwrap_or_else(|e| panic!("add_member {} to {id}: {e}", m.id));
        assert_eq!(
            added,
            Addition::Added,
            "add_member {} to {id}: a new member (guests after an employee)",
            m.id
        );
    }
    room
}

/// A chat message from employee `author` (no clientMsgId), visible to everyone.
pub fn message(room: &str, id: &str, author: &str) -> NewMessage {
    NewMessage {
        id: mid(id),
        room_id: rid(room),
        client_msg_id: None,
        author: Author {
            id: author.to_string(),
            kind: AuthorKind::Employee,
            display_name: format!("{author} shown"),
        },
        content_type: ContentType::Chat,
        delivery: Delivery::BatchDelay,
        status: MessageStatus::Complete,
        visibility: Visibility::Everyone,
        text: format!("text of {id}"),
        data: None,
        reply_to: None,
        shared_from: None,
        created_at: at(10),
    }
}

/// The same, with a clientMsgId.
pub fn message_with_client_id(room: &str, id: &str, author: &str, client: &str) -> NewMessage {
    NewMessage {
        client_msg_id: Some(client_id(client)),
        ..message(room, id, author)
    }
}

/// A pending employees-only graph answer from a robot with every optional field set.
pub fn rich_message(room: &str, id: &str) -> NewMessage {
    NewMessage {
        id: mid(id),
        room_id: rid(room),
        client_msg_id: Some(client_id("c-rich")),
        author: Author {
            id: "iStackBuddy.forms.diagnostics".to_string(),
            kind: AuthorKind::Robot,
            display_name: "Forms diagnostics".to_string(),
        },
        content_type: ContentType::Graph,
        delivery: Delivery::Streaming,
        status: MessageStatus::Pending,
        visibility: Visibility::Employees,
        text: "Logic graph ✓ — «naïve» 漢字 \"quoted\"\nsecond line".to_string(),
        data: Some(json!({
            "nodes": [{"id": "f1", "label": "Name", "kind": "field"}],
            "edges": [{"from": "f1", "to": "f2", "kind": "shows"}],
            "n": 1.5,
        })),
        reply_to: Some(mid("msg_request")),
        shared_from: Some(mid("msg_original")),
        created_at: at(20),
    }
}

pub fn connection(id: &str, user: &str, kind: AccountKind) -> Connection {
    Connection {
        id: cid(id),
        user_id: uid(user),
        kind,
        token_version: 2,
        connected_at: at(5),
    }
}

/// An invite to `room` (issue `iss_<room>`) by `usr_alice`, expiring at `at(expires)`.
pub fn invite(room: &str, expires: i64) -> Invite {
    Invite {
        room_id: rid(room),
        issue_id: iid(&issue_of(room)),
        created_by: uid("usr_alice"),
        display_name: Some("John Q. «Customer»".to_string()),
        expires_at: at(expires),
    }
}

/// An audit entry by `actor` at `at(secs)`, with every optional field set and a nested
/// JSON detail.
pub fn audit_entry(actor: &str, action: &str, secs: i64) -> NewAuditEntry {
    NewAuditEntry {
        at: at(secs),
        actor: actor.to_string(),
        action: action.to_string(),
        room_id: Some(rid("room_1")),
        issue_id: Some(iid("iss_1")),
        detail: json!({
            "reason": "observe «quietly» ✓",
            "changes": {"tier": ["t1", "t2"], "enabled": false},
            "n": 2.5,
        }),
    }
}
