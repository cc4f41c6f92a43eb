//! Migrations: a file left by an older build opens with its data intact and every newer
//! feature working, and ends up with the same schema as a file created fresh.

use std::path::{Path, PathBuf};

use chat_core::model::{
    AccountKind, AuthorKind, ContentType, Delivery, IssueStatus, MessageStatus, Tier, Visibility,
};
use chat_core::ports::{
    Addition, Appended, AuditStore, InviteStore, MessageStore, PageQuery, Removal, RoomStore,
    Store, TicketStore, UserStore,
};
use chat_core::testkit::contract::fixtures::{
    at, audit_entry, employee, employee_member, guest_member, invite, issue,
    message_with_client_id, rid, room, uid,
};
use chat_core::testkit::contract::store;
use rusqlite::{Connection, params};

use super::{SCHEMA_VERSION, migrate_to};
use crate::sqlite::SqliteStore;
use crate::sqlite::codec::{name, time};

/// Creates `path` with the version-1 schema (as the issue-3 build left it), empty.
fn v1_file(path: &Path) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    migrate_to(&mut conn, 1).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);
    conn
}

/// Writes, with plain SQL in the version-1 layout, what a version-1 build would have
/// stored: alice, room_1 (alice + guest john) with its issue, one message and a ticket.
fn seed_v1(conn: &Connection) {
    let alice = employee("usr_alice", "alice");
    let id = &alice.identity;
    conn.execute(
        "INSERT INTO users (user_id, username, kind, tier, roles, enabled, token_version, \
         guest_room, guest_issue, display_name, avatar_file_id, password_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, 'supervisor,admin', ?5, ?6, NULL, NULL, ?7, ?8, ?9, ?10)",
        params![
            id.user_id.as_str(),
            id.username,
            name(&AccountKind::Employee).unwrap(),
            Tier::T2.as_str(),
            id.enabled,
            id.token_version,
            alice.profile.display_name,
            alice.profile.avatar_file_id.as_ref().map(|f| f.as_str()),
            alice.password_hash,
            time(&alice.created_at),
        ],
    )
    .unwrap();
    let iss = issue("iss_1", &["room_1"]);
    conn.execute(
        "INSERT INTO issues (issue_id, tier, status, created_at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            "iss_1",
            iss.tier.as_str(),
            name(&iss.status).unwrap(),
            time(&iss.created_at),
            serde_json::to_string(&iss).unwrap(),
        ],
    )
    .unwrap();
    let r = room("room_1", "iss_1", 0);
    conn.execute(
        "INSERT INTO rooms (room_id, kind, title, issue_id, status, conclusion, created_by, \
         created_at, last_seq, last_message_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7, 1, ?8)",
        params![
            "room_1",
            r.kind.as_str(),
            r.title,
            "iss_1",
            r.status.as_str(),
            r.created_by.as_str(),
            time(&r.created_at),
            time(&at(10)),
        ],
    )
    .unwrap();
    for m in [employee_member("usr_alice"), guest_member("usr_john")] {
        conn.execute(
            "INSERT INTO members (room_id, member_id, kind, display_name, tier, joined_at) \
             VALUES ('room_1', ?1, ?2, ?3, ?4, ?5)",
            params![
                m.id,
                m.kind.as_str(),
                m.display_name,
                m.tier.map(Tier::as_str),
                time(&m.joined_at),
            ],
        )
        .unwrap();
    }
    let msg = message_with_client_id("room_1", "msg_1", "usr_alice", "c1");
    conn.execute(
        "INSERT INTO messages (room_id, seq, message_id, client_msg_id, author_id, author_kind, \
         author_name, content_type, delivery, status, visibility, text, data, reply_to, \
         shared_from, created_at, updated_at) \
         VALUES ('room_1', 1, 'msg_1', 'c1', 'usr_alice', ?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, NULL, \
         NULL, ?8, ?8)",
        params![
            name(&AuthorKind::Employee).unwrap(),
            msg.author.display_name,
            name(&ContentType::Chat).unwrap(),
            name(&Delivery::BatchDelay).unwrap(),
            name(&MessageStatus::Complete).unwrap(),
            name(&Visibility::Everyone).unwrap(),
            msg.text,
            time(&msg.created_at),
        ],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO tickets (ticket_hash, user_id, expires_at) VALUES ('hash-1', 'usr_alice', ?1)",
        [time(&at(60))],
    )
    .unwrap();
}

fn all_messages() -> PageQuery {
    PageQuery {
        after_seq: None,
        before_seq: None,
        limit: 100,
        include_employee_only: true,
    }
}

