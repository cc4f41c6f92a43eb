//! fn-auth from API Gateway (payload v2) event fixtures in `tests/fixtures/`.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::http::Method;
use aws_lambda_events::query_map::QueryMap;
use base64::Engine;
use chat_core::testkit::harness::{T1, T2, TestApp};
use chat_http::testkit::{error_code, fixture, invited_room, json, refusal, request, with_token};
use std::collections::HashMap;

async fn login(t: &TestApp, user: &str) -> String {
    let mut req = fixture("http-login.json");
    req.body = Some(format!(
        r#"{{"username":"{user}","password":"{user}-pass"}}"#
    ));
    let resp = fn_auth::handle(&t.app, req).await;
    assert_eq!(resp.status_code, 200, "{:?}", resp.body);
    json(&resp)["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn login_fixture_returns_a_token_and_the_identity() {
    let t = TestApp::new();
    t.employee("alice", T1, &[]).await;
    let resp = fn_auth::handle(&t.app, fixture("http-login.json")).await;
    assert_eq!(resp.status_code, 200);
    assert_eq!(resp.headers["content-type"], "application/json");
    assert_eq!(resp.headers["cache-control"], "no-store");
    let body = json(&resp);
    assert!(
        body["token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    assert!(body["expiresAt"].is_string());
    assert_eq!(body["identity"]["username"], "alice");
    assert_eq!(body["identity"]["kind"], "employee");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let t = TestApp::new();
    t.employee("alice", T1, &[]).await;
    let mut wrong = fixture("http-login.json");
    wrong.body = Some(r#"{"username":"alice","password":"nope-nope"}"#.into());
    let mut unknown = fixture("http-login.json");
    unknown.body = Some(r#"{"username":"mallory","password":"alice-pass"}"#.into());
    let a = fn_auth::handle(&t.app, wrong).await;
    let b = fn_auth::handle(&t.app, unknown).await;
    assert_eq!((a.status_code, b.status_code), (401, 401));
    assert_eq!(json(&a), json(&b));
    assert_eq!(error_code(&a), "unauthorized");
}

#[tokio::test]
async fn malformed_or_missing_bodies_are_bad_requests() {
    let t = TestApp::new();
    for body in [
        Some("{not json"),
        Some(""),
        None,
        Some(r#"{"username":"alice"}"#),
    ] {
        let resp = fn_auth::handle(&t.app, request(Method::POST, "/auth/login", body)).await;
        assert_eq!(resp.status_code, 400, "{body:?}");
        assert_eq!(error_code(&resp), "bad_request");
    }
}

#[tokio::test]
async fn a_base64_encoded_body_is_decoded() {
    let t = TestApp::new();
    t.employee("alice", T1, &[]).await;
    let mut req = fixture("http-login.json");
    let raw = req.body.take().unwrap();
    req.body = Some(base64::engine::general_purpose::STANDARD.encode(raw));
    req.is_base64_encoded = true;
    assert_eq!(fn_auth::handle(&t.app, req).await.status_code, 200);
}

#[tokio::test]
async fn me_needs_a_valid_bearer_token() {
    let t = TestApp::new();
    t.employee("alice", T1, &[]).await;
    let token = login(&t, "alice").await;

    let ok = fn_auth::handle(&t.app, with_token(fixture("http-me.json"), &token)).await;
    assert_eq!(ok.status_code, 200);
    let me = json(&ok);
    assert_eq!(me["identity"]["username"], "alice");
    assert_eq!(me["profile"]["displayName"], "ALICE");

    let placeholder = fn_auth::handle(&t.app, fixture("http-me.json")).await;
    assert_eq!(placeholder.status_code, 401);
    let mut anonymous = fixture("http-me.json");
    anonymous.headers.remove("authorization");
    let resp = fn_auth::handle(&t.app, anonymous).await;
    assert_eq!(
        (resp.status_code, error_code(&resp).as_str()),
        (401, "unauthorized")
    );
}

#[tokio::test]
async fn profile_patch_changes_the_display_name_only_for_the_caller() {
    let t = TestApp::new();
    t.employee("alice", T1, &[]).await;
    let token = login(&t, "alice").await;
    let req = with_token(
        request(
            Method::PATCH,
            "/me/profile",
            Some(r#"{"displayName":"Alice A."}"#),
        ),
        &token,
    );
    let resp = fn_auth::handle(&t.app, req).await;
    assert_eq!(resp.status_code, 200, "{:?}", resp.body);
    assert_eq!(json(&resp)["profile"]["displayName"], "Alice A.");

    let me = fn_auth::handle(&t.app, with_token(fixture("http-me.json"), &token)).await;
    assert_eq!(json(&me)["identity"]["displayName"], "Alice A.");

    // Identity fields are not part of a profile patch.
    let sneaky = with_token(
        request(Method::PATCH, "/me/profile", Some(r#"{"tier":"T3"}"#)),
        &token,
    );
    assert_eq!(fn_auth::handle(&t.app, sneaky).await.status_code, 400);
    // Anonymous callers are refused before their body is read.
    let anonymous = request(Method::PATCH, "/me/profile", Some("{garbage"));
    assert_eq!(fn_auth::handle(&t.app, anonymous).await.status_code, 401);
}

#[tokio::test]
async fn users_lists_employees_filtered_by_online() {
    let t = TestApp::new();
    t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    t.connect(&bob).await;
    let token = login(&t, "alice").await;

    let offline =
        json(&fn_auth::handle(&t.app, with_token(fixture("http-users.json"), &token)).await);
    let names: Vec<&str> = offline["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["ALICE"]);

    let mut all = with_token(fixture("http-users.json"), &token);
    all.query_string_parameters = QueryMap::default();
    let all = json(&fn_auth::handle(&t.app, all).await);
    assert_eq!(all["users"].as_array().unwrap().len(), 2);
    assert!(
        all["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["kind"] == "employee")
    );

    let mut bad = with_token(fixture("http-users.json"), &token);
    bad.query_string_parameters =
        QueryMap::from(HashMap::from([("online".to_string(), "maybe".to_string())]));
    assert_eq!(fn_auth::handle(&t.app, bad).await.status_code, 400);
}

#[tokio::test]
async fn a_ws_ticket_is_issued_to_a_bearer() {
    let t = TestApp::new();
    t.employee("alice", T1, &[]).await;
    let token = login(&t, "alice").await;
    let resp = fn_auth::handle(
        &t.app,
        with_token(request(Method::POST, "/auth/ws-ticket", None), &token),
    )
    .await;
    assert_eq!(resp.status_code, 200);
    let body = json(&resp);
    // 32 random bytes in hex, then the token version it was minted under.
    let ticket = body["ticket"].as_str().expect("a ticket");
    let (secret, version) = ticket.rsplit_once('.').expect("secret.version");
    assert_eq!((secret.len(), version), (64, "0"), "{ticket}");
    assert!(body["expiresAt"].is_string());
    let anonymous = fn_auth::handle(&t.app, request(Method::POST, "/auth/ws-ticket", None)).await;
    assert_eq!(anonymous.status_code, 401);
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_not_found_with_an_error_body() {
    let t = TestApp::new();
    let unknown = fn_auth::handle(&t.app, request(Method::GET, "/nowhere", None)).await;
    assert_eq!(
        (unknown.status_code, error_code(&unknown).as_str()),
        (404, "not_found")
    );
    let wrong = fn_auth::handle(&t.app, request(Method::GET, "/auth/login", None)).await;
    assert_eq!(
        (wrong.status_code, error_code(&wrong).as_str()),
        (404, "not_found")
    );
    let health = fn_auth::handle(&t.app, request(Method::GET, "/healthz", None)).await;
    assert_eq!(
        (health.status_code, json(&health)["status"].as_str()),
        (200, Some("ok"))
    );
}

/// Alice opens a solo room and invites a guest: `(room id, invite code)`.
async fn invitation(t: &TestApp) -> (String, String) {
    let alice = t.employee("alice", T1, &[]).await;
    let conn = t.connect(&alice).await;
    invited_room(t, &conn).await
}

fn guest_login(code: &str) -> ApiGatewayV2httpRequest {
    let mut req = fixture("http-guest-login.json");
    let body = req.body.take().unwrap();
    req.body = Some(body.replace("REPLACE_WITH_INVITE_CODE", code));
    req
}

#[tokio::test]
async fn guest_login_fixture_redeems_an_invite_for_a_room_scoped_guest_token() {
    let t = TestApp::new();
    let (room, code) = invitation(&t).await;
    let resp = fn_auth::handle(&t.app, guest_login(&code)).await;
    assert_eq!(resp.status_code, 200, "{:?}", resp.body);
    assert_eq!(resp.headers["cache-control"], "no-store");
    let body = json(&resp);
    assert_eq!(body["roomId"], room.as_str());
    assert_eq!(body["identity"]["kind"], "guest");
    assert_eq!(body["identity"]["displayName"], "Casey (customer)");
    assert!(body["expiresAt"].is_string());

    let token = body["token"].as_str().unwrap();
    let me = fn_auth::handle(&t.app, with_token(fixture("http-me.json"), token)).await;
    assert_eq!(json(&me)["identity"]["kind"], "guest");
    // Guests are never in the employee directory, nor may they read it.
    let users = fn_auth::handle(&t.app, with_token(fixture("http-users.json"), token)).await;
    assert_eq!(users.status_code, 403);
}

#[tokio::test]
async fn an_invite_code_is_refused_the_second_time_after_expiry_and_when_unknown() {
    let t = TestApp::new();
    let (_, code) = invitation(&t).await;
    assert_eq!(
        fn_auth::handle(&t.app, guest_login(&code))
            .await
            .status_code,
        200
    );
    let again = fn_auth::handle(&t.app, guest_login(&code)).await;
    assert_eq!(refusal(&again), (401, "unauthorized".into()));

    let (_, late) = invitation(&TestApp::new()).await;
    let unknown = fn_auth::handle(&t.app, guest_login(&late)).await;
    assert_eq!(refusal(&unknown), (401, "unauthorized".into()));

    let t = TestApp::new();
    let (_, code) = invitation(&t).await;
    t.clock
        .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    let expired = fn_auth::handle(&t.app, guest_login(&code)).await;
    assert_eq!(refusal(&expired), (401, "unauthorized".into()));
}

#[tokio::test]
async fn a_guest_login_without_a_display_name_is_a_bad_request() {
    let t = TestApp::new();
    let (_, code) = invitation(&t).await;
    for body in [
        format!(r#"{{"inviteCode":"{code}"}}"#),
        format!(r#"{{"inviteCode":"{code}","displayName":"   "}}"#),
        "{}".to_string(),
    ] {
        let resp = fn_auth::handle(&t.app, request(Method::POST, "/auth/guest", Some(&body))).await;
        assert_eq!(refusal(&resp), (400, "bad_request".into()), "{body}");
    }
    // The code was not spent by the refused attempts.
    assert_eq!(
        fn_auth::handle(&t.app, guest_login(&code))
            .await
            .status_code,
        200
    );
}

/// The real `bootstrap` process, started as Lambda would start it but with its
/// configuration incomplete: it must refuse to start and name what is missing, rather
/// than run on some default. Every function's `main` is the same `chat_wiring::lambda::run`.
#[test]
fn the_binary_refuses_to_start_with_incomplete_configuration_and_names_the_variables() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fn-auth"));
        cmd.env_clear()
            // Where a runtime API would be; the process must stop before using it.
            .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
            .env("AWS_LAMBDA_FUNCTION_NAME", "fn-auth")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("start the fn-auth binary");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };

    let (ok, text) = run(&[]);
    assert!(!ok, "started without any configuration:\n{text}");
    for name in [
        "CHAT_JWT_PUBLIC_KEYS",
        "CHAT_JWT_SIGNING_KEY",
        "CHAT_WS_MANAGEMENT_ENDPOINT",
        "CHAT_TABLE",
        "CHAT_JOBS_QUEUE_URL",
        "CHAT_BUCKET",
    ] {
        assert!(
            text.contains(name),
            "the refusal should name {name}:\n{text}"
        );
    }

    // Everything but the queue: exactly that one is named.
    let (ok, text) = run(&[
        ("CHAT_JWT_PUBLIC_KEYS", "checked-for-presence-first"),
        ("CHAT_JWT_SIGNING_KEY", "checked-for-presence-first"),
        ("CHAT_WS_MANAGEMENT_ENDPOINT", "https://api.example/dev"),
        ("CHAT_TABLE", "chat"),
        ("CHAT_BUCKET", "files"),
    ]);
    assert!(!ok, "started without a queue:\n{text}");
    assert!(text.contains("CHAT_JOBS_QUEUE_URL is not set"), "{text}");
    assert!(!text.contains("CHAT_TABLE"), "{text}");

    // Asking for the embedded backend is refused by name, not silently honoured.
    let (ok, text) = run(&[("CHAT_BACKEND", "embedded")]);
    assert!(!ok && text.contains("CHAT_BACKEND"), "{text}");
}

/// A login request for `user` with `password`, from `source`.
fn login_from(user: &str, password: &str, source: &str) -> ApiGatewayV2httpRequest {
    let mut req = fixture("http-login.json");
    req.body = Some(format!(
        r#"{{"username":"{user}","password":"{password}"}}"#
    ));
    req.request_context.http.source_ip = Some(source.to_string());
    req
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after_and_the_owner_still_logs_in() {
    let t = TestApp::new();
    t.employee("alice", T1, &[]).await;
    let attacker = "203.0.113.66";
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let resp = fn_auth::handle(&t.app, login_from("alice", "guess", attacker)).await;
        statuses.push(resp.status_code);
    }
    // Five free failures, the sixth starts the delays; from then on 429 (no hash is
    // even computed) until the wait is over.
    assert_eq!(statuses[..6], [401; 6], "{statuses:?}");
    assert_eq!(statuses[6..], [429, 429], "{statuses:?}");
    let refused = fn_auth::handle(&t.app, login_from("alice", "alice-pass", attacker)).await;
    assert_eq!(refused.status_code, 429, "even the right password waits");
    assert_eq!(error_code(&refused), "rate_limited");
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");

    // The owner, from their own address, is not locked out.
    let owner = fn_auth::handle(&t.app, login_from("alice", "alice-pass", "198.51.100.7")).await;
    assert_eq!(owner.status_code, 200, "{:?}", owner.body);
}
