//! `ports::append_checked` contract: a send commits only while its guard holds (the
//! author is a member, the room is open; on stores with [`GuardedAppend`], also the
//! connection is open and the user unchanged), refusals write nothing, a resend gets
//! its original even in a concluded room, and concurrent guarded sends stay gapless.
//!
//! [`GuardedAppend`]: crate::ports::GuardedAppend

use futures::future::join_all;

use crate::model::{AccountKind, Connection, NewMessage, RoomStatus, UserRecord};
use crate::ports::{
    Appended, CheckedAppend, PageQuery, SendGuard, SendRefusal, Store, append_checked,
};
use crate::testkit::contract::fixtures::{
    connection, employee, employee_member, message_with_client_id, rid, seed_room, uid,
};

use super::ok;

/// A user `id` with an open connection `conn_{id}` on the user's token version.
async fn sender(store: &dyn Store, id: &str) -> (UserRecord, Connection) {
    let user = employee(id, &id.replace("usr_", ""));
    ok("insert_user", store.insert_user(&user).await);
    let mut conn = connection(&format!("conn_{id}"), id, AccountKind::Employee);
    conn.token_version = user.identity.token_version;
    ok("put_connection", store.put_connection(&conn).await);
    (user, conn)
}

async fn send(
    store: &dyn Store,
    m: &NewMessage,
    user: &UserRecord,
    conn: &Connection,
) -> CheckedAppend {
    let guard = SendGuard {
        connection: conn,
        user,
    };
    ok("append_checked", append_checked(store, m, &guard).await)
}

fn sent(what: &str, outcome: CheckedAppend) -> u64 {
    match outcome {
        Ok(Appended::Created(m)) => m.seq,
        other => panic!("{what}: expected a new message, got {other:?}"),
    }
}

fn refused(what: &str, outcome: CheckedAppend, expected: &SendRefusal) {
    match outcome {
        Err(r) => assert_eq!(&r, expected, "{what}"),
        other => panic!("{what}: expected {expected:?}, got {other:?}"),
    }
}

async fn last_seq(store: &dyn Store, room: &str) -> u64 {
    ok("room", store.room(&rid(room)).await)
        .unwrap_or_else(|| panic!("{room} is gone"))
        .last_seq
}

async fn log_len(store: &dyn Store, room: &str) -> usize {
    let query = PageQuery {
        after_seq: None,
        before_seq: None,
        limit: 1000,
        include_employee_only: true,
    };
    ok("page", store.messages_page(&rid(room), &query).await)
        .messages
        .len()
}

async fn conclude(store: &dyn Store, room: &str) {
    let mut r = ok("room", store.room(&rid(room)).await).unwrap_or_else(|| panic!("no {room}"));
    r.status = RoomStatus::Concluded;
    ok("update_room", store.update_room(&r).await);
}

pub async fn a_guarded_send_commits_while_its_guard_holds(store: &dyn Store) {
    let (alice, conn) = sender(store, "usr_alice").await;
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    for i in 1..=3u64 {
        let m =
            message_with_client_id("room_1", &format!("msg_{i}"), "usr_alice", &format!("c{i}"));
        assert_eq!(sent("send", send(store, &m, &alice, &conn).await), i);
        assert_eq!(last_seq(store, "room_1").await, i, "the room follows");
    }
    // An unguarded append in between (a system message) keeps one sequence.
    let mut system = message_with_client_id("room_1", "msg_sys", "usr_alice", "sys");
    system.client_msg_id = None;
    ok("append", store.append_message(&system).await);
    let m = message_with_client_id("room_1", "msg_5", "usr_alice", "c5");
    assert_eq!(
        sent("send after an append", send(store, &m, &alice, &conn).await),
        5
    );
}

pub async fn a_guarded_send_refuses_non_members_and_concluded_rooms(store: &dyn Store) {
    let (alice, alice_conn) = sender(store, "usr_alice").await;
    let (bob, bob_conn) = sender(store, "usr_bob").await;
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let m = message_with_client_id("room_1", "msg_b", "usr_bob", "b1");
    refused(
        "a non-member",
        send(store, &m, &bob, &bob_conn).await,
        &SendRefusal::NotAMember,
    );
    let m = message_with_client_id("room_nowhere", "msg_n", "usr_alice", "n1");
    refused(
        "an unknown room",
        send(store, &m, &alice, &alice_conn).await,
        &SendRefusal::NotAMember,
    );
    conclude(store, "room_1").await;
    let m = message_with_client_id("room_1", "msg_a", "usr_alice", "a1");
    refused(
        "a concluded room",
        send(store, &m, &alice, &alice_conn).await,
        &SendRefusal::RoomClosed,
    );
    assert_eq!(last_seq(store, "room_1").await, 0, "refusals write nothing");
    assert_eq!(log_len(store, "room_1").await, 0, "refusals write nothing");
}

pub async fn a_resend_gets_its_original_but_only_while_a_member(store: &dyn Store) {
    let (alice, conn) = sender(store, "usr_alice").await;
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let first = message_with_client_id("room_1", "msg_1", "usr_alice", "c1");
    assert_eq!(sent("send", send(store, &first, &alice, &conn).await), 1);
    conclude(store, "room_1").await;
    let again = message_with_client_id("room_1", "msg_again", "usr_alice", "c1");
    match send(store, &again, &alice, &conn).await {
        Ok(Appended::Existing(m)) => {
            assert_eq!((m.id.as_str(), m.seq), ("msg_1", 1), "the original");
        }
        other => panic!("a resend into a concluded room: expected the original, got {other:?}"),
    }
    ok(
        "remove_member",
        store.remove_member(&rid("room_1"), "usr_alice").await,
    );
    refused(
        "a former member's resend",
        send(store, &again, &alice, &conn).await,
        &SendRefusal::NotAMember,
    );
    assert_eq!(log_len(store, "room_1").await, 1);
}