#[tokio::test]
async fn a_version_1_file_migrates_with_its_data_and_gains_the_new_features() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    seed_v1(&v1_file(&path));

    let store = SqliteStore::open(&path).unwrap();
    let version: i64 = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION, "the file is brought up to date");

    // The old data, every field.
    assert_eq!(
        store.user_by_username("ALICE").await.unwrap(),
        Some(employee("usr_alice", "alice"))
    );
    let mut expected_room = room("room_1", "iss_1", 0);
    expected_room.last_seq = 1;
    expected_room.last_message_at = Some(at(10));
    assert_eq!(
        store.room(&rid("room_1")).await.unwrap(),
        Some(expected_room.clone()),
        "old rooms read back with waiting_since = None"
    );
    assert_eq!(
        store.members(&rid("room_1")).await.unwrap(),
        vec![employee_member("usr_alice"), guest_member("usr_john")]
    );
    let old_issue = issue("iss_1", &["room_1"]);
    assert_eq!(
        store
            .list_issues(Some(Tier::T1), Some(IssueStatus::Open))
            .await
            .unwrap(),
        vec![old_issue],
        "old issues are in the supervisor queues"
    );
    let page = store
        .messages_page(&rid("room_1"), &all_messages())
        .await
        .unwrap();
    let old_message = message_with_client_id("room_1", "msg_1", "usr_alice", "c1").with_seq(1);
    assert_eq!(page.messages, vec![old_message.clone()]);
    let resend = message_with_client_id("room_1", "msg_again", "usr_alice", "c1");
    assert_eq!(
        store.append_message(&resend).await.unwrap(),
        Appended::Existing(old_message),
        "idempotency survives the migration"
    );
    let next = message_with_client_id("room_1", "msg_2", "usr_alice", "c2");
    assert_eq!(store.append_message(&next).await.unwrap().message().seq, 2);
    assert_eq!(
        store.take_ticket("hash-1", at(0)).await.unwrap(),
        Some(uid("usr_alice"))
    );

    // The new features on the old data.
    let mut waiting = store.room(&rid("room_1")).await.unwrap().unwrap();
    waiting.waiting_since = Some(at(30));
    store.update_room(&waiting).await.unwrap();
    assert_eq!(
        store.room(&rid("room_1")).await.unwrap(),
        Some(waiting),
        "waiting_since is stored on a migrated room"
    );
    assert_eq!(
        store
            .add_member(&rid("room_1"), &guest_member("usr_jane"))
            .await
            .unwrap(),
        Addition::Added,
        "alice is in: a second guest may join"
    );
    assert_eq!(
        store
            .remove_member(&rid("room_1"), "usr_alice")
            .await
            .unwrap(),
        Removal::WouldLeaveGuestAlone
    );
    store
        .put_invite("code-1", &invite("room_1", 600))
        .await
        .unwrap();
    assert_eq!(
        store.take_invite("code-1", at(0)).await.unwrap(),
        Some(invite("room_1", 600))
    );
    let logged = store
        .append_audit(&audit_entry("usr_alice", "login", 0))
        .await
        .unwrap();
    assert_eq!(logged.seq, 1, "the audit log starts at 1");
    assert_eq!(store.audit_page(0, None, 10).await.unwrap(), vec![logged]);

    // Opening again migrates nothing and loses nothing.
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store
            .room(&rid("room_1"))
            .await
            .unwrap()
            .unwrap()
            .waiting_since,
        Some(at(30))
    );
    assert_eq!(store.audit_page(0, None, 10).await.unwrap().len(), 1);
}

/// Tables, columns and indexes of a file, comparable across files.
fn shape(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut out = Vec::new();
    let objects: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT type, name, tbl_name FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (kind, object, table) in objects {
        out.push(format!("{kind} {object} on {table}"));
        let pragma = if kind == "table" {
            "table_xinfo"
        } else {
            "index_xinfo"
        };
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT * FROM pragma_{pragma}(?1)"))
            .unwrap()
            .query_map([&object], |r| {
                let n = r.as_ref().column_count();
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(cells.join("|"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        out.extend(columns.into_iter().map(|c| format!("  {c}")));
    }
    out
}

#[test]
fn a_migrated_file_has_the_same_tables_columns_and_indexes_as_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.db");
    drop(SqliteStore::open(&fresh).unwrap());
    let old = dir.path().join("old.db");
    drop(v1_file(&old));
    drop(SqliteStore::open(&old).unwrap());
    assert_eq!(shape(&old), shape(&fresh));
}

/// The whole store contract against files created at version 1 and then opened by this
/// build: the migrated schema behaves exactly as a fresh one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrated_files_meet_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    let next_path = || -> PathBuf {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        dir.path().join(format!("v1-{i}.db"))
    };
    store::run_all(|| {
        let path = next_path();
        drop(v1_file(&path));
        async move { SqliteStore::open(&path).unwrap() }
    })
    .await;
    // And the cross-connection races on a migrated file.
    let path = next_path();
    drop(v1_file(&path));
    let (a, b) = (
        SqliteStore::open(&path).unwrap(),
        SqliteStore::open(&path).unwrap(),
    );
    store::guests::guest_joining_while_the_last_employee_leaves_is_never_alone(&[
        &a as &dyn Store,
        &b,
    ])
    .await;
    store::audit::concurrent_audit_appends_are_gapless(&[&a as &dyn Store, &b]).await;
}
