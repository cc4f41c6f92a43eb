//! The rooms half of the `Store` contract — rooms, guests, issues, messages,
//! connections — run against the DynamoDB store on a moto server, one check per test so
//! a failure names its check and the others still run.
//!
//! Each check gets a fresh table. The races get two `DynamoStore` handles built from
//! two separate client sets (separate connection pools) on the same table, as two
//! Lambda instances would be.
//!
//! The last tests pin the requests the hot operations send (counted by the clients'
//! `RequestCounter`), as `docs/dynamodb.md` states them: a fan-out is one `Query`
//! however many other rooms and connections exist.

use std::collections::BTreeMap;

use chat_aws::dynamo::{DynamoStore, schema};
use chat_aws::{RequestCounter, testkit};
use chat_core::model::AccountKind;
use chat_core::ports::{ConnectionStore, MessageStore, RoomStore, Store};
use chat_core::testkit::contract::fixtures::{
    cid, connection, employee_member, guest_member, message_with_client_id, rid, seed_room,
};
use chat_core::testkit::contract::store::{connections, guests, issues, messages, rooms};

/// Two handles on one fresh table, from independent clients.
async fn two_handles() -> (DynamoStore, DynamoStore) {
    let target = testkit::unique_target("rooms");
    let first = testkit::clients(target.clone()).await;
    schema::ensure_table(&first.dynamodb, &first.target.table)
        .await
        .expect("create the table");
    let second = testkit::clients(target).await;
    (
        DynamoStore::from_clients(&first),
        DynamoStore::from_clients(&second),
    )
}

async fn store() -> DynamoStore {
    two_handles().await.0
}

/// One `#[tokio::test]` per single-handle check.
macro_rules! checks {
    ($($suite:ident :: $check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                $suite::$check(&store().await).await;
            }
        )*
    };
}

/// One `#[tokio::test]` per race, with two handles on the same table.
macro_rules! races {
    ($($suite:ident :: $check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (a, b) = two_handles().await;
                $suite::$check(&[&a as &dyn Store, &b]).await;
            }
        )*
    };
}

checks!(
    rooms::create_room_with_a_new_issue_stores_room_member_and_issue,
    rooms::create_room_for_an_existing_issue_appends_the_room,
    rooms::create_room_for_a_missing_issue_fails_and_creates_nothing,
    rooms::update_room_changes_status_conclusion_title_but_never_last_seq,
    rooms::update_room_sets_and_clears_waiting_since,
    rooms::rooms_of_lists_a_members_rooms_newest_first,
    rooms::list_rooms_is_newest_first_and_filters_by_status,
    rooms::add_member_is_idempotent,
    rooms::add_member_to_a_missing_room_is_not_found,
    rooms::remove_member_reports_not_a_member,
    rooms::remove_member_never_leaves_a_guest_without_an_employee,
    rooms::save_issue_inserts_and_replaces,
    guests::add_member_admits_a_guest_only_while_an_employee_is_in,
    issues::list_issues_filters_by_tier_and_status_newest_first,
    messages::append_assigns_gapless_seqs_and_bumps_the_room,
    messages::append_to_a_missing_room_is_not_found,
    messages::resend_with_the_same_client_id_returns_the_original,
    messages::same_client_id_from_another_author_is_a_new_message,
    messages::messages_round_trip_every_field,
    messages::update_message_replaces_status_text_data_and_updated_at,
    messages::page_after_seq_is_ascending_with_has_more,
    messages::page_before_seq_is_the_messages_just_before,
    messages::page_between_after_and_before,
    messages::page_for_guests_hides_employee_only_messages,
    connections::connections_put_get_delete,
    connections::connections_of_lists_only_that_users_connections,
    connections::room_connections_are_members_connections_plus_observers,
    connections::deleting_a_connection_drops_its_observer_entries,
    connections::online_users_is_the_connected_subset,
);

races!(
    rooms::concurrent_removals_leave_exactly_one_employee,
    guests::guest_joining_while_the_last_employee_leaves_is_never_alone,
    messages::concurrent_appends_are_gapless,
);

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
