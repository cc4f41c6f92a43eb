//! `forms::FormstackClient` against a local stub of the Formstack API v2 on 127.0.0.1:
//! what it sends, and what each way Formstack can fail becomes. Nothing here reaches
//! the internet.

mod llm_stub;

use std::time::{Duration, Instant};

use llm_stub::{Reply, Stub};
use robots::Error;
use robots::forms::{Diagnosis, FormstackClient, FormstackConfig, TokenSource};
use robots::llm::{ApiKey, SecretSource};
use serde_json::json;

const TOKEN: &str = "fs-token-0123456789abcdef";

fn test_form() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../form-observations/tests/forms/6173057.json"
    );
    std::fs::read_to_string(path).unwrap()
}

fn config(stub: &Stub) -> FormstackConfig {
    FormstackConfig {
        base_url: format!("{}/api/v2/", stub.url),
        token: Some(TokenSource::Direct(ApiKey::new(TOKEN))),
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(2),
        ..FormstackConfig::default()
    }
}

fn client(stub: &Stub) -> FormstackClient {
    FormstackClient::new(config(stub)).unwrap()
}

fn json_reply(status: u16, body: String) -> Reply {
    Reply::Status(status, vec![("content-type", "application/json")], body)
}

fn assert_no_token_in(error: &Error) {
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}

#[tokio::test]
async fn a_form_is_fetched_by_id_with_the_bearer_token() {
    let form = test_form();
    let stub = Stub::start(vec![json_reply(200, form.clone())]).await;

    let text = client(&stub).fetch_form("6173057").await.unwrap();

    assert_eq!(text, form);
    let received = stub.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "GET");
    assert_eq!(received[0].uri.path(), "/api/v2/form/6173057.json");
    assert_eq!(
        received[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(received[0].header("accept"), Some("application/json"));
    // What was fetched is what the robot diagnoses.
    let d = Diagnosis::of_json(&text, Some("6173057")).unwrap();
    assert_eq!(d.cycle_fields, ["182971643", "182971644"]);
}

#[tokio::test]
async fn a_refused_token_says_which_setting_to_check() {
    for status in [401, 403] {
        let body = json!({"status": "error", "error": format!("invalid token {TOKEN}")});
        let stub = Stub::start(vec![json_reply(status, body.to_string())]).await;

        let error = client(&stub).fetch_form("6173057").await.unwrap_err();

        assert!(
            matches!(error, Error::FormstackRefused { status: s, .. } if s == status),
            "{error:?}"
        );
        assert!(
            error.to_string().starts_with(&format!(
                "Formstack refused the token ({status}): check CHAT_FORMSTACK_TOKEN"
            )),
            "{error}"
        );
        assert_no_token_in(&error);
    }
}

#[tokio::test]
async fn an_unknown_form_is_not_found_in_this_account() {
    let body = json!({"status": "error", "error": "The form was not found"});
    let stub = Stub::start(vec![json_reply(404, body.to_string())]).await;

    let error = client(&stub).fetch_form("5375703").await.unwrap_err();

    assert_eq!(
        error.to_string(),
        "form 5375703 not found in this Formstack account"
    );
}

#[tokio::test]
async fn a_rate_limit_says_when_to_retry() {
    let stub = Stub::start(vec![Reply::Status(
        429,
        vec![("retry-after", "30"), ("content-type", "application/json")],
        "{}".into(),
    )])
    .await;

    let error = client(&stub).fetch_form("6173057").await.unwrap_err();

    assert!(matches!(
        error,
        Error::FormstackRateLimited {
            retry_after: Some(d)
        } if d == Duration::from_secs(30)
    ));
    assert_eq!(error.to_string(), "Formstack rate limit; retry after 30s");
    assert_eq!(
        stub.received().len(),
        1,
        "no retry of its own: a person is waiting"
    );

    let no_hint = Stub::start(vec![Reply::Status(429, vec![], String::new())]).await;
    let error = client(&no_hint).fetch_form("6173057").await.unwrap_err();
    assert_eq!(error.to_string(), "Formstack rate limit; retry in a minute");
}

#[tokio::test]
async fn server_errors_and_other_statuses_are_told_apart() {
    let stub = Stub::start(vec![Reply::Status(503, vec![], "busy".into())]).await;
    let error = client(&stub).fetch_form("6173057").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Formstack is failing (503); try again in a few minutes"
    );

    let moved = Stub::start(vec![Reply::Status(
        301,
        vec![("location", "https://elsewhere.example/")],
        String::new(),
    )])
    .await;
    let error = client(&moved).fetch_form("6173057").await.unwrap_err();
    assert!(matches!(
        error,
        Error::FormstackRejected { status: 301, .. }
    ));
    assert!(error.to_string().contains("CHAT_FORMSTACK_BASE_URL"));
    assert_eq!(moved.received().len(), 1, "the redirect is not followed");
}

