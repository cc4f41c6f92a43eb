//! The SQLite file across restarts: what was committed is there after closing and
//! reopening, and opening refuses what it cannot handle with a clear error.

use chat_core::model::AccountKind;
use chat_core::ports::{
    ConnectionStore, MessageStore, PageQuery, RoomStore, Store, TicketStore, UserStore,
};
use chat_core::testkit::contract::fixtures::{
    at, connection, employee, employee_member, guest_member, iid, issue_of, message_with_client_id,
    rich_message, rid, seed_room, uid,
};
use chat_embedded::EmbeddedError;
use chat_embedded::sqlite::SqliteStore;

fn all_messages() -> PageQuery {
    PageQuery {
        after_seq: None,
        before_seq: None,
        limit: 1000,
        include_employee_only: true,
    }
}

#[tokio::test]
async fn restart_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("chat.db");

    let (room, alice, sent) = {
        let store = SqliteStore::open(&path).unwrap();
        let alice = employee("usr_alice", "alice");
        store.insert_user(&alice).await.unwrap();
        let room = seed_room(
            &store as &dyn Store,
            "room_1",
            0,
            &[employee_member("usr_alice"), guest_member("usr_john")],
        )
        .await;
        let mut sent = Vec::new();
        for i in 0..5 {
            let m = message_with_client_id(
                "room_1",
                &format!("msg_{i}"),
                "usr_alice",
                &format!("c{i}"),
            );
            sent.push(store.append_message(&m).await.unwrap().into_message());
        }
        sent.push(
            store
                .append_message(&rich_message("room_1", "msg_rich"))
                .await
                .unwrap()
                .into_message(),
        );
        store
            .put_ticket("hash-1", &uid("usr_alice"), at(60))
            .await
            .unwrap();
        (room, alice, sent)
        // The store (and its connection) is dropped here: the "process" stops.
    };

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.user_by_username("ALICE").await.unwrap(), Some(alice));
    let reopened = store.room(&room.id).await.unwrap().unwrap();
    assert_eq!(reopened.last_seq, 6, "last_seq survives");
    assert_eq!(store.members(&room.id).await.unwrap().len(), 2);
    assert_eq!(
        store
            .issue(&iid(&issue_of("room_1")))
            .await
            .unwrap()
            .unwrap()
            .room_ids,
        vec![rid("room_1")]
    );
    let page = store
        .messages_page(&room.id, &all_messages())
        .await
        .unwrap();
    assert_eq!(page.messages, sent, "every message, every field, in order");

    // Sequence numbers continue; resends are still recognised after the restart.
    let resend = message_with_client_id("room_1", "msg_again", "usr_alice", "c3");
    let existing = store.append_message(&resend).await.unwrap();
    assert_eq!(
        existing.message(),
        &sent[3],
        "idempotency survives a restart"
    );
    let next = message_with_client_id("room_1", "msg_next", "usr_alice", "c-new");
    assert_eq!(store.append_message(&next).await.unwrap().message().seq, 7);
    assert_eq!(
        store.take_ticket("hash-1", at(0)).await.unwrap(),
        Some(uid("usr_alice"))
    );
}

#[tokio::test]
async fn connections_are_cleared_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        seed_room(
            &store as &dyn Store,
            "room_1",
            0,
            &[employee_member("usr_alice")],
        )
        .await;
        store
            .put_connection(&connection("conn_1", "usr_alice", AccountKind::Employee))
            .await
            .unwrap();
        store
            .put_connection(&connection("conn_sup", "usr_sup", AccountKind::Employee))
            .await
            .unwrap();
        store
            .add_observer(
                &rid("room_1"),
                &connection("conn_sup", "usr_sup", AccountKind::Employee).id,
            )
            .await
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    // `open` keeps them: an admin CLI opening the file must not disconnect everyone.
    assert_eq!(
        store.room_connections(&rid("room_1")).await.unwrap().len(),
        2
    );
    assert_eq!(store.clear_connections().await.unwrap(), 2);
    assert!(
        store
            .room_connections(&rid("room_1"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .connections_of(&uid("usr_alice"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_file_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    drop(SqliteStore::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    match SqliteStore::open(&path) {
        Err(EmbeddedError::SchemaTooNew { found: 999, .. }) => {}
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unusable_path_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"a file where a folder should be").unwrap();
    let err = SqliteStore::open(&blocker.join("chat.db")).unwrap_err();
    assert!(
        matches!(
            err,
            EmbeddedError::CreateDir { .. } | EmbeddedError::Open { .. }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("not-a-folder"),
        "the error names the path: {err}"
    );
}

#[tokio::test]
async fn the_file_is_in_wal_mode_with_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = SqliteStore::open(&path).unwrap();
    store.put_ticket("h", &uid("usr_a"), at(1)).await.unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "WAL is persistent in the file");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, chat_embedded::sqlite::schema::SCHEMA_VERSION);
}
