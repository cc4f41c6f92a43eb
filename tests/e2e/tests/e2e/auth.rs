//! HTTP authentication: `POST /auth/login` failures and `GET /me` (PROTOCOL §2).

use chat_e2e::TestServer;
use serde_json::{Value, json};

async fn login(server: &TestServer, body: Value) -> (u16, Value) {
    server.http("POST", "/auth/login", Some(body), None).await
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn a_demo_user_logs_in_and_gets_a_token_with_identity() {
    let server = TestServer::start().await;
    let (status, body) = login(
        &server,
        json!({"username": "alice", "password": "alice-pass"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3),
        "{body}"
    );
    assert!(body["expiresAt"].is_string(), "{body}");
    let identity = &body["identity"];
    assert_eq!(identity["username"], "alice");
    assert_eq!(identity["kind"], "employee");
    assert_eq!(identity["tier"], "T1");
    assert!(
        identity["userId"].is_string() && identity["displayName"].is_string(),
        "{identity}"
    );
    assert!(identity["roles"].is_array(), "{identity}");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let server = TestServer::start().await;
    let (s1, wrong_password) = login(
        &server,
        json!({"username": "alice", "password": "nope-nope"}),
    )
    .await;
    let (s2, unknown_user) = login(
        &server,
        json!({"username": "mallory", "password": "nope-nope"}),
    )
    .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(error_code(&wrong_password), "unauthorized");
    assert_eq!(
        wrong_password, unknown_user,
        "the two failures must be indistinguishable"
    );
}

#[tokio::test]
async fn another_users_password_does_not_log_in() {
    let server = TestServer::start().await;
    let (status, body) = login(
        &server,
        json!({"username": "alice", "password": "bob-pass"}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "unauthorized");
}

#[tokio::test]
async fn malformed_json_is_a_400_bad_request() {
    let server = TestServer::start().await;
    let (status, body) = server
        .http_raw("POST", "/auth/login", Some("{not json"), None)
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "bad_request");
}

#[tokio::test]
async fn missing_fields_are_a_400_bad_request() {
    let server = TestServer::start().await;
    for body in [
        json!({"username": "alice"}),
        json!({"password": "alice-pass"}),
        json!({}),
    ] {
        let (status, answer) = login(&server, body.clone()).await;
        assert_eq!(status, 400, "{body} gave {answer}");
        assert_eq!(error_code(&answer), "bad_request", "{body} gave {answer}");
    }
}

#[tokio::test]
async fn me_with_a_token_returns_identity_and_profile() {
    let server = TestServer::start().await;
    let token = server.login("sam").await;
    let (status, me) = server.http("GET", "/me", None, Some(&token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["identity"]["username"], "sam");
    assert_eq!(me["identity"]["tier"], "T2");
    assert!(
        me["identity"]["roles"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("supervisor"))),
        "{me}"
    );
    assert!(me["profile"]["displayName"].is_string(), "{me}");
}

#[tokio::test]
async fn me_without_a_token_is_401() {
    let server = TestServer::start().await;
    let (status, body) = server.http("GET", "/me", None, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "unauthorized");
}

#[tokio::test]
async fn me_with_a_garbage_or_forged_token_is_401() {
    let server = TestServer::start().await;
    let real = server.login("alice").await;
    let forged =
        chat_e2e::forge_claims(&chat_e2e::decode_claims(&real), server.signing_key().kid());
    for token in ["x.y.z", "garbage", forged.as_str()] {
        let (status, body) = server.http("GET", "/me", None, Some(token)).await;
        assert_eq!(status, 401, "{token}: {body}");
        assert_eq!(error_code(&body), "unauthorized");
    }
}

#[tokio::test]
async fn profile_changes_show_in_me() {
    let server = TestServer::start().await;
    let token = server.login("bob").await;
    let (status, body) = server
        .http(
            "PATCH",
            "/me/profile",
            Some(json!({"displayName": "Bobby"})),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["profile"]["displayName"], "Bobby");
    let (_, me) = server.http("GET", "/me", None, Some(&token)).await;
    assert_eq!(me["profile"]["displayName"], "Bobby");
    assert_eq!(
        me["identity"]["username"], "bob",
        "a profile edit never changes identity"
    );
}
