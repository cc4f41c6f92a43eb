//! Admins over the wire: `POST/GET/PATCH /admin/users` are admin-only; a new account
//! logs in with its tier and roles; a role change applies at once and `revokeTokens`
//! ends every issued token without disabling the account (PROTOCOL §2, DESIGN §3
//! Identity, issue 5). Two holes found by attacking it (issue 18) stay closed: a
//! WebSocket ticket does not outlive a revoke, and a demoted supervisor stops observing.

use chat_e2e::{QUIET, TIMEOUT, TestServer, create_room, error_code, send_message};
use serde_json::{Value, json};

async fn patch_user(server: &TestServer, admin: &str, user_id: &str, patch: Value) {
    let (status, body) = server
        .http(
            "PATCH",
            &format!("/admin/users/{user_id}"),
            Some(patch),
            Some(admin),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_ws_ticket_minted_before_a_revoke_no_longer_opens_a_socket() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let alice = server.login("alice").await;
    let alice_id = server.user_id(&alice).await;
    let ticket_of = |token: String| {
        let server = &server;
        async move {
            let (status, body) = server
                .http("POST", "/auth/ws-ticket", None, Some(&token))
                .await;
            assert_eq!(status, 200, "{body}");
            format!("ticket={}", body["ticket"].as_str().expect("a ticket"))
        }
    };
    let before = ticket_of(alice.clone()).await;

    patch_user(&server, &admin, &alice_id, json!({"revokeTokens": true})).await;
    let refused = server
        .try_ws(Some(&before), &[])
        .await
        .err()
        .expect("a ticket minted under a revoked token must not open a socket");
    assert_eq!(refused.status, 401);

    // A ticket from a fresh login works, and a tampered version suffix finds nothing.
    let fresh = ticket_of(server.login("alice").await).await;
    let (secret, _) = fresh
        .rsplit_once('.')
        .expect("ticket carries its token version");
    let tampered = format!("{secret}.0");
    assert_eq!(
        server
            .try_ws(Some(&tampered), &[])
            .await
            .err()
            .expect("refused")
            .status,
        401
    );
    server
        .try_ws(Some(&fresh), &[])
        .await
        .expect("a fresh ticket opens a socket");
}

#[tokio::test]
async fn a_demoted_supervisor_stops_receiving_the_room_they_observed() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let (_, _, alice) = server.user("alice").await;
    let (sam_token, sam_id, sam) = server.user("sam").await;
    let room = create_room(&alice, "group", "Watched").await;
    let room_id = room["id"].as_str().expect("room id");
    sam.ok("supervisor.observe", json!({"roomId": room_id}))
        .await;
    send_message(&alice, room_id, "before", "seen while a supervisor").await;
    sam.wait_event("the message while observing", TIMEOUT, |e| {
        e["type"] == "message.created" && e["message"]["text"] == "seen while a supervisor"
    })
    .await;

    // Roles change without revokeTokens: the token stays valid, the observation ends.
    patch_user(&server, &admin, &sam_id, json!({"roles": []})).await;
    // Panics if the observing socket stays open.
    sam.wait_closed(TIMEOUT).await;
    let mark = sam.mark();
    alice
        .ok(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "after", "text": "secret",
                   "visibility": "employees"}),
        )
        .await;
    sam.expect_no_event_since(mark, "a message after the demotion", QUIET, |e| {
        e.to_string().contains("secret")
    })
    .await;

    // The same token reconnects, with only what its roles now allow.
    let again = server.ws(&sam_token).await;
    again
        .refused(
            "supervisor.observe",
            json!({"roomId": room_id}),
            "forbidden",
        )
        .await;
}

#[tokio::test]
async fn the_allowed_users_list_is_for_admins() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let sam = server.login("sam").await;
    let alice = server.login("alice").await;
    let dave = json!({"username": "dave", "password": "dave-pass-1", "kind": "employee",
                      "tier": "T2", "roles": ["supervisor"], "displayName": "Dave"});

    for token in [&sam, &alice] {
        for (method, path, body) in [
            ("GET", "/admin/users".to_string(), None),
            ("POST", "/admin/users".to_string(), Some(dave.clone())),
            (
                "PATCH",
                "/admin/users/usr_x".to_string(),
                Some(json!({"tier": "T3"})),
            ),
        ] {
            let (status, answer) = server.http(method, &path, body, Some(token)).await;
            assert_eq!(status, 403, "{method} {path} as a non-admin: {answer}");
            assert_eq!(error_code(&answer), "forbidden", "{answer}");
        }
    }

    let (status, body) = server
        .http("POST", "/admin/users", Some(dave.clone()), Some(&admin))
        .await;
    assert_eq!(status, 200, "{body}");
    let identity = &body["identity"];
    assert_eq!(
        (
            identity["username"].clone(),
            identity["kind"].clone(),
            identity["tier"].clone()
        ),
        (json!("dave"), json!("employee"), json!("T2")),
        "{identity}"
    );
    assert_eq!(identity["roles"], json!(["supervisor"]), "{identity}");
    let dave_id = identity["userId"].as_str().expect("userId").to_string();
    let (status, body) = server
        .http("POST", "/admin/users", Some(dave), Some(&admin))
        .await;
    assert_eq!((status, error_code(&body)), (409, "conflict"), "{body}");
    let listed = server.get_ok(&admin, "/admin/users").await;
    assert!(
        listed["users"]
            .as_array()
            .is_some_and(|u| u.iter().any(|x| x["userId"] == dave_id.as_str())),
        "{listed}"
    );

    let login = json!({"username": "dave", "password": "dave-pass-1"});
    let (status, body) = server
        .http("POST", "/auth/login", Some(login.clone()), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let dave_token = body["token"].as_str().expect("token").to_string();
    server.get_ok(&dave_token, "/supervisor/queues").await;

    let (status, body) = server
        .http(
            "PATCH",
            &format!("/admin/users/{dave_id}"),
            Some(json!({"tier": "T3", "roles": []})),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["identity"]["tier"].clone(),
            body["identity"]["roles"].clone()
        ),
        (json!("T3"), json!([])),
        "{body}"
    );
    let (status, body) = server
        .http("GET", "/supervisor/queues", None, Some(&dave_token))
        .await;
    assert_eq!(
        status, 403,
        "a dropped role still works on an old token: {body}"
    );
    let (status, body) = server
        .http(
            "PATCH",
            &format!("/admin/users/{dave_id}"),
            Some(json!({"revokeTokens": true})),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = server.http("GET", "/me", None, Some(&dave_token)).await;
    assert_eq!(status, 401, "a revoked token still works");
    let (status, _) = server.http("POST", "/auth/login", Some(login), None).await;
    assert_eq!(status, 200, "revoking tokens does not disable the account");
}
