//! Helpers for the HTTP functions' handler tests (feature `testkit`): events from the
//! JSON fixtures in `tests/fixtures/`, bearer tokens, and reading responses.

use std::collections::HashMap;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderValue, Method};
use aws_lambda_events::query_map::QueryMap;
use chat_core::App;
use chat_core::ids::ConnectionId;
use chat_core::protocol::http::LoginRequest;
use chat_core::testkit::harness::TestApp;
use serde_json::{Value, json};

/// An API Gateway event from `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> ApiGatewayV2httpRequest {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An anonymous event for `method` on `path_and_query` (`/x?a=1&b=2`, values taken
/// literally), built on the `http-me.json` fixture.
pub fn request(
    method: Method,
    path_and_query: &str,
    body: Option<&str>,
) -> ApiGatewayV2httpRequest {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut req = fixture("http-me.json");
    req.headers.remove("authorization");
    req.raw_path = Some(path.into());
    req.request_context.http.method = method;
    req.request_context.http.path = Some(path.into());
    let mut params: HashMap<String, Vec<String>> = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params.entry(k.to_string()).or_default().push(v.to_string());
    }
    req.raw_query_string = Some(query.into());
    req.query_string_parameters = QueryMap::from(params);
    req.body = body.map(String::from);
    req
}

/// `req` with `Authorization: Bearer <token>`.
pub fn with_token(mut req: ApiGatewayV2httpRequest, token: &str) -> ApiGatewayV2httpRequest {
    req.headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("a header-safe token"),
    );
    req
}

/// A token for a test user whose password is `<username>-pass` (the core testkit's
/// convention).
pub async fn token(app: &App, username: &str) -> String {
    app.login(
        &LoginRequest {
            username: username.into(),
            password: format!("{username}-pass"),
        },
        "192.0.2.1",
    )
    .await
    .unwrap_or_else(|e| panic!("login {username}: {e}"))
    .token
}

/// The JSON body of a response.
pub fn json(resp: &ApiGatewayV2httpResponse) -> Value {
    match &resp.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap_or_else(|e| panic!("{e}: {t}")),
        other => panic!("expected a text body, got {other:?}"),
    }
}

/// The protocol error code of a response (`""` if it has none).
pub fn error_code(resp: &ApiGatewayV2httpResponse) -> String {
    json(resp)["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// `(status, error code)` — what a refusal test compares.
pub fn refusal(resp: &ApiGatewayV2httpResponse) -> (i64, String) {
    (resp.status_code, error_code(resp))
}

/// The employee connected as `conn` opens a solo room on a new issue and invites a
/// guest: `(room id, invite code)`.
pub async fn invited_room(t: &TestApp, conn: &ConnectionId) -> (String, String) {
    let text = |v: &Value| v.as_str().expect("a string").to_string();
    let created = t
        .ok(
            conn,
            "room.create",
            json!({"kind": "solo", "title": "Form help", "issue": {"title": "Hidden fields"}}),
        )
        .await;
    let room = text(&created["room"]["id"]);
    let invite = t
        .ok(conn, "room.inviteGuest", json!({"roomId": room}))
        .await;
    (room, text(&invite["inviteCode"]))
}