#[tokio::test]
async fn a_slow_answer_times_out_with_the_configured_limit() {
    let stub = Stub::start(vec![Reply::Stall]).await;
    let client = FormstackClient::new(FormstackConfig {
        timeout: Duration::from_millis(300),
        ..config(&stub)
    })
    .unwrap();
    let started = Instant::now();

    let error = client.fetch_form("6173057").await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(error, Error::FormstackTimeout { .. }), "{error:?}");
    assert_eq!(error.to_string(), "Formstack did not answer within 300 ms");
}

/// A server whose `/api/v2/form/{id}.json` answers 200 JSON with `chunks` and then,
/// when `stall`, keeps the body open without another byte. No `Content-Length`: the
/// body is chunked, as a streamed answer would be.
async fn streaming_server(chunks: Vec<String>, stall: bool) -> String {
    use axum::{Router, body::Body, response::Response};
    use futures::{StreamExt, stream};

    let app = Router::new().fallback(move || {
        let chunks = chunks.clone();
        async move {
            let body = stream::iter(chunks.into_iter().map(Ok::<_, std::convert::Infallible>));
            let body = if stall {
                body.chain(stream::pending()).boxed()
            } else {
                body.boxed()
            };
            Response::builder()
                .header("content-type", "application/json")
                .body(Body::from_stream(body))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v2", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn a_body_that_stops_arriving_times_out_too() {
    let base_url = streaming_server(vec!["{\"id\": \"6173057\", ".into()], true).await;
    let client = FormstackClient::new(FormstackConfig {
        base_url,
        token: Some(TokenSource::Direct(ApiKey::new(TOKEN))),
        timeout: Duration::from_millis(300),
        ..FormstackConfig::default()
    })
    .unwrap();
    let started = Instant::now();

    let error = client.fetch_form("6173057").await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(error, Error::FormstackTimeout { .. }), "{error:?}");
}

#[tokio::test]
async fn a_streamed_answer_is_cut_off_at_the_size_cap() {
    let chunk = format!("\"{}\",", "x".repeat(1024));
    let base_url = streaming_server(vec![chunk; 64], false).await;
    let client = FormstackClient::new(FormstackConfig {
        base_url,
        token: Some(TokenSource::Direct(ApiKey::new(TOKEN))),
        max_response_bytes: 16 * 1024,
        ..FormstackConfig::default()
    })
    .unwrap();

    let error = client.fetch_form("6173057").await.unwrap_err();

    assert!(
        matches!(error, Error::FormstackTooLarge { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_answer_declared_over_the_size_cap_is_abandoned() {
    let big = format!("{{\"fields\": [], \"pad\": \"{}\"}}", "x".repeat(64 * 1024));
    let stub = Stub::start(vec![json_reply(200, big)]).await;
    let client = FormstackClient::new(FormstackConfig {
        max_response_bytes: 16 * 1024,
        ..config(&stub)
    })
    .unwrap();

    let error = client.fetch_form("6173057").await.unwrap_err();

    assert!(
        matches!(error, Error::FormstackTooLarge { limit, .. } if limit == 16 * 1024),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "Formstack's answer for form 6173057 is over the 16 KiB limit"
    );
}

#[tokio::test]
async fn an_html_page_is_not_taken_for_a_form() {
    let stub = Stub::start(vec![Reply::Status(
        200,
        vec![("content-type", "text/html; charset=utf-8")],
        "<html>Log in</html>".into(),
    )])
    .await;

    let error = client(&stub).fetch_form("6173057").await.unwrap_err();

    assert_eq!(
        error.to_string(),
        "Formstack's answer could not be read: it is text/html; charset=utf-8, not JSON: \
         check CHAT_FORMSTACK_BASE_URL"
    );
}

#[tokio::test]
async fn a_form_id_that_is_not_digits_is_refused_before_any_request() {
    let stub = Stub::start(vec![json_reply(200, test_form())]).await;
    let client = client(&stub);

    for bad in [
        "",
        "abc",
        "53757o3",
        "1/../../me",
        "5375703.json",
        "-5",
        "1 2",
    ] {
        let error = client.fetch_form(bad).await.unwrap_err();
        assert!(
            matches!(error, Error::InvalidFormId(_)),
            "{bad:?}: {error:?}"
        );
    }
    let error = client.fetch_form("12a").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "\"12a\" is not a Formstack form id: form ids are digits only, like 5375703"
    );
    assert!(stub.received().is_empty(), "no request was made");
}

#[tokio::test]
async fn without_a_token_asking_by_id_is_not_configured() {
    let stub = Stub::start(vec![json_reply(200, test_form())]).await;
    let client = FormstackClient::new(FormstackConfig {
        token: None,
        ..config(&stub)
    })
    .unwrap();

    assert!(!client.is_configured());
    let error = client.fetch_form("6173057").await.unwrap_err();

    assert!(matches!(error, Error::FormstackNotConfigured));
    assert!(
        error
            .to_string()
            .starts_with("Formstack is not configured: set CHAT_FORMSTACK_TOKEN")
    );
    assert!(stub.received().is_empty());
}

#[tokio::test]
async fn a_refused_connection_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = FormstackClient::new(FormstackConfig {
        base_url: format!("http://{address}/api/v2"),
        token: Some(TokenSource::Direct(ApiKey::new(TOKEN))),
        ..FormstackConfig::default()
    })
    .unwrap();

    let error = client.fetch_form("6173057").await.unwrap_err();

    assert!(
        matches!(error, Error::FormstackUnreachable { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "could not reach Formstack at 127.0.0.1: the connection failed"
    );
    assert_no_token_in(&error);
}

#[tokio::test]
async fn a_named_token_is_read_once_through_the_secrets_extension() {
    let formstack = Stub::start(vec![json_reply(200, test_form())]).await;
    let secret = json!({"Name": "istackbuddy/formstack", "SecretString": TOKEN});
    let extension = Stub::start(vec![Reply::Status(200, vec![], secret.to_string())]).await;
    let client = FormstackClient::new(FormstackConfig {
        token: Some(TokenSource::Named(SecretSource::SecretsManager(
            "istackbuddy/formstack".into(),
        ))),
        extension_endpoint: extension.url.clone(),
        session_token: Some(ApiKey::new("session-token")),
        ..config(&formstack)
    })
    .unwrap();

    client.fetch_form("6173057").await.unwrap();
    client.fetch_form("6173057").await.unwrap();

    let asked = extension.received();
    assert_eq!(asked.len(), 1, "the token is kept after the first read");
    assert_eq!(asked[0].uri.path(), "/secretsmanager/get");
    assert_eq!(
        asked[0].header("x-aws-parameters-secrets-token"),
        Some("session-token")
    );
    for request in formstack.received() {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

#[tokio::test]
async fn configuration_comes_from_the_environment_names() {
    let stub = Stub::start(vec![json_reply(200, test_form())]).await;
    let base = format!("{}/api/v2", stub.url);
    let config = FormstackConfig::from_lookup(|name| match name {
        "CHAT_FORMSTACK_BASE_URL" => Some(base.clone()),
        "CHAT_FORMSTACK_TOKEN" => Some(TOKEN.to_owned()),
        "CHAT_FORMSTACK_TIMEOUT_SECONDS" => Some("7".to_owned()),
        _ => None,
    })
    .unwrap();
    assert_eq!(config.timeout, Duration::from_secs(7));

    let text = FormstackClient::new(config)
        .unwrap()
        .fetch_form("6173057")
        .await
        .unwrap();

    assert!(text.contains("calculations_basic"));
}
