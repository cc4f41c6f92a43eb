//! Failures moto cannot produce, on SDK clients whose responses come from
//! `aws-smithy-mocks` (no network): API Gateway's `410 Gone` on a push, and through the
//! core's fan-out; SQS throttling an enqueue; a junk message in a worker batch.
//!
//! Error responses are given as raw HTTP responses, so the SDK's own error parsing runs
//! as it would on AWS.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_apigatewaymanagement::operation::delete_connection::DeleteConnectionOutput;
use aws_sdk_apigatewaymanagement::operation::post_to_connection::{
    PostToConnectionError, PostToConnectionOutput,
};
use aws_sdk_sqs::operation::send_message::SendMessageOutput;
use aws_smithy_mocks::{MockResponse, MockResponseInterceptor, Rule, RuleMode, mock};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use chat_aws::RequestCounter;
use chat_aws::jobs::{Delivery, SqsJobs, process_batch};
use chat_aws::push::ApiGatewayPush;
use chat_core::auth::PasswordHasher;
use chat_core::ids::ConnectionId;
use chat_core::model::{Tier, UserRecord};
use chat_core::ports::{ConnectionStore, Jobs, Push, PushError, Store};
use chat_core::protocol::http::LoginRequest;
use chat_core::service::admin::NewEmployee;
use chat_core::service::audit::Actor;
use chat_core::service::session::Handshake;
use chat_core::testkit::contract::jobs::job;
use chat_core::testkit::harness::test_config;
use chat_core::testkit::memory::{
    CountingIds, ManualClock, MemoryBlobs, MemoryJobs, MemoryStore, RecordingPush,
};
use chat_core::{App, CoreError, Deps};
use serde_json::{Value, json};

/// An error response as AWS sends it: status, error type header, JSON body.
fn error_response(
    status: u16,
    error_type: &'static str,
    extra: Option<(&'static str, &'static str)>,
) -> HttpResponse {
    let body = json!({ "message": format!("{error_type} (mocked)") }).to_string();
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("a valid status"),
        SdkBody::from(body),
    );
    response
        .headers_mut()
        .insert("x-amzn-errortype", error_type);
    response
        .headers_mut()
        .insert("content-type", "application/json");
    if let Some((name, value)) = extra {
        response.headers_mut().insert(name, value);
    }
    response
}

fn gone() -> HttpResponse {
    error_response(410, "GoneException", None)
}

fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |i, rule| i.with_rule(rule),
    )
}

/// A management client answering from `rules`; `counter` sees every attempt.
fn mock_management(
    rules: &[&Rule],
    counter: &RequestCounter,
) -> aws_sdk_apigatewaymanagement::Client {
    use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "mock"))
        .endpoint_url("https://abcd1234.execute-api.us-east-1.amazonaws.com/prod")
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .interceptor(interceptor(rules))
        .interceptor(counter.clone())
        .build();
    aws_sdk_apigatewaymanagement::Client::from_conf(config)
}

/// An SQS client answering from `rules`, retrying as configured by default but without
/// waiting long between attempts.
fn mock_sqs(rules: &[&Rule], counter: &RequestCounter) -> aws_sdk_sqs::Client {
    use aws_sdk_sqs::config::retry::RetryConfig;
    use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "mock"))
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .interceptor(interceptor(rules))
        .interceptor(counter.clone())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

fn conn(id: &str) -> ConnectionId {
    ConnectionId::parse(id).unwrap_or_else(|e| panic!("{id}: {e}"))
}

#[tokio::test]
async fn a_410_on_post_to_connection_is_gone() {
    let counter = RequestCounter::default();
    let rule =
        mock!(aws_sdk_apigatewaymanagement::Client::post_to_connection).then_http_response(gone);
    let push = ApiGatewayPush::new(mock_management(&[&rule], &counter));

    let err = push.post(&conn("c-gone"), "{}").await.unwrap_err();

    assert!(matches!(err, PushError::Gone), "{err:?}");
    assert_eq!(
        counter.snapshot().values().sum::<u64>(),
        1,
        "a gone connection is not retried"
    );
}

#[tokio::test]
async fn a_410_on_delete_connection_is_gone_too() {
    let counter = RequestCounter::default();
    let rule =
        mock!(aws_sdk_apigatewaymanagement::Client::delete_connection).then_http_response(gone);
    let push = ApiGatewayPush::new(mock_management(&[&rule], &counter));
    let err = push.close(&conn("c-gone")).await.unwrap_err();
    assert!(matches!(err, PushError::Gone), "{err:?}");
}

