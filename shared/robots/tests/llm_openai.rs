//! `OpenAiClient` against a local stub speaking the Chat Completions SSE format.

mod llm_stub;

use std::time::{Duration, Instant};

use futures::StreamExt;
use llm_stub::{Reply, Stub};
use robots::{
    Error,
    llm::{
        ApiKey, LlmConfig, LlmProvider, OpenAiClient, Prompt, ProviderKind, TextStream,
        provider_from,
    },
};
use serde_json::{Value, json};

const KEY: &str = "sk-proj-test-0123456789abcdef";

fn config(stub: &Stub) -> LlmConfig {
    LlmConfig {
        base_url: stub.url.clone(),
        connect_timeout: Duration::from_secs(1),
        first_byte_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        ..LlmConfig::new(ProviderKind::OpenAi, ApiKey::new(KEY), "gpt-test")
    }
}

fn prompt() -> Prompt {
    Prompt {
        system: "You are a support robot.".into(),
        user: "Tell me a joke".into(),
        max_tokens: 256,
    }
}

fn data(chunk: Value) -> String {
    format!("data: {chunk}\n\n")
}

fn chunk(delta: Value, finish_reason: Value) -> String {
    data(
        json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-test",
        "choices":[{"index":0,"delta":delta,"logprobs":null,"finish_reason":finish_reason}]}),
    )
}

fn opening() -> Vec<String> {
    vec![chunk(json!({"role":"assistant","content":""}), Value::Null)]
}

fn delta(text: &str) -> String {
    chunk(json!({"content": text}), Value::Null)
}

fn answer(parts: &[&str]) -> Reply {
    let mut chunks = opening();
    chunks.extend(parts.iter().map(|p| delta(p)));
    chunks.push(chunk(json!({}), json!("stop")));
    chunks.push("data: [DONE]\n\n".into());
    Reply::Sse(chunks)
}

fn error_body(kind: &str, message: &str) -> String {
    json!({"error":{"message":message,"type":kind,"param":null,"code":null}}).to_string()
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
async fn streams_content_deltas_joined_in_order() {
    let stub = Stub::start(vec![answer(&["Why did ", "the robot ", "cross the road?"])]).await;
    let client = provider_from(config(&stub)).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Why did the robot cross the road?");
    assert!(error.is_none(), "{error:?}");
    let received = stub.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.uri.path(), "/v1/chat/completions");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["max_tokens"], 256);
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["messages"],
        json!([
            {"role":"system","content":"You are a support robot."},
            {"role":"user","content":"Tell me a joke"},
        ])
    );
}

#[tokio::test]
async fn error_chunk_mid_stream_ends_the_stream_with_a_readable_error() {
    let mut chunks = opening();
    chunks.push(delta("Why did "));
    chunks.push(data(
        serde_json::from_str(&error_body("server_error", "The server had an error")).unwrap(),
    ));
    let stub = Stub::start(vec![Reply::Sse(chunks)]).await;
    let client = OpenAiClient::new(config(&stub)).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Why did ");
    let error = error.expect("an error after the text");
    assert_eq!(
        error.to_string(),
        "the LLM provider failed mid-answer: The server had an error (server_error)"
    );
    assert_eq!(stub.received().len(), 1, "text was already shown: no retry");
}

