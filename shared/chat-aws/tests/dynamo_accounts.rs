//! The accounts half of the `Store` contract — users, tickets, invites, audit — run
//! against the DynamoDB store on a moto server, one check per test so a failure names
//! its check and the others still run.
//!
//! Each check gets a fresh table. The races get two `DynamoStore` handles built from
//! two separate client sets (separate connection pools) on the same table, as two
//! Lambda instances would be.

use chat_aws::dynamo::{DynamoStore, schema};
use chat_aws::testkit;
use chat_core::testkit::contract::store::{audit, invites, tickets, users};

/// Two handles on one fresh table, from independent clients.
async fn two_handles() -> (DynamoStore, DynamoStore) {
    let target = testkit::unique_target("acct");
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
                $suite::$check(&[&a, &b]).await;
            }
        )*
    };
}

checks!(
    users::users_round_trip_and_are_found_by_any_case,
    users::usernames_are_unique_ignoring_case,
    users::update_identity_replaces_identity_and_hash_only,
    users::update_identity_never_changes_the_username,
    users::update_profile_replaces_profile_only,
    users::updates_of_unknown_users_are_not_found,
    users::list_users_is_ordered_by_username,
    tickets::a_ticket_is_taken_once,
    tickets::an_expired_ticket_is_refused,
    invites::an_invite_is_taken_once,
    invites::an_expired_invite_is_refused,
    audit::audit_entries_round_trip_numbered_from_one,
    audit::audit_page_honours_after_seq_since_and_limit,
);

races!(
    tickets::concurrent_takes_have_one_winner,
    invites::concurrent_invite_takes_have_one_winner,
    audit::concurrent_audit_appends_are_gapless,
);

/// The requests each accounts call sends, as `docs/dynamodb.md` states them (no
/// contention, so no retries).
#[tokio::test]
async fn each_accounts_call_sends_the_documented_requests() {
    use chat_core::ports::{AuditStore, InviteStore, TicketStore, UserStore};
    use chat_core::testkit::contract::fixtures::{at, audit_entry, employee, invite, uid};

    let clients = testkit::clients(testkit::unique_target("acct")).await;
    schema::ensure_table(&clients.dynamodb, &clients.target.table)
        .await
        .expect("create the table");
    let store = DynamoStore::from_clients(&clients);
    let counter = clients.counter.clone();
    counter.take();
    let sent = |expected: &[(&str, u64)], what: &str| {
        let counts = counter.take();
        let expected = expected
            .iter()
            .map(|(op, n)| (format!("DynamoDB.{op}"), *n))
            .collect();
        assert_eq!(counts, expected, "{what}");
    };

    let alice = employee("usr_alice", "Alice");
    store.insert_user(&alice).await.expect("insert_user");
    sent(&[("TransactWriteItems", 1)], "insert_user");
    store
        .user_by_id(&uid("usr_alice"))
        .await
        .expect("user_by_id");
    sent(&[("GetItem", 1)], "user_by_id");
    store.user_by_username("ALICE").await.expect("by username");
    sent(&[("GetItem", 2)], "user_by_username: claim, then user");
    store.user_by_username("nobody").await.expect("by username");
    sent(&[("GetItem", 1)], "user_by_username of an unknown name");
    let identity = alice.identity.clone();
    store
        .update_identity(&identity, None)
        .await
        .expect("update");
    sent(&[("UpdateItem", 1)], "update_identity");
    let profile = alice.profile.clone();
    store
        .update_profile(&identity.user_id, &profile)
        .await
        .expect("update_profile");
    sent(&[("UpdateItem", 1)], "update_profile");
    store.list_users().await.expect("list_users");
    sent(&[("Query", 1)], "list_users (one page)");

    store
        .put_ticket("t", &uid("usr_alice"), at(60))
        .await
        .expect("put_ticket");
    sent(&[("PutItem", 1)], "put_ticket");
    store.take_ticket("t", at(0)).await.expect("take_ticket");
    sent(&[("DeleteItem", 1)], "take_ticket");
    store
        .put_invite("i", &invite("room_1", 60))
        .await
        .expect("put_invite");
    sent(&[("PutItem", 1)], "put_invite");
    store.take_invite("i", at(0)).await.expect("take_invite");
    sent(&[("DeleteItem", 1)], "take_invite");

    for n in 0..3 {
        let entry = audit_entry("usr_alice", "login", n);
        store.append_audit(&entry).await.expect("append_audit");
        sent(
            &[("GetItem", 1), ("TransactWriteItems", 1)],
            "append_audit: head, then the transaction",
        );
    }
    let page = store.audit_page(0, None, 2).await.expect("audit_page");
    assert_eq!(page.len(), 2);
    sent(&[("Query", 1)], "audit_page");
    let page = store.audit_page(0, Some(at(1)), 10).await.expect("page");
    assert_eq!(page.len(), 2);
    sent(&[("Query", 1)], "audit_page with since");
    assert!(store.audit_page(0, None, 0).await.expect("page").is_empty());
    sent(&[], "audit_page with limit 0");
}