#[tokio::test]
async fn other_push_errors_are_failures_not_gone() {
    let counter = RequestCounter::default();
    let rule = mock!(aws_sdk_apigatewaymanagement::Client::post_to_connection)
        .then_http_response(|| error_response(403, "ForbiddenException", None));
    let push = ApiGatewayPush::new(mock_management(&[&rule], &counter));
    let err = push.post(&conn("c-1"), "{}").await.unwrap_err();
    assert!(matches!(err, PushError::Failed(_)), "{err:?}");
}

/// Frames the mocked API Gateway accepted, by connection.
type Posted = Arc<Mutex<Vec<(String, Value)>>>;
/// Connection ids the mocked API Gateway answers `410 Gone` for.
type GoneIds = Arc<Mutex<HashSet<String>>>;

/// An app on memory adapters whose push is `ApiGatewayPush` over a mocked API that
/// answers 410 for the ids in `gone_ids` and records every other frame.
fn app_pushing_through_mock(gone_ids: GoneIds) -> (App, Arc<MemoryStore>, Posted) {
    let posted: Posted = Arc::default();
    let recorder = Arc::clone(&posted);
    let post = mock!(aws_sdk_apigatewaymanagement::Client::post_to_connection)
        .then_compute_response(move |input| {
            let id = input.connection_id().unwrap_or_default().to_string();
            if gone_ids.lock().unwrap().contains(&id) {
                return MockResponse::<PostToConnectionOutput, PostToConnectionError>::Http(gone());
            }
            let frame = input
                .data()
                .and_then(|d| serde_json::from_slice(d.as_ref()).ok())
                .unwrap_or(Value::Null);
            recorder.lock().unwrap().push((id, frame));
            MockResponse::Output(PostToConnectionOutput::builder().build())
        });
    let close = mock!(aws_sdk_apigatewaymanagement::Client::delete_connection)
        .then_output(|| DeleteConnectionOutput::builder().build());
    let push = ApiGatewayPush::new(mock_management(
        &[&post, &close],
        &RequestCounter::default(),
    ));
    let store = Arc::new(MemoryStore::new());
    let deps = Deps {
        store: store.clone(),
        push: Arc::new(push),
        jobs: Arc::new(MemoryJobs::new()),
        blobs: Arc::new(MemoryBlobs::new()),
        robots: std::sync::Arc::new(chat_core::testkit::robots::ScriptedRobots::new(
            std::time::Duration::ZERO,
        )),
        clock: Arc::new(ManualClock::new(chrono::Utc::now())),
        ids: Arc::new(CountingIds::default()),
    };
    let app = App::new(deps, test_config(), PasswordHasher::with_cost(8, 1))
        .unwrap_or_else(|e| panic!("app: {e}"));
    (app, store, posted)
}

