//! Sessions on the in-memory adapters: login, handshake checks, revocation, gone
//! connections, rate limits and malformed frames.

use chat_core::ErrorCode;
use chat_core::ids::ConnectionId;
use chat_core::model::Role;
use chat_core::protocol::http::LoginRequest;
use chat_core::service::admin::IdentityPatch;
use chat_core::service::session::Handshake;
use chat_core::testkit::harness::{T1, T2, TestApp, test_config};
use serde_json::json;

fn login(u: &str, p: &str) -> LoginRequest {
    LoginRequest {
        username: u.into(),
        password: p.into(),
    }
}

#[tokio::test]
async fn wrong_password_unknown_user_and_disabled_account_look_the_same() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    assert!(
        t.app
            .login(&login("alice", "alice-pass"), "192.0.2.1")
            .await
            .is_ok()
    );
    assert!(
        t.app
            .login(&login("ALICE", "alice-pass"), "192.0.2.1")
            .await
            .is_ok(),
        "usernames are case-insensitive"
    );
    let wrong = t
        .app
        .login(&login("alice", "nope"), "192.0.2.1")
        .await
        .unwrap_err();
    let unknown = t
        .app
        .login(&login("mallory", "alice-pass"), "192.0.2.1")
        .await
        .unwrap_err();
    t.app
        .update_identity(
            chat_core::service::audit::Actor::Operator,
            &alice.identity.user_id,
            IdentityPatch {
                enabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let disabled = t
        .app
        .login(&login("alice", "alice-pass"), "192.0.2.1")
        .await
        .unwrap_err();
    for e in [&wrong, &unknown, &disabled] {
        assert_eq!(e.code(), ErrorCode::Unauthorized);
        assert_eq!(e.to_body(), wrong.to_body());
    }
}

#[tokio::test]
async fn handshakes_without_valid_credentials_or_from_foreign_origins_are_refused() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let token = t
        .app
        .login(&login("alice", "alice-pass"), "192.0.2.1")
        .await
        .unwrap()
        .token;
    let hs = |auth: Option<String>, origin: Option<&str>| Handshake {
        connection_id: Some(ConnectionId::parse("c-x").unwrap()),
        authorization: auth,
        ticket: None,
        origin: origin.map(str::to_string),
    };
    let code = |r: Result<_, chat_core::CoreError>| r.map(|_| ()).unwrap_err().code();
    assert_eq!(
        code(t.app.connect(&hs(None, None)).await),
        ErrorCode::Unauthorized
    );
    assert_eq!(
        code(t.app.connect(&hs(Some("Bearer x.y.z".into()), None)).await),
        ErrorCode::Unauthorized
    );
    assert_eq!(
        code(t.app.connect(&hs(Some(token.clone()), None)).await),
        ErrorCode::Unauthorized,
        "no scheme"
    );
    assert_eq!(
        code(
            t.app
                .connect(&hs(
                    Some(format!("Bearer {token}")),
                    Some("https://evil.example")
                ))
                .await
        ),
        ErrorCode::Forbidden
    );
    assert!(
        t.app
            .connect(&hs(
                Some(format!("Bearer {token}")),
                Some("http://localhost:8080")
            ))
            .await
            .is_ok()
    );
    // Revoked: the token was fine a moment ago.
    t.app
        .update_identity(
            chat_core::service::audit::Actor::Operator,
            &alice.identity.user_id,
            IdentityPatch {
                revoke_tokens: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        code(
            t.app
                .connect(&hs(Some(format!("Bearer {token}")), None))
                .await
        ),
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn a_ticket_opens_one_socket_only_and_expires() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ticket = t.app.issue_ws_ticket(&alice.identity).await.unwrap();
    let hs = |id: &str, ticket: &str| Handshake {
        connection_id: Some(ConnectionId::parse(id).unwrap()),
        authorization: None,
        ticket: Some(ticket.to_string()),
        origin: None,
    };
    assert!(t.app.connect(&hs("c1", &ticket.ticket)).await.is_ok());
    assert!(
        t.app.connect(&hs("c2", &ticket.ticket)).await.is_err(),
        "a ticket is single-use"
    );
    let late = t.app.issue_ws_ticket(&alice.identity).await.unwrap();
    t.clock.advance(chrono::Duration::seconds(61));
    assert!(
        t.app.connect(&hs("c3", &late.ticket)).await.is_err(),
        "an expired ticket"
    );
}

#[tokio::test]
async fn revoking_closes_open_sockets_and_refuses_further_actions() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let c = t.connect(&alice).await;
    t.ok(&c, "room.list", json!({})).await;
    t.app
        .update_identity(
            chat_core::service::audit::Actor::Operator,
            &alice.identity.user_id,
            IdentityPatch {
                revoke_tokens: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(t.push.closed().contains(&c), "the socket was not closed");
    // Even if closing had failed, the connection no longer acts.
    t.app
        .handle_frame(&c, r#"{"action":"room.list","requestId":"r"}"#)
        .await;
    assert!(t.store_has_no_connection(&c).await);
}

trait StoreProbe {
    async fn store_has_no_connection(&self, c: &ConnectionId) -> bool;
}
impl StoreProbe for TestApp {
    async fn store_has_no_connection(&self, c: &ConnectionId) -> bool {
        self.store.connection(c).await.unwrap().is_none()
    }
}

#[tokio::test]
async fn a_gone_connection_is_forgotten_and_the_others_still_get_the_message() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let ca = t.connect(&alice).await;
    let (cb1, cb2) = (t.connect(&bob).await, t.connect(&bob).await);
    let d = t
        .ok(&ca, "room.create", json!({"kind": "group", "title": "r"}))
        .await;
    let room = d["room"]["id"].as_str().unwrap().to_string();
    t.ok(
        &ca,
        "room.invite",
        json!({"roomId": room, "userId": bob.identity.user_id.to_string()}),
    )
    .await;
    t.events(&cb2);
    t.push.mark_gone(&cb1);
    t.ok(
        &ca,
        "message.send",
        json!({"roomId": room, "clientMsgId": "m", "text": "hi"}),
    )
    .await;
    assert!(
        t.store_has_no_connection(&cb1).await,
        "the gone connection is still stored"
    );
    assert!(
        t.events(&cb2)
            .iter()
            .any(|e| e["type"] == "message.created" && e["message"]["text"] == "hi")
    );
}

#[tokio::test]
async fn a_burst_over_the_rate_limit_is_refused_without_closing() {
    let mut config = test_config();
    config.limits.actions_per_second = 2;
    config.limits.burst = 4;
    let t = TestApp::with_config(config);
    let alice = t.employee("alice", T1, &[Role::Supervisor]).await;
    let c = t.connect(&alice).await;
    let mut codes = vec![];
    for _ in 0..6 {
        let r = t.call(&c, "room.list", json!({})).await;
        codes.push(r["error"]["code"].as_str().unwrap_or("ok").to_string());
    }
    assert_eq!(codes.iter().filter(|c| *c == "ok").count(), 4, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| *c == "rate_limited").count(), 2);
    // Answers to refused frames have a budget too: the next ones get no push at all.
    t.app
        .handle_frame(&c, r#"{"action":"room.list","requestId":"x"}"#)
        .await;
    assert!(
        t.events(&c).is_empty(),
        "a flood must not buy a push per frame"
    );
}

#[tokio::test]
async fn garbage_counts_against_the_rate_limit_before_it_is_parsed() {
    let mut config = test_config();
    config.limits.actions_per_second = 3;
    config.limits.burst = 6;
    let t = TestApp::with_config(config);
    let alice = t.employee("alice", T1, &[]).await;
    let c = t.connect(&alice).await;
    let oversized = "y".repeat(64 * 1024);
    for i in 0..20 {
        let frame = if i % 2 == 0 {
            "{{{ not json"
        } else {
            oversized.as_str()
        };
        t.app.handle_frame(&c, frame).await;
    }
    let codes: Vec<String> = t
        .events(&c)
        .iter()
        .map(|f| f["error"]["code"].as_str().unwrap_or("?").to_string())
        .collect();
    // The burst's six frames are parsed (bad_request / payload_too_large); then three
    // rate_limited answers (one second's budget); the other eleven are dropped.
    assert_eq!(codes.len(), 9, "{codes:?}");
    assert!(
        codes[..6]
            .iter()
            .all(|c| c == "bad_request" || c == "payload_too_large")
    );
    assert!(codes[6..].iter().all(|c| c == "rate_limited"), "{codes:?}");
}

#[tokio::test]
async fn garbage_and_unknown_actions_get_typed_errors() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let c = t.connect(&alice).await;
    t.app.handle_frame(&c, "not json at all").await;
    let frames = t.events(&c);
    assert_eq!(frames[0]["type"], "error");
    assert_eq!(frames[0]["error"]["code"], "bad_request");
    assert_eq!(t.refused(&c, "room.fly", json!({})).await, "bad_request");
    let big = format!(
        r#"{{"requestId":"big","action":"message.send","text":"{}"}}"#,
        "x".repeat(40 * 1024)
    );
    t.app.handle_frame(&c, &big).await;
    let frames = t.events(&c);
    assert_eq!(frames[0]["requestId"], "big");
    assert_eq!(frames[0]["error"]["code"], "payload_too_large");
    // Ping without a request id answers with a pong event only.
    t.app.handle_frame(&c, r#"{"action":"ping"}"#).await;
    let frames = t.events(&c);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["type"], "pong");
}

#[tokio::test]
async fn profile_edits_never_touch_identity() {
    use chat_core::protocol::http::ProfilePatch;
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let p = t
        .app
        .update_profile(
            &alice,
            ProfilePatch {
                display_name: Some("Alice A.".into()),
                avatar_file_id: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(p.profile.profile.display_name, "Alice A.");
    let me = t
        .app
        .authenticate(
            &t.app
                .login(&login("alice", "alice-pass"), "192.0.2.1")
                .await
                .unwrap()
                .token,
        )
        .await
        .unwrap();
    assert_eq!(me.identity.tier, Some(T1));
    assert!(me.identity.roles.is_empty());
    // Identity fields in a profile patch are rejected by the wire type.
    let bad: Result<ProfilePatch, _> = serde_json::from_str(r#"{"tier":"T3"}"#);
    assert!(bad.is_err());
}

#[tokio::test]
async fn the_directory_lists_enabled_employees_with_presence() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    t.connect(&bob).await;
    let all = t.app.directory(&alice, None).await.unwrap();
    assert_eq!(all.users.len(), 2);
    let online = t.app.directory(&alice, Some(true)).await.unwrap();
    assert_eq!(online.users.len(), 1);
    assert_eq!(online.users[0].user_id, bob.identity.user_id);
}

#[tokio::test]
async fn more_sockets_buy_no_more_budget_than_the_per_user_limit() {
    let mut config = test_config();
    config.limits.actions_per_second = 5;
    config.limits.burst = 10;
    config.limits.user_actions_per_second = 5; // burst 10 across all sockets
    let t = TestApp::with_config(config);
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T1, &[]).await;
    let sockets = [
        t.connect(&alice).await,
        t.connect(&alice).await,
        t.connect(&alice).await,
    ];
    let mut codes = vec![];
    for _ in 0..5 {
        for c in &sockets {
            let r = t.call(c, "room.list", json!({})).await;
            codes.push(r["error"]["code"].as_str().unwrap_or("ok").to_string());
        }
    }
    // 15 actions, 5 per socket: each socket is within its own limit, the person is not.
    assert_eq!(codes.iter().filter(|c| *c == "ok").count(), 10, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| *c == "rate_limited").count(), 5);
    // Someone else's budget is untouched.
    let b = t.connect(&bob).await;
    t.ok(&b, "room.list", json!({})).await;
}

#[tokio::test]
async fn a_user_may_hold_only_so_many_sockets() {
    let mut config = test_config();
    config.limits.max_connections_per_user = 2;
    let t = TestApp::with_config(config);
    let alice = t.employee("alice", T1, &[]).await;
    let first = t.connect(&alice).await;
    t.connect(&alice).await;
    let third = t.try_connect(&alice).await.unwrap_err();
    assert_eq!(third.code(), chat_core::ErrorCode::RateLimited);
    // Closing one makes room again.
    t.app.disconnect(&first).await.unwrap();
    t.connect(&alice).await;
}
