//! Admins over the wire: `POST/GET/PATCH /admin/users` are admin-only; a new account
//! logs in with its tier and roles; a role change applies at once and `revokeTokens`
//! ends every issued token without disabling the account (PROTOCOL §2, DESIGN §3
//! Identity, issue 5).

use chat_e2e::{TestServer, error_code};
use serde_json::json;

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
