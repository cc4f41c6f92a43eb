//! fn-ws-connect from `$connect` event fixtures in `tests/fixtures/`.

use std::collections::HashMap;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use aws_lambda_events::query_map::QueryMap;
use chat_core::ids::ConnectionId;
use chat_core::model::UserRecord;
use chat_core::testkit::harness::{T1, TestApp};

const FIXTURE_CONNECTION: &str = "Lx7mQdNvIAMCJbA=";

fn fixture() -> ApiGatewayWebsocketProxyRequest {
    let path = format!(
        "{}/../../tests/fixtures/ws-connect.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fixture with `Authorization` set to `value` (or removed), in both header maps.
fn with_authorization(
    mut req: ApiGatewayWebsocketProxyRequest,
    value: Option<&str>,
) -> ApiGatewayWebsocketProxyRequest {
    for map in [&mut req.headers, &mut req.multi_value_headers] {
        map.remove("authorization");
        if let Some(v) = value {
            map.insert("authorization", HeaderValue::from_str(v).unwrap());
        }
    }
    req
}

async fn bearer(t: &TestApp, user: &UserRecord) -> String {
    let resp = t
        .app
        .login(
            &chat_core::protocol::http::LoginRequest {
                username: user.identity.username.clone(),
                password: format!("{}-pass", user.identity.username),
            },
            "192.0.2.1",
        )
        .await
        .unwrap();
    format!("Bearer {}", resp.token)
}

fn error_code(resp: &ApiGatewayProxyResponse) -> String {
    match &resp.body {
        Some(Body::Text(t)) => {
            serde_json::from_str::<serde_json::Value>(t).unwrap()["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
        other => panic!("expected an error body, got {other:?}"),
    }
}

async fn is_connected(t: &TestApp, id: &str) -> bool {
    t.store
        .connection(&ConnectionId::parse(id).unwrap())
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn a_valid_bearer_token_opens_the_connection() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let req = with_authorization(fixture(), Some(&bearer(&t, &alice).await));
    let resp = fn_ws_connect::handle(&t.app, req).await;
    assert_eq!(resp.status_code, 200, "{:?}", resp.body);
    assert!(is_connected(&t, FIXTURE_CONNECTION).await);
}

#[tokio::test]
async fn the_authorization_header_name_is_case_insensitive_and_may_be_multi_value_only() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let token = bearer(&t, &alice).await;
    // Deserialized from a differently cased name.
    let raw = serde_json::to_string(&fixture())
        .unwrap()
        .replace("REPLACE_WITH_TOKEN", token.trim_start_matches("Bearer "));
    let raw = raw.replace("\"authorization\"", "\"AUTHORIZATION\"");
    let req: ApiGatewayWebsocketProxyRequest = serde_json::from_str(&raw).unwrap();
    assert_eq!(fn_ws_connect::handle(&t.app, req).await.status_code, 200);

    let mut only_multi = with_authorization(fixture(), Some(&token));
    only_multi.headers = HeaderMap::new();
    only_multi.request_context.connection_id = Some("second".into());
    assert_eq!(
        fn_ws_connect::handle(&t.app, only_multi).await.status_code,
        200
    );
}

#[tokio::test]
async fn missing_and_forged_tokens_are_refused_with_401() {
    let t = TestApp::new();
    t.employee("alice", T1, &[]).await;
    for auth in [
        None,
        Some("Bearer x.y.z"),
        Some("Basic YWxpY2U6YWxpY2UtcGFzcw=="),
        Some("Bearer REPLACE_WITH_TOKEN"),
    ] {
        let resp = fn_ws_connect::handle(&t.app, with_authorization(fixture(), auth)).await;
        assert_eq!(resp.status_code, 401, "{auth:?}");
        assert_eq!(error_code(&resp), "unauthorized");
    }
    assert!(!is_connected(&t, FIXTURE_CONNECTION).await);
}

#[tokio::test]
async fn a_foreign_origin_is_refused_with_403_even_with_a_good_token() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let mut req = with_authorization(fixture(), Some(&bearer(&t, &alice).await));
    req.headers
        .insert("origin", HeaderValue::from_static("https://evil.example"));
    req.multi_value_headers.remove("origin");
    let resp = fn_ws_connect::handle(&t.app, req).await;
    assert_eq!(
        (resp.status_code, error_code(&resp).as_str()),
        (403, "forbidden")
    );
    assert!(!is_connected(&t, FIXTURE_CONNECTION).await);
}

#[tokio::test]
async fn a_ticket_opens_one_connection_only() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ticket = t.app.issue_ws_ticket(&alice.identity).await.unwrap().ticket;
    let with_ticket = |conn: &str| {
        let mut req = with_authorization(fixture(), None);
        req.query_string_parameters =
            QueryMap::from(HashMap::from([("ticket".to_string(), ticket.clone())]));
        req.request_context.connection_id = Some(conn.into());
        req
    };
    assert_eq!(
        fn_ws_connect::handle(&t.app, with_ticket("first"))
            .await
            .status_code,
        200
    );
    let again = fn_ws_connect::handle(&t.app, with_ticket("second")).await;
    assert_eq!(again.status_code, 401);
    assert!(is_connected(&t, "first").await && !is_connected(&t, "second").await);
}

#[tokio::test]
async fn an_event_without_a_connection_id_is_a_bad_request() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let mut req = with_authorization(fixture(), Some(&bearer(&t, &alice).await));
    req.request_context.connection_id = None;
    assert_eq!(fn_ws_connect::handle(&t.app, req).await.status_code, 400);
}
