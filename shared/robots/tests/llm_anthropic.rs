//! `AnthropicClient` against a local stub speaking the Messages API's SSE format.

mod llm_stub;

use std::time::{Duration, Instant};

use futures::StreamExt;
use llm_stub::{Reply, Stub};
use robots::{
    Error,
    llm::{
        AnthropicClient, ApiKey, LlmConfig, LlmProvider, Prompt, ProviderKind, TextStream,
        provider_from,
    },
};
use serde_json::{Value, json};

const KEY: &str = "sk-ant-test-0123456789abcdef";

fn config(stub: &Stub) -> LlmConfig {
    LlmConfig {
        base_url: format!("{}/", stub.url),
        connect_timeout: Duration::from_secs(1),
        first_byte_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        ..LlmConfig::new(ProviderKind::Anthropic, ApiKey::new(KEY), "claude-test")
    }
}

fn prompt() -> Prompt {
    Prompt {
        system: "You are a support robot.".into(),
        user: "Tell me a joke".into(),
        max_tokens: 256,
    }
}

fn event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// Everything up to the first text delta, as the API sends it.
fn opening() -> Vec<String> {
    vec![
        event(
            "message_start",
            json!({"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant",
                "content":[],"model":"claude-test","stop_reason":null,"stop_sequence":null,
                "usage":{"input_tokens":12,"output_tokens":1}}}),
        ),
        event(
            "content_block_start",
            json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        ),
        event("ping", json!({"type":"ping"})),
    ]
}

fn delta(text: &str) -> String {
    event(
        "content_block_delta",
        json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":text}}),
    )
}

fn closing() -> Vec<String> {
    vec![
        event(
            "content_block_stop",
            json!({"type":"content_block_stop","index":0}),
        ),
        event(
            "message_delta",
            json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},
                "usage":{"output_tokens":15}}),
        ),
        event("message_stop", json!({"type":"message_stop"})),
    ]
}

fn answer(parts: &[&str]) -> Reply {
    let mut chunks = opening();
    chunks.extend(parts.iter().map(|p| delta(p)));
    chunks.extend(closing());
    Reply::Sse(chunks)
}

fn error_body(kind: &str, message: &str) -> String {
    json!({"type":"error","error":{"type":kind,"message":message}}).to_string()
}

/// The text before the first error, and that error; asserts nothing follows an error.
async fn drain(mut stream: TextStream) -> (String, Option<Error>) {
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(fragment) => text.push_str(&fragment),
            Err(error) => {
                assert!(
                    stream.next().await.is_none(),
                    "the stream must end after an error"
                );
                return (text, Some(error));
            }
        }
    }
    (text, None)
}

fn assert_key_hidden(error: &Error) {
    assert!(!error.to_string().contains(KEY), "{error}");
    assert!(!format!("{error:?}").contains(KEY), "{error:?}");
}

#[tokio::test]
async fn streams_text_deltas_joined_in_order() {
    let stub = Stub::start(vec![answer(&["Why did ", "the robot ", "cross the road?"])]).await;
    let client = provider_from(config(&stub)).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Why did the robot cross the road?");
    assert!(error.is_none(), "{error:?}");
    let received = stub.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.uri.path(), "/v1/messages");
    assert_eq!(request.header("x-api-key"), Some(KEY));
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    assert_eq!(body["model"], "claude-test");
    assert_eq!(body["max_tokens"], 256);
    assert_eq!(body["system"], "You are a support robot.");
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["messages"],
        json!([{"role":"user","content":"Tell me a joke"}])
    );
}