async fn employee(app: &App, username: &str, tier: Tier) -> UserRecord {
    app.add_employee(
        Actor::Operator,
        NewEmployee {
            username: username.into(),
            password: format!("{username}-pass"),
            tier,
            roles: vec![],
            display_name: username.to_uppercase(),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("add {username}: {e}"))
}

async fn connect(app: &App, user: &UserRecord, id: &str) -> ConnectionId {
    let username = user.identity.username.to_string();
    let token = app
        .login(
            &LoginRequest {
                password: format!("{username}-pass"),
                username,
            },
            "192.0.2.1",
        )
        .await
        .unwrap_or_else(|e| panic!("login: {e}"))
        .token;
    let id = conn(id);
    app.connect(&Handshake {
        connection_id: Some(id.clone()),
        authorization: Some(format!("Bearer {token}")),
        ..Default::default()
    })
    .await
    .unwrap_or_else(|e| panic!("connect: {e}"));
    id
}

/// Sends a frame and returns the `data` of its reply (posted through the mock).
async fn ok(app: &App, posted: &Posted, conn: &ConnectionId, action: &str, fields: Value) -> Value {
    let mut frame = json!({ "action": action, "requestId": action });
    if let (Some(obj), Value::Object(extra)) = (frame.as_object_mut(), fields) {
        obj.extend(extra);
    }
    app.handle_frame(conn, &frame.to_string()).await;
    let frames = posted.lock().unwrap();
    let reply = frames
        .iter()
        .rev()
        .find(|(to, f)| to == conn.as_str() && f["type"] == "reply" && f["requestId"] == action)
        .map(|(_, f)| f.clone())
        .unwrap_or_else(|| panic!("no reply to {action}"));
    assert_eq!(reply["ok"], true, "{action}: {reply}");
    reply["data"].clone()
}

#[tokio::test]
async fn fan_out_forgets_a_gone_connection_and_still_reaches_the_others() {
    let gone_ids = GoneIds::default();
    let (app, store, posted) = app_pushing_through_mock(Arc::clone(&gone_ids));
    let alice = employee(&app, "alice", Tier::T1).await;
    let bob = employee(&app, "bob", Tier::T2).await;
    let ca = connect(&app, &alice, "alice-1").await;
    let stale = connect(&app, &bob, "bob-stale").await;
    let fresh = connect(&app, &bob, "bob-fresh").await;
    let room = ok(
        &app,
        &posted,
        &ca,
        "room.create",
        json!({"kind": "group", "title": "r"}),
    )
    .await["room"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &app,
        &posted,
        &ca,
        "room.invite",
        json!({"roomId": room, "userId": bob.identity.user_id.to_string()}),
    )
    .await;
    posted.lock().unwrap().clear();
    gone_ids.lock().unwrap().insert(stale.to_string());
    assert!(
        store.connection(&stale).await.unwrap().is_some(),
        "stored until API Gateway calls it gone"
    );

    ok(
        &app,
        &posted,
        &ca,
        "message.send",
        json!({"roomId": room, "clientMsgId": "m", "text": "hi"}),
    )
    .await;

    assert!(
        store.connection(&stale).await.unwrap().is_none(),
        "the connection API Gateway called gone is deleted from the store"
    );
    assert!(
        store.connection(&fresh).await.unwrap().is_some(),
        "the other connections stay"
    );
    let frames = posted.lock().unwrap();
    let got_it = |c: &ConnectionId| {
        frames.iter().any(|(to, f)| {
            to == c.as_str() && f["type"] == "message.created" && f["message"]["text"] == "hi"
        })
    };
    assert!(
        got_it(&fresh),
        "bob's live connection gets the message: {frames:?}"
    );
}

#[tokio::test]
async fn a_throttled_enqueue_is_unavailable_after_the_sdk_retries() {
    let counter = RequestCounter::default();
    let throttled = || {
        let mut response = error_response(
            400,
            "RequestThrottled",
            Some(("x-amzn-query-error", "RequestThrottled;Sender")),
        );
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        response
    };
    let rule = mock!(aws_sdk_sqs::Client::send_message)
        .sequence()
        .http_response(throttled)
        .repeatedly()
        .build();
    let jobs = SqsJobs::new(
        mock_sqs(&[&rule], &counter),
        "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
    );

    let err = jobs.enqueue(&job(0), Duration::ZERO).await.unwrap_err();

    assert!(
        matches!(err, CoreError::Unavailable(_)),
        "throttling is retryable: {err:?}"
    );
    assert_eq!(
        counter.snapshot().get("SQS.SendMessage").copied(),
        Some(3),
        "the SDK retried before giving up"
    );
}

#[tokio::test]
async fn a_delay_beyond_fifteen_minutes_is_sent_as_the_maximum_with_not_before() {
    let seen: Arc<Mutex<Vec<aws_sdk_sqs::operation::send_message::SendMessageInput>>> =
        Arc::default();
    let recorder = Arc::clone(&seen);
    let rule = mock!(aws_sdk_sqs::Client::send_message)
        .match_requests(move |input| {
            recorder.lock().unwrap().push(input.clone());
            true
        })
        .then_output(|| SendMessageOutput::builder().message_id("m-1").build());
    let jobs = SqsJobs::new(
        mock_sqs(&[&rule], &RequestCounter::default()),
        "https://sqs.example/q",
    );
    let before = chrono::Utc::now().timestamp_millis();

    jobs.enqueue(&job(1), Duration::from_secs(3600))
        .await
        .unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].delay_seconds(), Some(900));
    let not_before: i64 = seen[0]
        .message_attributes()
        .and_then(|a| a.get("notBefore"))
        .and_then(|v| v.string_value())
        .expect("a notBefore attribute")
        .parse()
        .unwrap();
    let after = chrono::Utc::now().timestamp_millis();
    assert!(
        (before + 3_600_000..=after + 3_600_000).contains(&not_before),
        "notBefore is enqueue time plus the delay: {not_before}"
    );
}