#[tokio::test]
async fn rate_limit_with_retry_after_waits_then_succeeds() {
    let stub = Stub::start(vec![
        Reply::Status(
            429,
            vec![("retry-after", "1")],
            error_body("rate_limit_exceeded", "Rate limit reached"),
        ),
        answer(&["Hello"]),
    ])
    .await;
    let client = OpenAiClient::new(config(&stub)).unwrap();

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
async fn rate_limit_forever_says_so_once_retries_run_out() {
    let stub = Stub::start(vec![Reply::Status(
        429,
        vec![],
        error_body("rate_limit_exceeded", "Rate limit reached"),
    )])
    .await;
    let client = OpenAiClient::new(config(&stub)).unwrap();

    let error = client
        .stream(&prompt())
        .await
        .err()
        .expect("retries run out");

    assert_eq!(stub.received().len(), 3);
    assert_eq!(
        error.to_string(),
        "the LLM provider is rate limiting us (429) and retries ran out after 3 attempts"
    );
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let stub = Stub::start(vec![
        Reply::Status(503, vec![], String::new()),
        answer(&["Hello"]),
    ])
    .await;
    let client = OpenAiClient::new(config(&stub)).unwrap();

    let (text, _) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Hello");
    assert_eq!(stub.received().len(), 2);
}

#[tokio::test]
async fn server_error_forever_gives_up_after_max_retries() {
    let stub = Stub::start(vec![Reply::Status(
        502,
        vec![],
        "<html>bad gateway</html>".into(),
    )])
    .await;
    let client = OpenAiClient::new(config(&stub)).unwrap();

    let error = client
        .stream(&prompt())
        .await
        .err()
        .expect("retries run out");

    assert_eq!(stub.received().len(), 3, "one attempt plus max_retries = 2");
    match &error {
        Error::RetriesExhausted { attempts: 3, last } => {
            assert!(
                matches!(**last, Error::ProviderFailed { status: 502, .. }),
                "{last:?}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_key_hidden(&error);
}

#[tokio::test]
async fn bad_request_is_not_retried_and_names_status_and_message() {
    let stub = Stub::start(vec![Reply::Status(
        404,
        vec![],
        error_body(
            "invalid_request_error",
            "The model `gpt-test` does not exist",
        ),
    )])
    .await;
    let client = OpenAiClient::new(config(&stub)).unwrap();

    let error = client.stream(&prompt()).await.err().expect("a rejection");

    assert_eq!(stub.received().len(), 1);
    assert_eq!(
        error.to_string(),
        "the LLM provider refused the request (404): The model `gpt-test` does not exist"
    );
}

#[tokio::test]
async fn a_key_echoed_by_the_provider_is_scrubbed_from_the_error() {
    let echo = format!("Incorrect API key provided: {KEY}.");
    let stub = Stub::start(vec![Reply::Status(
        401,
        vec![],
        error_body("invalid_request_error", &echo),
    )])
    .await;
    let client = OpenAiClient::new(config(&stub)).unwrap();

    let error = client.stream(&prompt()).await.err().expect("a rejection");

    assert!(
        matches!(error, Error::Rejected { status: 401, .. }),
        "{error:?}"
    );
    assert_key_hidden(&error);
    assert!(
        error
            .to_string()
            .ends_with("Incorrect API key provided: ***."),
        "{error}"
    );
}

#[tokio::test]
async fn a_body_that_ends_before_done_is_a_cut_off_stream() {
    let mut chunks = opening();
    chunks.push(delta("Why did "));
    chunks.push(chunk(json!({}), json!("stop")));
    let stub = Stub::start(vec![Reply::Sse(chunks)]).await;
    let client = OpenAiClient::new(config(&stub)).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Why did ");
    let error = error.expect("a cut-off error");
    assert!(matches!(error, Error::Disconnected { .. }), "{error:?}");
}

#[tokio::test]
async fn no_response_before_the_first_byte_timeout_is_an_error() {
    let stub = Stub::start(vec![Reply::Stall]).await;
    let config = LlmConfig {
        first_byte_timeout: Duration::from_millis(300),
        ..config(&stub)
    };
    let client = OpenAiClient::new(config).unwrap();
    let started = Instant::now();

    let error = client.stream(&prompt()).await.err().expect("a timeout");

    assert!(matches!(error, Error::FirstByteTimeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn headers_without_any_event_hit_the_first_byte_timeout() {
    let stub = Stub::start(vec![Reply::SseThenStall(vec![])]).await;
    let config = LlmConfig {
        first_byte_timeout: Duration::from_millis(300),
        ..config(&stub)
    };
    let client = OpenAiClient::new(config).unwrap();

    let error = client.stream(&prompt()).await.err().expect("a timeout");

    assert!(matches!(error, Error::FirstByteTimeout { .. }), "{error:?}");
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
    let client = OpenAiClient::new(config).unwrap();

    let (text, error) = drain(client.stream(&prompt()).await.unwrap()).await;

    assert_eq!(text, "Why did ");
    let error = error.expect("an idle timeout");
    assert!(matches!(error, Error::IdleTimeout { .. }), "{error:?}");
}

#[tokio::test]
async fn unreachable_provider_is_retried_then_reported() {
    // Bind then drop a listener: the port is (almost certainly) closed, so connecting
    // is refused at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = LlmConfig {
        base_url: url,
        max_retries: 1,
        backoff_base: Duration::from_millis(10),
        ..LlmConfig::new(ProviderKind::OpenAi, ApiKey::new(KEY), "gpt-test")
    };
    let client = OpenAiClient::new(config).unwrap();

    let error = client.stream(&prompt()).await.err().expect("unreachable");

    assert_eq!(
        error.to_string(),
        "could not reach the LLM provider and retries ran out after 2 attempts"
    );
    assert_key_hidden(&error);
}

#[tokio::test]
async fn the_key_never_appears_in_config_or_client_debug_output() {
    let stub = Stub::start(vec![answer(&["x"])]).await;
    let config = config(&stub);
    let client = OpenAiClient::new(config.clone()).unwrap();

    for text in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{}", config.api_key),
        format!("{client:?}"),
    ] {
        assert!(!text.contains(KEY), "{text}");
    }
}

#[test]
fn invalid_configs_are_refused_with_a_reason() {
    let base = LlmConfig::new(ProviderKind::OpenAi, ApiKey::new(KEY), "gpt-test");
    let cases = [
        LlmConfig {
            model: " ".into(),
            ..base.clone()
        },
        LlmConfig {
            api_key: ApiKey::new(""),
            ..base.clone()
        },
        LlmConfig {
            base_url: "not a url".into(),
            ..base.clone()
        },
    ];
    for config in cases {
        let error = provider_from(config).expect_err("refused");
        assert!(matches!(error, Error::InvalidConfig(_)), "{error:?}");
        assert_key_hidden(&error);
    }
    assert_eq!(
        "Anthropic".parse::<ProviderKind>().unwrap(),
        ProviderKind::Anthropic
    );
    assert!("gemini".parse::<ProviderKind>().is_err());
}