#[tokio::test]
async fn error_event_mid_stream_ends_the_stream_with_a_readable_error() {
    let mut chunks = opening();
    chunks.push(delta("Why did "));
    chunks.push(event(
        "error",
        serde_json::from_str(&error_body("overloaded_error", "Overloaded")).unwrap(),
    ));
    let stub = Stub::start(vec![Reply::Sse(chunks)]).await;
    let client = AnthropicClient::new(config(&stub)).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Why did ");
    let error = error.expect("an error after the text");
    assert!(
        matches!(&error, Error::StreamFailed { kind, .. } if kind == "overloaded_error"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the LLM provider failed mid-answer: Overloaded (overloaded_error)"
    );
    assert_eq!(stub.received().len(), 1, "text was already shown: no retry");
}

#[tokio::test]
async fn overloaded_error_before_any_text_is_retried() {
    let mut failing = opening();
    failing.push(event(
        "error",
        serde_json::from_str(&error_body("overloaded_error", "Overloaded")).unwrap(),
    ));
    let stub = Stub::start(vec![Reply::Sse(failing), answer(&["Hello"])]).await;
    let client = AnthropicClient::new(config(&stub)).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Hello");
    assert!(error.is_none());
    assert_eq!(stub.received().len(), 2);
}

#[tokio::test]
async fn rate_limit_with_retry_after_waits_then_succeeds() {
    let stub = Stub::start(vec![
        Reply::Status(
            429,
            vec![("retry-after", "1")],
            error_body("rate_limit_error", "Slow down"),
        ),
        answer(&["Hello"]),
    ])
    .await;
    let client = AnthropicClient::new(config(&stub)).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Hello");
    assert!(error.is_none());
    let received = stub.received();
    assert_eq!(received.len(), 2);
    let waited = received[1].at - received[0].at;
    assert!(
        waited >= Duration::from_millis(990),
        "waited only {waited:?}"
    );
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let stub = Stub::start(vec![
        Reply::Status(529, vec![], error_body("overloaded_error", "Overloaded")),
        answer(&["Hello"]),
    ])
    .await;
    let client = AnthropicClient::new(config(&stub)).unwrap();

    let (text, _) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Hello");
    assert_eq!(stub.received().len(), 2);
}

#[tokio::test]
async fn server_error_forever_gives_up_after_max_retries() {
    let stub = Stub::start(vec![Reply::Status(
        500,
        vec![],
        error_body("api_error", "Internal server error"),
    )])
    .await;
    let client = AnthropicClient::new(config(&stub)).unwrap();

    let error = client
        .stream(&prompt())
        .await
        .err()
        .expect("retries run out");

    assert_eq!(stub.received().len(), 3, "one attempt plus max_retries = 2");
    match &error {
        Error::RetriesExhausted { attempts: 3, last } => {
            assert!(
                matches!(**last, Error::ProviderFailed { status: 500, .. }),
                "{last:?}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the LLM provider is failing (500): Internal server error and retries ran out after 3 attempts"
    );
    assert_key_hidden(&error);
}

#[tokio::test]
async fn bad_request_is_not_retried_and_names_status_and_message() {
    let message = "max_tokens: 100000 > 8192, which is the maximum allowed";
    let stub = Stub::start(vec![Reply::Status(
        400,
        vec![],
        error_body("invalid_request_error", message),
    )])
    .await;
    let client = AnthropicClient::new(config(&stub)).unwrap();

    let error = client.stream(&prompt()).await.err().expect("a rejection");

    assert_eq!(stub.received().len(), 1);
    assert!(
        matches!(error, Error::Rejected { status: 400, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("the LLM provider refused the request (400): {message}")
    );
}

#[tokio::test]
async fn a_key_echoed_by_the_provider_is_scrubbed_from_the_error() {
    let echo = format!("invalid x-api-key {KEY}");
    let stub = Stub::start(vec![Reply::Status(
        401,
        vec![],
        error_body("authentication_error", &echo),
    )])
    .await;
    let client = AnthropicClient::new(config(&stub)).unwrap();

    let error = client.stream(&prompt()).await.err().expect("a rejection");

    assert!(
        matches!(error, Error::Rejected { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the LLM provider refused the request (401): invalid x-api-key ***"
    );
    assert_key_hidden(&error);
}

#[tokio::test]
async fn a_body_that_ends_before_message_stop_is_a_cut_off_stream() {
    let mut chunks = opening();
    chunks.push(delta("Why did "));
    let stub = Stub::start(vec![Reply::Sse(chunks)]).await;
    let client = AnthropicClient::new(config(&stub)).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Why did ");
    let error = error.expect("a cut-off error");
    assert!(matches!(error, Error::Disconnected { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the LLM stream was cut off before it finished"
    );
}

#[tokio::test]
async fn no_response_before_the_first_byte_timeout_is_an_error() {
    let stub = Stub::start(vec![Reply::Stall]).await;
    let config = LlmConfig {
        first_byte_timeout: Duration::from_millis(300),
        ..config(&stub)
    };
    let client = AnthropicClient::new(config).unwrap();
    let started = Instant::now();

    let error = client.stream(&prompt()).await.err().expect("a timeout");

    assert!(matches!(error, Error::FirstByteTimeout { .. }), "{error:?}");
    assert!(error.to_string().contains("first-byte timeout"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(stub.received().len(), 1, "a stall is not retried");
}

#[tokio::test]
async fn silence_between_events_hits_the_idle_timeout() {
    let mut chunks = opening();
    chunks.push(delta("Why did "));
    let stub = Stub::start(vec![Reply::SseThenStall(chunks)]).await;
    let config = LlmConfig {
        idle_timeout: Duration::from_millis(300),
        ..config(&stub)
    };
    let client = AnthropicClient::new(config).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Why did ");
    let error = error.expect("an idle timeout");
    assert!(matches!(error, Error::IdleTimeout { .. }), "{error:?}");
    assert!(error.to_string().contains("idle timeout"), "{error}");
}

#[tokio::test]
async fn the_key_never_appears_in_config_or_client_debug_output() {
    let stub = Stub::start(vec![answer(&["x"])]).await;
    let config = config(&stub);
    let client = AnthropicClient::new(config.clone()).unwrap();

    for text in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{}", config.api_key),
        format!("{client:?}"),
        format!("{:?}", provider_from(config.clone()).unwrap()),
    ] {
        assert!(!text.contains(KEY), "{text}");
    }
    assert!(format!("{config:?}").contains("ApiKey(***)"));
}