#[tokio::test]
async fn a_junk_message_fails_alone_in_its_batch() {
    let jobs = Arc::new(MemoryJobs::new());
    let deps = Deps {
        store: Arc::new(MemoryStore::new()) as Arc<dyn Store>,
        push: Arc::new(RecordingPush::new()) as Arc<dyn Push>,
        jobs: jobs.clone() as Arc<dyn Jobs>,
        blobs: Arc::new(MemoryBlobs::new()),
        robots: std::sync::Arc::new(chat_core::testkit::robots::ScriptedRobots::new(
            std::time::Duration::ZERO,
        )),
        clock: Arc::new(ManualClock::new(chrono::Utc::now())),
        ids: Arc::new(CountingIds::default()),
    };
    let app = App::new(deps, test_config(), PasswordHasher::with_cost(8, 1)).unwrap();
    let body = |n| serde_json::to_string(&job(n)).unwrap();
    let batch = [
        Delivery::new("m-1", body(0), None),
        Delivery::new("m-junk", "{\"job\":\"noSuchKind\"}", None),
        Delivery::new("m-2", body(1), None),
        Delivery::new("m-garbage", "not json at all", None),
    ];

    let failed = process_batch(&app, &batch).await;

    assert_eq!(
        failed,
        ["m-junk", "m-garbage"],
        "exactly the undecodable messages fail"
    );
    assert!(jobs.drain().is_empty(), "nothing was deferred");
}

/// Raw frames the mocked API Gateway accepted, by connection, in arrival order.
type RawPosted = Arc<Mutex<Vec<(String, String)>>>;

/// The push contract against `ApiGatewayPush` over a mocked API Gateway that keeps
/// every frame and answers 410 for the ids it was told are gone: unlike moto, both
/// deliveries and `Gone` can be observed (`post_many` is the port's default here).
#[tokio::test]
async fn api_gateway_push_meets_the_push_contract_against_a_recording_api() {
    chat_core::testkit::contract::push::run_all(|| async {
        let posted: RawPosted = Arc::default();
        let gone_ids: GoneIds = Arc::default();
        let (recorder, refused) = (Arc::clone(&posted), Arc::clone(&gone_ids));
        let post = mock!(aws_sdk_apigatewaymanagement::Client::post_to_connection)
            .then_compute_response(move |input| {
                let id = input.connection_id().unwrap_or_default().to_string();
                if refused.lock().unwrap().contains(&id) {
                    return MockResponse::<PostToConnectionOutput, PostToConnectionError>::Http(
                        gone(),
                    );
                }
                let frame = input
                    .data()
                    .map(|d| String::from_utf8_lossy(d.as_ref()).into_owned())
                    .unwrap_or_default();
                recorder.lock().unwrap().push((id, frame));
                MockResponse::Output(PostToConnectionOutput::builder().build())
            });
        let push = ApiGatewayPush::new(mock_management(&[&post], &RequestCounter::default()));
        let probe = RecordingApiProbe {
            posted,
            gone_ids,
            next: 0,
        };
        (push, probe)
    })
    .await;
}

struct RecordingApiProbe {
    posted: RawPosted,
    gone_ids: GoneIds,
    next: usize,
}

impl RecordingApiProbe {
    fn fresh(&mut self) -> ConnectionId {
        self.next += 1;
        conn(&format!("c-contract-{}", self.next))
    }
}

#[async_trait::async_trait]
impl chat_core::testkit::contract::push::PushProbe for RecordingApiProbe {
    async fn open(&mut self) -> ConnectionId {
        self.fresh()
    }

    async fn gone(&mut self) -> Option<ConnectionId> {
        let id = self.fresh();
        self.gone_ids.lock().unwrap().insert(id.to_string());
        Some(id)
    }

    async fn delivered(
        &mut self,
        connection: &ConnectionId,
        _at_least: usize,
        _wait: Duration,
    ) -> Option<Vec<String>> {
        // Every post has been answered by the time the suite asks.
        let mut posted = self.posted.lock().unwrap();
        let (mine, rest): (Vec<_>, Vec<_>) = posted
            .drain(..)
            .partition(|(id, _)| id == connection.as_str());
        *posted = rest;
        Some(mine.into_iter().map(|(_, frame)| frame).collect())
    }
}
