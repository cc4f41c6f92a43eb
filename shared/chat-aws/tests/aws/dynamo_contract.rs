//! The `Store` contract against the DynamoDB store on a moto server: every check on a
//! fresh table, exactly as the memory and SQLite adapters run it, then the races again
//! with two `DynamoStore` handles built from separate client sets (separate connection
//! pools) on one table, as two Lambda instances would be.

use chat_aws::dynamo::{DynamoStore, schema};
use chat_aws::testkit;
use chat_core::ports::Store;
use chat_core::testkit::contract::store::{
    self, audit, files, guarded_sends, guests, invites, messages, rooms, tickets,
};

async fn fresh_store() -> DynamoStore {
    two_handles().await.0
}

/// Two handles on one fresh table, from independent clients.
async fn two_handles() -> (DynamoStore, DynamoStore) {
    let target = testkit::unique_target("contract");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_meets_the_whole_store_contract() {
    store::run_all(fresh_store).await;
}

/// One `#[tokio::test]` per race, with two handles on the same table.
macro_rules! races {
    ($($suite:ident :: $check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let (a, b) = two_handles().await;
                $suite::$check(&[&a as &dyn Store, &b]).await;
            }
        )*
    };
}

races!(
    rooms::concurrent_removals_leave_exactly_one_employee,
    guests::guest_joining_while_the_last_employee_leaves_is_never_alone,
    messages::concurrent_appends_are_gapless,
    guarded_sends::concurrent_guarded_sends_are_gapless,
    tickets::concurrent_takes_have_one_winner,
    invites::concurrent_invite_takes_have_one_winner,
    audit::concurrent_audit_appends_are_gapless,
    files::concurrent_completions_have_one_winner,
);
