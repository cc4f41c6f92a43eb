//! fn-robot-worker from the SQS event fixture `tests/fixtures/sqs-jobs.json`: good jobs
//! are done, a junk record alone is reported back for SQS to retry, a job that is not
//! due yet goes back on the queue, and the response has Lambda's shape.

use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use chat_core::testkit::harness::TestApp;
use serde_json::{Value, json};

fn fixture() -> Value {
    let path = format!(
        "{}/../../tests/fixtures/sqs-jobs.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn event(value: Value) -> SqsEvent {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("not an SQS event: {e}"))
}

fn failed_ids(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn a_batch_of_good_jobs_reports_no_failures() {
    let t = TestApp::new();
    let response = fn_robot_worker::handle(&t.app, event(fixture())).await;
    assert_eq!(failed_ids(&response), Vec::<String>::new());
    assert!(t.jobs.drain().is_empty(), "nothing is enqueued again");
}

#[tokio::test]
async fn only_the_junk_record_is_reported_failed() {
    let t = TestApp::new();
    let mut value = fixture();
    let mut junk = value["Records"][0].clone();
    junk["messageId"] = json!("junk-0001");
    junk["body"] = json!("{\"job\":\"noSuchKind\"}");
    value["Records"]
        .as_array_mut()
        .expect("records")
        .insert(1, junk);

    let response = fn_robot_worker::handle(&t.app, event(value)).await;

    assert_eq!(failed_ids(&response), ["junk-0001"]);
}

#[tokio::test]
async fn a_job_not_yet_due_goes_back_on_the_queue_and_is_not_a_failure() {
    let t = TestApp::new();
    let mut value = fixture();
    let not_before = chrono_now_ms() + 3_600_000;
    value["Records"][1]["messageAttributes"]["notBefore"] = json!({
        "stringValue": not_before.to_string(),
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "Number"
    });
    let deferred_job = serde_json::from_str(value["Records"][1]["body"].as_str().unwrap()).unwrap();

    let response = fn_robot_worker::handle(&t.app, event(value)).await;

    assert_eq!(failed_ids(&response), Vec::<String>::new());
    let requeued = t.jobs.drain();
    assert_eq!(requeued.len(), 1, "{requeued:?}");
    assert_eq!(requeued[0].0, deferred_job);
    let left = requeued[0].1;
    assert!(
        left <= Duration::from_secs(3600) && left > Duration::from_secs(3590),
        "enqueued again for the rest of its delay: {left:?}"
    );
}

#[tokio::test]
async fn the_response_has_lambdas_partial_batch_shape() {
    let t = TestApp::new();
    let mut value = fixture();
    value["Records"][0]["body"] = json!("garbage");
    let id = value["Records"][0]["messageId"].clone();

    let response = fn_robot_worker::handle(&t.app, event(value)).await;

    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({ "batchItemFailures": [{ "itemIdentifier": id }] })
    );
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A room with the scripted batch robot asked once; returns the queued job's record
/// (from the fixture's first record) and the response id.
async fn asked(t: &TestApp) -> (Value, String, String) {
    let alice = t
        .employee("alice", chat_core::testkit::harness::T1, &[])
        .await;
    let conn = t.connect(&alice).await;
    let room = t
        .ok(
            &conn,
            "room.create",
            json!({"kind": "group", "title": "Forms", "issue": {"title": "Form 7 hides a field"}}),
        )
        .await["room"]["id"]
        .as_str()
        .expect("room id")
        .to_string();
    t.ok(
        &conn,
        "robot.invite",
        json!({"roomId": room, "robot": "test.batch"}),
    )
    .await;
    let reply = t
        .ok(
            &conn,
            "robot.ask",
            json!({"roomId": room, "robot": "test.batch", "text": "why?"}),
        )
        .await;
    let (job, _) = t.jobs.drain().pop().expect("a queued job");
    let mut record = fixture()["Records"][0].clone();
    record["body"] = json!(serde_json::to_string(&job).expect("job json"));
    let response = reply["response"]["id"].as_str().expect("id").to_string();
    (record, room, response)
}

async fn status_of(t: &TestApp, room: &str, message: &str) -> chat_core::model::MessageStatus {
    let room = chat_core::ids::RoomId::parse(room.to_string()).expect("room id");
    let id = chat_core::ids::MessageId::parse(message.to_string()).expect("message id");
    t.store
        .message(&room, &id)
        .await
        .expect("read")
        .expect("stored")
        .status
}

#[tokio::test]
async fn a_robot_job_answers_and_its_redelivery_changes_nothing() {
    let t = TestApp::new();
    let (record, room, response) = asked(&t).await;
    let batch = event(json!({ "Records": [record.clone()] }));
    assert!(failed_ids(&fn_robot_worker::handle(&t.app, batch).await).is_empty());
    assert_eq!(
        status_of(&t, &room, &response).await,
        chat_core::model::MessageStatus::Complete
    );
    let redelivered = event(json!({ "Records": [record] }));
    assert!(failed_ids(&fn_robot_worker::handle(&t.app, redelivered).await).is_empty());
}

#[tokio::test]
async fn a_delivery_past_the_queue_s_last_attempt_fails_the_answer_instead_of_running() {
    let t = TestApp::new();
    let (mut record, room, response) = asked(&t).await;
    // maxReceiveCount is 5: a sixth receive means five runs crashed their worker.
    record["attributes"]["ApproximateReceiveCount"] = json!("6");
    let batch = event(json!({ "Records": [record] }));
    assert!(failed_ids(&fn_robot_worker::handle(&t.app, batch).await).is_empty());
    assert_eq!(
        status_of(&t, &room, &response).await,
        chat_core::model::MessageStatus::Failed
    );
}
