//! What the rooms, messages and connections half of the DynamoDB store costs: the
//! requests its hot operations send, counted by the clients' `RequestCounter`, pinned
//! as `docs/dynamodb.md` states them — a fan-out is one `Query` however many other rooms
//! and connections exist. (The behaviour is the `Store` contract, in
//! `dynamo_contract.rs`.)

use std::collections::BTreeMap;

use chat_aws::dynamo::{DynamoStore, schema};
use chat_aws::{RequestCounter, testkit};
use chat_core::model::AccountKind;
use chat_core::ports::{ConnectionStore, MessageStore, RoomStore};
use chat_core::testkit::contract::fixtures::{
    cid, connection, employee_member, guest_member, message_with_client_id, rid, seed_room,
};

/// A store on a fresh table, and the counter of the requests it sends.
async fn counted_store() -> (DynamoStore, RequestCounter) {
    let clients = testkit::clients(testkit::unique_target("costs")).await;
    schema::ensure_table(&clients.dynamodb, &clients.target.table)
        .await
        .expect("create the table");
    (DynamoStore::from_clients(&clients), clients.counter.clone())
}

fn requests(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs
        .iter()
        .map(|(op, n)| (format!("DynamoDB.{op}"), *n))
        .collect()
}

#[tokio::test]
async fn an_append_costs_one_read_and_one_transaction() {
    let (store, counter) = counted_store().await;
    seed_room(&store, "room_1", 0, &[employee_member("usr_alice")]).await;
    counter.take();
    let m = message_with_client_id("room_1", "msg_1", "usr_alice", "c-1");
    store.append_message(&m).await.expect("append");
    assert_eq!(
        counter.take(),
        requests(&[("GetItem", 1), ("TransactWriteItems", 1)]),
        "append_message: the room's last_seq, then one transaction"
    );
}

#[tokio::test]
async fn a_rooms_fanout_is_one_query_whatever_else_exists() {
    let (store, counter) = counted_store().await;
    seed_room(
        &store,
        "room_1",
        0,
        &[employee_member("usr_alice"), guest_member("usr_john")],
    )
    .await;
    for c in [
        connection("conn_a", "usr_alice", AccountKind::Employee),
        connection("conn_j", "usr_john", AccountKind::Guest),
    ] {
        store.put_connection(&c).await.expect("put");
    }
    let measure = || async {
        counter.take();
        let audience = store
            .room_connections(&rid("room_1"))
            .await
            .expect("audience");
        assert_eq!(audience.len(), 2, "alice's and john's connections");
        counter.take()
    };
    let alone = measure().await;
    assert_eq!(
        alone,
        requests(&[("Query", 1)]),
        "one query for the audience"
    );

    // Busy neighbours: more rooms, members and connections elsewhere.
    for i in 0..6 {
        let user = format!("usr_other{i}");
        seed_room(
            &store,
            &format!("room_other{i}"),
            i,
            &[employee_member(&user)],
        )
        .await;
        let c = connection(&format!("conn_other{i}"), &user, AccountKind::Employee);
        store.put_connection(&c).await.expect("put");
    }
    assert_eq!(measure().await, alone, "the cost ignores other rooms");
}

#[tokio::test]
async fn connect_and_disconnect_cost_a_fixed_number_of_requests() {
    let (store, counter) = counted_store().await;
    for (i, room) in ["room_a", "room_b", "room_c"].iter().enumerate() {
        seed_room(&store, room, i as i64, &[employee_member("usr_alice")]).await;
    }
    let c = connection("conn_1", "usr_alice", AccountKind::Employee);
    counter.take();
    store.put_connection(&c).await.expect("put");
    assert_eq!(
        counter.take(),
        requests(&[("BatchWriteItem", 2), ("Query", 2)]),
        "put_connection in 3 rooms: own copies, the rooms, their entries, the re-check"
    );
    store
        .add_observer(&rid("room_x"), &c.id)
        .await
        .expect("observe");
    counter.take();
    let removed = store
        .delete_connection(&cid("conn_1"))
        .await
        .expect("delete");
    assert_eq!(removed, Some(c), "the removed connection");
    assert_eq!(
        counter.take(),
        requests(&[("BatchWriteItem", 1), ("Query", 1)]),
        "delete_connection: one query finds every copy, one batch deletes them"
    );
    for room in ["room_a", "room_b", "room_c", "room_x"] {
        assert!(
            store
                .room_connections(&rid(room))
                .await
                .expect("audience")
                .is_empty(),
            "{room}'s audience no longer holds the connection"
        );
    }
    assert!(
        store
            .is_member(&rid("room_a"), "usr_alice")
            .await
            .expect("member")
    );
}
