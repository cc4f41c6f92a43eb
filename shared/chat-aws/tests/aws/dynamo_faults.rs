//! Faults moto cannot produce, on a DynamoDB client whose responses are scripted with
//! `aws-smithy-mocks`: throttling must surface as `CoreError::Unavailable` (the caller
//! may retry) rather than a storage failure, and an audit append that loses the race
//! for the head once must retry with the new head and still get the right seq.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsInput, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::types::error::TransactionCanceledException;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use aws_smithy_mocks::{MockResponse, MockResponseInterceptor, Rule, RuleMode, mock};

use chat_aws::dynamo::DynamoStore;
use chat_core::CoreError;
use chat_core::ids::UserId;
use chat_core::model::NewAuditEntry;
use chat_core::ports::{AuditStore, UserStore};

/// A store on a client answered only by `rules`. The SDK's own retries stay on (as in
/// production) with a tiny backoff, so a fault that persists is what the port sees.
fn store(rules: &[&Rule]) -> DynamoStore {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "mock"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .interceptor(interceptor)
        .build();
    DynamoStore::new(Client::from_conf(config), "chat")
}

/// A DynamoDB JSON-protocol error body, as the service sends it.
fn error_body(code: &str) -> Option<String> {
    Some(format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"slow down"}}"#
    ))
}

fn assert_unavailable<T: std::fmt::Debug>(what: &str, result: Result<T, CoreError>) {
    match result {
        Err(CoreError::Unavailable(_)) => {}
        other => panic!("{what}: expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_throttled_get_item_is_unavailable() {
    let throttled = mock!(Client::get_item)
        .sequence()
        .http_status(400, error_body("ProvisionedThroughputExceededException"))
        .repeatedly()
        .build();
    let store = store(&[&throttled]);
    let id = UserId::parse("usr_alice").expect("user id");
    assert_unavailable("user_by_id", store.user_by_id(&id).await);
    assert_unavailable("user_by_username", store.user_by_username("alice").await);
    assert!(
        throttled.num_calls() >= 2,
        "the SDK retried before giving up"
    );
}

#[tokio::test]
async fn a_throttled_query_is_unavailable() {
    let throttled = mock!(Client::query)
        .sequence()
        .http_status(400, error_body("ThrottlingException"))
        .repeatedly()
        .build();
    let store = store(&[&throttled]);
    assert_unavailable("list_users", store.list_users().await);
    assert_unavailable("audit_page", store.audit_page(0, None, 10).await);
}

fn head(last_seq: u64) -> GetItemOutput {
    GetItemOutput::builder()
        .item("pk", AttributeValue::S("AUDIT".into()))
        .item("sk", AttributeValue::S("HEAD".into()))
        .item("last_seq", AttributeValue::N(last_seq.to_string()))
        .build()
}

fn head_moved() -> TransactWriteItemsError {
    let reason = |code: &str| CancellationReason::builder().code(code).build();
    TransactWriteItemsError::TransactionCanceledException(
        TransactionCanceledException::builder()
            .message("Transaction cancelled")
            .cancellation_reasons(reason("ConditionalCheckFailed"))
            .cancellation_reasons(reason("None"))
            .build(),
    )
}

#[tokio::test]
async fn an_audit_append_that_loses_the_race_once_retries_with_the_new_head() {
    // The head reads 4; meanwhile another append takes 5, so our transaction is
    // cancelled; the re-read head says 5, and the second transaction commits 6.
    let heads = mock!(Client::get_item)
        .sequence()
        .output(|| head(4))
        .output(|| head(5))
        .build();
    let sent: Arc<Mutex<Vec<TransactWriteItemsInput>>> = Arc::default();
    let log = sent.clone();
    let transactions = mock!(Client::transact_write_items).then_compute_response(move |input| {
        let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
        log.push(input.clone());
        if log.len() == 1 {
            MockResponse::Error(head_moved())
        } else {
            MockResponse::Output(TransactWriteItemsOutput::builder().build())
        }
    });
    let store = store(&[&heads, &transactions]);

    let entry = NewAuditEntry {
        at: chrono::DateTime::from_timestamp(1_800_000_000, 123_456_789).expect("time"),
        actor: "usr_sup".into(),
        action: "supervisor.observe".into(),
        room_id: None,
        issue_id: None,
        detail: serde_json::json!({"why": "training"}),
    };
    let stored = store.append_audit(&entry).await.expect("append_audit");
    assert_eq!(
        stored.seq, 6,
        "the retry numbers the entry after the new head"
    );
    assert_eq!(stored.entry, entry);
    assert_eq!(
        heads.num_calls(),
        2,
        "the head is re-read after the lost race"
    );

    let sent = sent.lock().unwrap_or_else(|p| p.into_inner());
    assert_eq!(sent.len(), 2, "one cancelled transaction, one committed");
    for (input, (last, next)) in sent.iter().zip([(4, 5), (5, 6)]) {
        let items = input.transact_items();
        let update = items[0].update().expect("first the head update");
        let values = update.expression_attribute_values().expect("values");
        assert_eq!(
            values.get(":last"),
            Some(&AttributeValue::N(last.to_string()))
        );
        assert_eq!(
            values.get(":next"),
            Some(&AttributeValue::N(next.to_string()))
        );
        let put = items[1].put().expect("then the entry put");
        assert_eq!(
            put.item().get("sk"),
            Some(&AttributeValue::S(format!("ENTRY#{next:020}"))),
            "the entry is put under the number the head moves to"
        );
        assert_eq!(put.condition_expression(), Some("attribute_not_exists(pk)"));
    }
}
