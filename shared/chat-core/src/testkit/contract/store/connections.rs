//! `ConnectionStore` contract: connections come and go with their observer entries; a
//! room's audience is its members' connections plus observers, and nobody else's.

use std::collections::{BTreeMap, HashSet};

use crate::model::{AccountKind, Connection, RoomConnection};
use crate::ports::Store;
use crate::testkit::contract::fixtures::{
    cid, connection, employee_member, guest_member, rid, robot_member, seed_room, uid,
};

use super::ok;

fn sorted(mut v: Vec<Connection>) -> Vec<Connection> {
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

/// connection id → observer flag; asserts each entry names the asked room.
fn audience(room: &str, entries: Vec<RoomConnection>) -> BTreeMap<String, bool> {
    let mut out = BTreeMap::new();
    for e in entries {
        assert_eq!(
            e.room_id.as_str(),
            room,
            "room_connections entries carry the asked room"
        );
        let again = out.insert(e.connection.id.to_string(), e.observer);
        assert!(
            again.is_none(),
            "{} is listed twice in {room}'s audience",
            e.connection.id
        );
    }
    out
}

fn expected(entries: &[(&str, bool)]) -> BTreeMap<String, bool> {
    entries.iter().map(|(c, o)| (c.to_string(), *o)).collect()
}

pub async fn connections_put_get_delete(store: &dyn Store) {
    let c = connection("conn_1", "usr_alice", AccountKind::Employee);
    ok("put", store.put_connection(&c).await);
    assert_eq!(
        ok("get", store.connection(&c.id).await),
        Some(c.clone()),
        "every field"
    );
    assert_eq!(
        ok("delete", store.delete_connection(&c.id).await),
        Some(c.clone()),
        "delete returns the removed connection"
    );
    assert_eq!(
        ok("get", store.connection(&c.id).await),
        None,
        "gone after delete"
    );
    assert_eq!(
        ok("delete again", store.delete_connection(&c.id).await),
        None,
        "idempotent"
    );
    assert_eq!(
        ok("get unknown", store.connection(&cid("conn_none")).await),
        None
    );
}

pub async fn connections_of_lists_only_that_users_connections(store: &dyn Store) {
    let a1 = connection("conn_a1", "usr_alice", AccountKind::Employee);
    let a2 = connection("conn_a2", "usr_alice", AccountKind::Employee);
    let b1 = connection("conn_b1", "usr_bob", AccountKind::Employee);
    for c in [&a2, &b1, &a1] {
        ok("put", store.put_connection(c).await);
    }
    let alice = sorted(ok(
        "connections_of",
        store.connections_of(&uid("usr_alice")).await,
    ));
    assert_eq!(
        alice,
        vec![a1.clone(), a2.clone()],
        "every connection of the user, only theirs"
    );
    ok("delete", store.delete_connection(&a1.id).await);
    let alice = ok(
        "connections_of",
        store.connections_of(&uid("usr_alice")).await,
    );
    assert_eq!(alice, vec![a2], "a deleted connection is no longer listed");
    assert!(ok("none", store.connections_of(&uid("usr_nobody")).await).is_empty());
}

pub async fn room_connections_are_members_connections_plus_observers(store: &dyn Store) {
    seed_room(
        store,
        "room_1",
        0,
        &[
            employee_member("usr_alice"),
            guest_member("usr_john"),
            robot_member("iStackBuddy.docs.jokes"),
            employee_member("usr_offline"),
        ],
    )
    .await;
    seed_room(
        store,
        "room_2",
        0,
        &[employee_member("usr_bob"), employee_member("usr_sam")],
    )
    .await;
    let conns = [
        connection("conn_a1", "usr_alice", AccountKind::Employee),
        connection("conn_a2", "usr_alice", AccountKind::Employee),
        connection("conn_j", "usr_john", AccountKind::Guest),
        connection("conn_b", "usr_bob", AccountKind::Employee),
        connection("conn_sam", "usr_sam", AccountKind::Employee),
        connection("conn_sup", "usr_sup", AccountKind::Employee),
    ];
    for c in &conns {
        ok("put", store.put_connection(c).await);
    }
    // usr_sup watches room_1 without joining; usr_sam is a member of room_2 and also
    // observes it (still a member, so not flagged as observer) and observes room_1.
    ok(
        "observe",
        store.add_observer(&rid("room_1"), &cid("conn_sup")).await,
    );
    ok(
        "observe",
        store.add_observer(&rid("room_1"), &cid("conn_sam")).await,
    );
    ok(
        "observe",
        store.add_observer(&rid("room_2"), &cid("conn_sam")).await,
    );
    ok(
        "observe twice",
        store.add_observer(&rid("room_1"), &cid("conn_sup")).await,
    );

    let got = ok(
        "room_connections",
        store.room_connections(&rid("room_1")).await,
    );
    let full: Vec<&Connection> = got.iter().map(|e| &e.connection).collect();
    assert!(
        full.iter().all(|c| conns.contains(c)),
        "entries carry the full stored connection"
    );
    assert_eq!(
        audience("room_1", got),
        expected(&[
            ("conn_a1", false),
            ("conn_a2", false),
            ("conn_j", false),
            ("conn_sam", true),
            ("conn_sup", true),
        ]),
        "every connection of every member, plus observers (flagged), and no one else"
    );
    assert_eq!(
        audience(
            "room_2",
            ok(
                "room_connections",
                store.room_connections(&rid("room_2")).await
            )
        ),
        expected(&[("conn_b", false), ("conn_sam", false)]),
        "an observer who is a member is listed once, as a member"
    );
    assert!(
        ok("empty", store.room_connections(&rid("room_none")).await).is_empty(),
        "an unknown room has no audience"
    );

    ok(
        "remove",
        store.remove_member(&rid("room_1"), "usr_alice").await,
    );
    assert_eq!(
        audience(
            "room_1",
            ok(
                "room_connections",
                store.room_connections(&rid("room_1")).await
            )
        ),
        expected(&[("conn_j", false), ("conn_sam", true), ("conn_sup", true)]),
        "a removed member's connections leave the audience"
    );
}

/// The usual order in production: people are online first, then create or join a
/// room. An adapter that keeps a derived audience must add their open connections at
/// create and join time, not only at connect time.
pub async fn connections_opened_before_joining_are_in_the_audience(store: &dyn Store) {
    let conns = [
        connection("conn_a1", "usr_alice", AccountKind::Employee),
        connection("conn_a2", "usr_alice", AccountKind::Employee),
        connection("conn_b", "usr_bob", AccountKind::Employee),
        connection("conn_j", "usr_john", AccountKind::Guest),
    ];
    for c in &conns {
        ok("put", store.put_connection(c).await);
    }
    seed_room(
        store,
        "room_1",
        0,
        &[
            employee_member("usr_alice"),
            employee_member("usr_bob"),
            guest_member("usr_john"),
        ],
    )
    .await;
    assert_eq!(
        audience(
            "room_1",
            ok(
                "room_connections",
                store.room_connections(&rid("room_1")).await
            )
        ),
        expected(&[
            ("conn_a1", false),
            ("conn_a2", false),
            ("conn_b", false),
            ("conn_j", false),
        ]),
        "the creator's and joiners' already open connections receive the room"
    );
}

pub async fn deleting_a_connection_drops_its_observer_entries(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let sup = connection("conn_sup", "usr_sup", AccountKind::Employee);
    ok("put", store.put_connection(&sup).await);
    ok("observe", store.add_observer(&rid("room_1"), &sup.id).await);
    assert_eq!(
        audience(
            "room_1",
            ok("audience", store.room_connections(&rid("room_1")).await)
        ),
        expected(&[("conn_sup", true)])
    );
    ok("delete", store.delete_connection(&sup.id).await);
    assert!(ok("audience", store.room_connections(&rid("room_1")).await).is_empty());
    // The same id reappearing (a reused id, or a reconnect racing the cleanup) must not
    // inherit the old observation.
    ok("put again", store.put_connection(&sup).await);
    assert!(
        ok("audience", store.room_connections(&rid("room_1")).await).is_empty(),
        "delete_connection drops the connection's observer entries"
    );
}

pub async fn online_users_is_the_connected_subset(store: &dyn Store) {
    for c in [
        connection("conn_a1", "usr_alice", AccountKind::Employee),
        connection("conn_a2", "usr_alice", AccountKind::Employee),
        connection("conn_j", "usr_john", AccountKind::Guest),
    ] {
        ok("put", store.put_connection(&c).await);
    }
    let asked: Vec<String> = ["usr_alice", "usr_bob", "usr_john", "iStackBuddy.docs.jokes"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let online = ok("online_users", store.online_users(&asked).await);
    let want: HashSet<String> = ["usr_alice", "usr_john"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        online, want,
        "exactly the asked users with an open connection"
    );
    assert!(ok("none asked", store.online_users(&[]).await).is_empty());
    ok("delete", store.delete_connection(&cid("conn_j")).await);
    let online = ok("online_users", store.online_users(&asked).await);
    assert!(
        !online.contains("usr_john"),
        "offline once the last connection is gone"
    );
    assert!(online.contains("usr_alice"));
}

/// A store may keep audiences between reads (the SQLite store does), so every change to
/// members, connections or observers must show in the next read of an audience read
/// just before it.
pub async fn the_audience_follows_every_change(store: &dyn Store) {
    the_audience_follows_changes_made_through(store, store).await;
}

/// [`the_audience_follows_every_change`] with the reads through `reader` and the
/// changes through `writer`: two handles on one database, as the gateway and the admin
/// CLI hold.
pub async fn the_audience_follows_changes_made_through(reader: &dyn Store, writer: &dyn Store) {
    let room = rid("room_1");
    let read = |what: &'static str| async move {
        audience(
            "room_1",
            ok(what, reader.room_connections(&rid("room_1")).await),
        )
    };
    seed_room(writer, "room_1", 0, &[employee_member("usr_alice")]).await;
    assert!(read("empty").await.is_empty());

    let a1 = connection("conn_a1", "usr_alice", AccountKind::Employee);
    ok("put", writer.put_connection(&a1).await);
    assert_eq!(
        read("after connect").await,
        expected(&[("conn_a1", false)]),
        "a member's new connection joins the audience"
    );

    let j = connection("conn_j", "usr_john", AccountKind::Guest);
    ok("put", writer.put_connection(&j).await);
    assert_eq!(
        read("not yet a member").await,
        expected(&[("conn_a1", false)])
    );
    ok(
        "join",
        writer.add_member(&room, &guest_member("usr_john")).await,
    );
    assert_eq!(
        read("after join").await,
        expected(&[("conn_a1", false), ("conn_j", false)]),
        "a new member's open connections join the audience"
    );

    let sup = connection("conn_sup", "usr_sup", AccountKind::Employee);
    ok("put", writer.put_connection(&sup).await);
    ok("observe", writer.add_observer(&room, &sup.id).await);
    assert_eq!(
        read("after observe").await,
        expected(&[("conn_a1", false), ("conn_j", false), ("conn_sup", true)]),
        "an observer joins the audience"
    );

    ok("disconnect", writer.delete_connection(&a1.id).await);
    assert_eq!(
        read("after disconnect").await,
        expected(&[("conn_j", false), ("conn_sup", true)]),
        "a closed connection leaves the audience"
    );

    ok("leave", writer.remove_member(&room, "usr_john").await);
    assert_eq!(
        read("after leave").await,
        expected(&[("conn_sup", true)]),
        "a removed member's connections leave the audience"
    );

    ok("disconnect", writer.delete_connection(&sup.id).await);
    assert!(
        read("after the observer left").await.is_empty(),
        "an observer's closed connection leaves the audience"
    );
}
