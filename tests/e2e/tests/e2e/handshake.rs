//! WebSocket handshake: bad credentials fail with 401 and no socket, a foreign browser
//! `Origin` with 403, tickets work exactly once (PROTOCOL §3).

use chat_e2e::{TIMEOUT, TestServer, now_secs};
use serde_json::json;

async fn refused_with_bearer(server: &TestServer, token: &str) -> u16 {
    match server
        .try_ws(None, &[("authorization", &format!("Bearer {token}"))])
        .await
    {
        Ok(_) => panic!("a socket was opened for token {token:.40}…"),
        Err(r) => r.status,
    }
}

#[tokio::test]
async fn a_valid_bearer_token_opens_a_socket_that_answers_ping() {
    let server = TestServer::start().await;
    let token = server.login("alice").await;
    let ws = server.ws(&token).await;
    let reply = ws.call("ping", json!({})).await;
    assert_eq!(reply["ok"], json!(true), "{reply}");
    ws.wait_event("pong", TIMEOUT, |e| e["type"] == "pong")
        .await;
}

#[tokio::test]
async fn no_token_is_refused_with_401() {
    let server = TestServer::start().await;
    let refusal = server.try_ws(None, &[]).await.err().expect("refused");
    assert_eq!(refusal.status, 401);
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused_with_401() {
    let server = TestServer::start().await;
    let token = server.login("alice").await;
    for header in [
        "x.y.z".to_string(),
        format!("Basic {token}"),
        "Bearer".into(),
    ] {
        let refusal = server
            .try_ws(None, &[("authorization", &header)])
            .await
            .err()
            .unwrap_or_else(|| panic!("{header:.30} opened a socket"));
        assert_eq!(refusal.status, 401, "{header:.30}");
    }
}

#[tokio::test]
async fn a_forged_token_is_refused_with_401() {
    let server = TestServer::start().await;
    let real = server.login("alice").await;
    let forged =
        chat_e2e::forge_claims(&chat_e2e::decode_claims(&real), server.signing_key().kid());
    assert_eq!(refused_with_bearer(&server, &forged).await, 401);
    assert_eq!(refused_with_bearer(&server, "x.y.z").await, 401);
}

#[tokio::test]
async fn the_gateways_own_secret_signs_a_token_that_works() {
    // Guards the tests below: a minted token with unchanged claims is accepted, so a 401
    // for an edited one is caused by the edit, not by the minting.
    let server = TestServer::start().await;
    let real = server.login("alice").await;
    let minted = server.mint(&real, |c| {
        c.insert("jti".into(), json!("minted-jti"));
    });
    let ws = server.ws(&minted).await;
    ws.ok("room.list", json!({})).await;
}

#[tokio::test]
async fn an_expired_token_is_refused_with_401() {
    let server = TestServer::start().await;
    let real = server.login("alice").await;
    let expired = server.mint(&real, |c| {
        c.insert("iat".into(), json!(now_secs() - 7200));
        c.insert("exp".into(), json!(now_secs() - 3600));
    });
    assert_eq!(refused_with_bearer(&server, &expired).await, 401);
    let (status, _) = server.http("GET", "/me", None, Some(&expired)).await;
    assert_eq!(status, 401, "expired token on /me");
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused_with_401() {
    let server = TestServer::start().await;
    let real = server.login("alice").await;
    let other = server.mint(&real, |c| {
        c.insert("aud".into(), json!("some-other-service"));
    });
    assert_eq!(refused_with_bearer(&server, &other).await, 401);
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused_with_401() {
    let server = TestServer::start().await;
    let real = server.login("alice").await;
    let other = server.mint(&real, |c| {
        c.insert("iss".into(), json!("https://evil.example"));
    });
    assert_eq!(refused_with_bearer(&server, &other).await, 401);
}

#[tokio::test]
async fn a_token_with_another_algorithm_is_refused_with_401() {
    let server = TestServer::start().await;
    let real = server.login("alice").await;
    // HMAC keyed with the public key, under the real kid: the classic confusion attack.
    use base64::Engine;
    let key = server.signing_key();
    let public = base64::engine::general_purpose::STANDARD
        .decode(key.verifying_key().to_base64())
        .expect("public key bytes");
    for alg in [
        jsonwebtoken::Algorithm::HS256,
        jsonwebtoken::Algorithm::HS512,
    ] {
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = Some(key.kid().to_string());
        let token = jsonwebtoken::encode(
            &header,
            &chat_e2e::decode_claims(&real),
            &jsonwebtoken::EncodingKey::from_secret(&public),
        )
        .expect("sign");
        assert_eq!(refused_with_bearer(&server, &token).await, 401, "{alg:?}");
    }
}

#[tokio::test]
async fn revoking_a_user_closes_their_socket_and_refuses_the_old_token() {
    let server = TestServer::start().await;
    let token = server.login("bob").await;
    let ws = server.ws(&token).await;
    ws.ok("room.list", json!({})).await;
    let other = server.login("carol").await;
    let carol = server.ws(&other).await;

    server.revoke_tokens("bob").await;

    ws.wait_closed(TIMEOUT).await;
    assert_eq!(refused_with_bearer(&server, &token).await, 401);
    let (status, _) = server.http("GET", "/me", None, Some(&token)).await;
    assert_eq!(status, 401, "revoked token on /me");
    // Nobody else is affected, and bob can log in again.
    carol.ok("room.list", json!({})).await;
    let fresh = server.login("bob").await;
    server.ws(&fresh).await.ok("room.list", json!({})).await;
}

#[tokio::test]
async fn a_foreign_browser_origin_is_refused_with_403() {
    let server = TestServer::start_with(|o| {
        o.allowed_origins = vec!["http://chat.example".into()];
    })
    .await;
    let token = server.login("alice").await;
    let bearer = format!("Bearer {token}");
    let refusal = server
        .try_ws(
            None,
            &[
                ("authorization", &bearer),
                ("origin", "http://evil.example"),
            ],
        )
        .await
        .err()
        .expect("foreign origin refused");
    assert_eq!(refusal.status, 403);
    // The allowed origin, and a client without an Origin header, get through.
    server
        .try_ws(
            None,
            &[
                ("authorization", &bearer),
                ("origin", "http://chat.example"),
            ],
        )
        .await
        .expect("allowed origin");
    server.ws(&token).await;
}

#[tokio::test]
async fn a_ticket_opens_one_socket_and_only_one() {
    let server = TestServer::start().await;
    let token = server.login("alice").await;
    let (status, body) = server
        .http("POST", "/auth/ws-ticket", None, Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    let ticket = body["ticket"].as_str().expect("a ticket").to_string();
    assert!(body["expiresAt"].is_string(), "{body}");

    let query = format!("ticket={ticket}");
    let ws = server
        .try_ws(Some(&query), &[])
        .await
        .expect("first use of the ticket");
    ws.ok("room.list", json!({})).await;
    let again = server
        .try_ws(Some(&query), &[])
        .await
        .err()
        .expect("second use refused");
    assert_eq!(again.status, 401);
    let bogus = server
        .try_ws(Some("ticket=not-a-ticket"), &[])
        .await
        .err()
        .expect("refused");
    assert_eq!(bogus.status, 401);
}

#[tokio::test]
async fn a_ticket_needs_a_bearer_token() {
    let server = TestServer::start().await;
    let (status, body) = server.http("POST", "/auth/ws-ticket", None, None).await;
    assert_eq!(status, 401, "{body}");
}
