//! fn-admin-api from API Gateway (payload v2) events: the fixture in
//! `tests/fixtures/http-admin-users.json` and requests built on it.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use chat_core::model::Role;
use chat_core::protocol::http::LoginRequest;
use chat_core::testkit::harness::{T1, T3, TestApp};
use chat_http::testkit::{fixture, json, refusal, request, token, with_token};
use serde_json::{Value, json};

/// Ada administers; Bob is a plain employee.
async fn office() -> TestApp {
    let t = TestApp::new();
    t.employee("ada", T3, &[Role::Admin]).await;
    t.employee("bob", T1, &[]).await;
    t
}

async fn call(t: &TestApp, user: &str, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    let token = token(&t.app, user).await;
    fn_admin_api::handle(&t.app, with_token(req, &token)).await
}

fn add_user(body: &Value) -> ApiGatewayV2httpRequest {
    let mut req = fixture("http-admin-users.json");
    req.body = Some(body.to_string());
    req
}

fn patch_user(id: &str, body: &str) -> ApiGatewayV2httpRequest {
    request(Method::PATCH, &format!("/admin/users/{id}"), Some(body))
}

async fn user_id(t: &TestApp, username: &str) -> String {
    t.app
        .find_account(username)
        .await
        .unwrap()
        .identity
        .user_id
        .to_string()
}

#[tokio::test]
async fn admin_users_fixture_adds_an_employee_who_can_log_in() {
    let t = office().await;
    let resp = call(&t, "ada", fixture("http-admin-users.json")).await;
    assert_eq!(resp.status_code, 200, "{:?}", resp.body);
    let identity = json(&resp)["identity"].clone();
    assert_eq!(identity["username"], "dora");
    assert_eq!(identity["kind"], "employee");
    assert_eq!(identity["tier"], "T2");
    assert_eq!(identity["roles"], json!(["supervisor"]));
    assert_eq!(identity["displayName"], "Dora");
    let login = t
        .app
        .login(
            &LoginRequest {
                username: "dora".into(),
                password: "dora-pass-1".into(),
            },
            "192.0.2.1",
        )
        .await;
    assert!(login.is_ok());

    let again = call(&t, "ada", fixture("http-admin-users.json")).await;
    assert_eq!(refusal(&again), (409, "conflict".into()));
}

#[tokio::test]
async fn only_employee_accounts_are_created_here() {
    let t = office().await;
    let base = json!({"username": "gus", "password": "gus-pass-1", "tier": "T1", "roles": [], "displayName": "Gus"});
    for kind in ["guest", "robot", ""] {
        let mut body = base.clone();
        body["kind"] = json!(kind);
        let resp = call(&t, "ada", add_user(&body)).await;
        assert_eq!(refusal(&resp), (400, "bad_request".into()), "kind {kind:?}");
    }
    // Without a kind the account is an employee, as the protocol's only kind.
    assert_eq!(call(&t, "ada", add_user(&base)).await.status_code, 200);
    for bad in [
        json!({"username": "x y", "password": "long-enough", "tier": "T1", "displayName": "X"}),
        json!({"username": "hal", "password": "short", "tier": "T1", "displayName": "Hal"}),
        json!({"username": "hal", "password": "long-enough", "tier": "T7", "displayName": "Hal"}),
        json!({"username": "hal", "password": "long-enough", "displayName": "Hal"}),
    ] {
        let resp = call(&t, "ada", add_user(&bad)).await;
        assert_eq!(refusal(&resp), (400, "bad_request".into()), "{bad}");
    }
}

#[tokio::test]
async fn the_list_shows_every_account_with_its_identity() {
    let t = office().await;
    let resp = call(&t, "ada", request(Method::GET, "/admin/users", None)).await;
    assert_eq!(resp.status_code, 200);
    let mut names: Vec<String> = json(&resp)["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["ada", "bob"]);
}

#[tokio::test]
async fn a_patch_changes_identity_and_disabling_stops_logins() {
    let t = office().await;
    let bob = user_id(&t, "bob").await;
    let resp = call(
        &t,
        "ada",
        patch_user(&bob, r#"{"tier":"T3","roles":["supervisor"]}"#),
    )
    .await;
    assert_eq!(resp.status_code, 200, "{:?}", resp.body);
    let identity = json(&resp)["identity"].clone();
    assert_eq!(
        (&identity["tier"], &identity["roles"]),
        (&json!("T3"), &json!(["supervisor"]))
    );

    let bobs_token = token(&t.app, "bob").await;
    let resp = call(&t, "ada", patch_user(&bob, r#"{"enabled":false}"#)).await;
    assert_eq!(resp.status_code, 200);
    let me = fn_admin_api::handle(
        &t.app,
        with_token(request(Method::GET, "/admin/users", None), &bobs_token),
    )
    .await;
    assert_eq!(refusal(&me), (401, "unauthorized".into()));
    let login = t
        .app
        .login(
            &LoginRequest {
                username: "bob".into(),
                password: "bob-pass".into(),
            },
            "192.0.2.1",
        )
        .await;
    assert!(login.is_err());
}

#[tokio::test]
async fn bad_patches_and_unknown_users_are_refused() {
    let t = office().await;
    let bob = user_id(&t, "bob").await;
    let ada = user_id(&t, "ada").await;
    for (id, body, expected) in [
        (
            bob.as_str(),
            r#"{"displayName":"Robert"}"#,
            (400, "bad_request"),
        ),
        (bob.as_str(), "", (400, "bad_request")),
        ("usr_nobody", r#"{"enabled":false}"#, (404, "not_found")),
        ("a%5Cb", r#"{"enabled":false}"#, (404, "not_found")),
        // Locking yourself out needs another admin (or the CLI) to undo.
        (ada.as_str(), r#"{"enabled":false}"#, (409, "conflict")),
    ] {
        let resp = call(&t, "ada", patch_user(id, body)).await;
        assert_eq!(
            refusal(&resp),
            (expected.0, expected.1.to_string()),
            "{id} {body}"
        );
    }
}

#[tokio::test]
async fn only_admins_reach_the_routes_and_before_their_bodies_are_read() {
    let t = office().await;
    let bob = user_id(&t, "bob").await;
    let requests = || {
        [
            fixture("http-admin-users.json"),
            request(Method::POST, "/admin/users", Some("{garbage")),
            request(Method::GET, "/admin/users", None),
            patch_user(&bob, r#"{"roles":["admin"]}"#),
        ]
    };
    for req in requests() {
        let resp = call(&t, "bob", req).await;
        assert_eq!(refusal(&resp), (403, "forbidden".into()));
    }
    for req in requests() {
        let resp = fn_admin_api::handle(&t.app, req).await;
        assert_eq!(refusal(&resp), (401, "unauthorized".into()));
    }
    let wrong = call(
        &t,
        "ada",
        request(Method::DELETE, &format!("/admin/users/{bob}"), None),
    )
    .await;
    assert_eq!(refusal(&wrong), (404, "not_found".into()));
}
