//! What the accounts half of the DynamoDB store costs (users, tickets, invites,
//! audit, and the file records): the requests each call sends, pinned as `docs/dynamodb.md` states them. (The
//! behaviour is the `Store` contract, in `dynamo_contract.rs`.)

use chat_aws::dynamo::{DynamoStore, schema};
use chat_aws::testkit;

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

/// The file record calls: one request each, refused conditions included.
#[tokio::test]
async fn each_file_call_sends_one_request() {
    use chat_core::model::FileStatus;
    use chat_core::ports::FileStore;
    use chat_core::testkit::contract::store::files::{completed, fid, file_record};

    let clients = testkit::clients(testkit::unique_target("files")).await;
    schema::ensure_table(&clients.dynamodb, &clients.target.table)
        .await
        .expect("create the table");
    let store = DynamoStore::from_clients(&clients);
    let counter = clients.counter.clone();
    counter.take();
    let sent = |op: &str, what: &str| {
        let expected = [(format!("DynamoDB.{op}"), 1)].into_iter().collect();
        assert_eq!(counter.take(), expected, "{what}");
    };

    let pending = file_record("file_1");
    store.insert_file(&pending).await.expect("insert_file");
    sent("PutItem", "insert_file");
    assert!(store.insert_file(&pending).await.is_err());
    sent("PutItem", "insert_file of a taken id");
    store.file(&fid("file_1")).await.expect("file");
    sent("GetItem", "file");
    store.file(&fid("file_unknown")).await.expect("file");
    sent("GetItem", "file of an unknown id");
    let done = completed(&pending, 5);
    let won = store.update_file_if(&done, FileStatus::Pending).await;
    assert!(won.expect("update_file_if"));
    sent("PutItem", "update_file_if");
    let lost = store.update_file_if(&done, FileStatus::Pending).await;
    assert!(!lost.expect("update_file_if"));
    sent("PutItem", "update_file_if refused");
}