/// Stores that check the guard inside the commit also refuse a send whose connection
/// closed or whose user changed since the sender looked (the others rely on the
/// sender having just read both).
pub async fn an_atomic_guard_refuses_a_closed_connection_or_a_changed_user(store: &dyn Store) {
    if store.guarded_append().is_none() {
        return;
    }
    let (alice, conn) = sender(store, "usr_alice").await;
    let (bob, bob_conn) = sender(store, "usr_bob").await;
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let m = |n: &str| message_with_client_id("room_1", &format!("msg_{n}"), "usr_alice", n);

    let mut renamed = alice.profile.clone();
    renamed.display_name = "Alice Renamed".into();
    ok(
        "update_profile",
        store
            .update_profile(&alice.identity.user_id, &renamed)
            .await,
    );
    match send(store, &m("r"), &alice, &conn).await {
        Err(SendRefusal::UserChanged(Some(now))) => {
            assert_eq!(now.profile.display_name, "Alice Renamed", "the stored user");
        }
        other => panic!("a renamed user: expected UserChanged, got {other:?}"),
    }
    let alice = ok("user", store.user_by_id(&uid("usr_alice")).await)
        .unwrap_or_else(|| panic!("alice is gone"));
    assert_eq!(
        sent(
            "as the stored user",
            send(store, &m("ok"), &alice, &conn).await
        ),
        1
    );

    let mut revoked = alice.identity.clone();
    revoked.token_version += 1;
    ok("revoke", store.update_identity(&revoked, None).await);
    match send(store, &m("v"), &alice, &conn).await {
        Err(SendRefusal::UserChanged(Some(now))) => {
            assert_eq!(now.identity.token_version, conn.token_version + 1);
        }
        other => panic!("a revoked user: expected UserChanged, got {other:?}"),
    }
    let mut disabled = alice.identity.clone();
    disabled.enabled = false;
    ok("disable", store.update_identity(&disabled, None).await);
    match send(store, &m("d"), &alice, &conn).await {
        Err(SendRefusal::UserChanged(Some(now))) => {
            assert!(!now.identity.enabled, "the stored user is disabled");
        }
        other => panic!("a disabled user: expected UserChanged, got {other:?}"),
    }

    ok(
        "delete_connection",
        store.delete_connection(&bob_conn.id).await,
    );
    let from_bob = message_with_client_id("room_1", "msg_bob", "usr_bob", "b");
    refused(
        "a closed connection comes before not being a member",
        send(store, &from_bob, &bob, &bob_conn).await,
        &SendRefusal::ConnectionGone,
    );
    assert_eq!(log_len(store, "room_1").await, 1, "only the one that held");
    assert_eq!(last_seq(store, "room_1").await, 1);
}

/// Guarded sends through several handles (each with its own hints, as separate Lambda
/// instances would have), mixed with plain appends: exactly 1..=N.
pub async fn concurrent_guarded_sends_are_gapless(stores: &[&dyn Store]) {
    const TASKS: usize = 6;
    const EACH: usize = 15;
    let first = *stores
        .first()
        .unwrap_or_else(|| panic!("pass at least one store handle"));
    let mut senders = Vec::new();
    for t in 0..TASKS {
        senders.push(sender(first, &format!("usr_{t}")).await);
    }
    let members: Vec<_> = (0..TASKS)
        .map(|t| employee_member(&format!("usr_{t}")))
        .collect();
    seed_room(first, "room_busy", 0, &members).await;
    let per_task = join_all(senders.iter().enumerate().map(|(t, (user, conn))| {
        let store = stores[t % stores.len()];
        async move {
            let mut seen = Vec::with_capacity(EACH);
            for i in 0..EACH {
                let m = message_with_client_id(
                    "room_busy",
                    &format!("msg_{t}_{i}"),
                    &format!("usr_{t}"),
                    &format!("c{i}"),
                );
                let seq = if t == 0 && i % 3 == 0 {
                    // A plain append (a system message) moves the counter too.
                    match ok("append", store.append_message(&m).await) {
                        Appended::Created(m) => m.seq,
                        Appended::Existing(m) => panic!("a new message came back as {m:?}"),
                    }
                } else {
                    sent("concurrent send", send(store, &m, user, conn).await)
                };
                seen.push(seq);
            }
            seen
        }
    }))
    .await;
    for (t, seen) in per_task.iter().enumerate() {
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "task {t}: one sender's sends get increasing seqs: {seen:?}"
        );
    }
    let mut all: Vec<u64> = per_task.into_iter().flatten().collect();
    all.sort_unstable();
    let expected: Vec<u64> = (1..=(TASKS * EACH) as u64).collect();
    assert_eq!(all, expected, "exactly 1..=N, no gaps or duplicates");
    assert_eq!(log_len(first, "room_busy").await, TASKS * EACH);
    assert_eq!(last_seq(first, "room_busy").await, (TASKS * EACH) as u64);
}
