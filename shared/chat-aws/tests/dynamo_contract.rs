//! The whole `Store` contract — every check, in one run — against the DynamoDB store on
//! moto, exactly as the memory and SQLite adapters run it. `dynamo_accounts.rs` and
//! `dynamo_rooms.rs` run the same checks one test each (a failure names its check, and
//! the races get two independent client sets); this run guarantees no check is left
//! out when the contract grows.

use chat_aws::dynamo::{DynamoStore, schema};
use chat_aws::testkit;
use chat_core::testkit::contract::store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_meets_the_whole_store_contract() {
    store::run_all(|| async {
        let clients = testkit::clients(testkit::unique_target("contract")).await;
        schema::ensure_table(&clients.dynamodb, &clients.target.table)
            .await
            .expect("create the table");
        DynamoStore::from_clients(&clients)
    })
    .await;
}
