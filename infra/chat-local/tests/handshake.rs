//! The `/ws` handshake over a real socket: refusals carry the handler's status and
//! body and open no socket; accepted sockets speak the protocol.

mod common;

use common::*;
use futures::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn error_code(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .map(|v| v["error"]["code"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_handshake_without_a_token_is_refused_with_401() {
    let t = spawn(false).await;
    let (status, body) = connect(&t.ws_url, &[]).await.expect_err("refused");
    assert_eq!((status, error_code(&body).as_str()), (401, "unauthorized"));
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn a_forged_token_is_refused_with_401() {
    let t = spawn(false).await;
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl";
    for auth in [format!("Bearer {forged}"), "Bearer x.y.z".to_string()] {
        let (status, _) = connect(&t.ws_url, &[("authorization", &auth)])
            .await
            .expect_err("refused");
        assert_eq!(status, 401);
    }
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn a_foreign_origin_is_refused_with_403_and_the_local_one_accepted() {
    let t = spawn(true).await;
    let token = login(&t.base, "alice").await;
    let auth = format!("Bearer {token}");
    let (status, body) = connect(
        &t.ws_url,
        &[("authorization", &auth), ("origin", "https://evil.example")],
    )
    .await
    .expect_err("refused");
    assert_eq!((status, error_code(&body).as_str()), (403, "forbidden"));

    let port = t.gateway.local_addr().port();
    let own = format!("http://localhost:{port}");
    let mut socket = connect(&t.ws_url, &[("authorization", &auth), ("origin", &own)])
        .await
        .expect("accepted");
    send(&mut socket, json!({"action": "ping"})).await;
    assert_eq!(next_json(&mut socket).await["type"], "pong");
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn a_token_opens_a_socket_that_answers_actions() {
    let t = spawn(true).await;
    let token = login(&t.base, "alice").await;
    let mut socket = connect_bearer(&t.ws_url, &token).await;
    let reply = call(
        &mut socket,
        "room.create",
        "r1",
        json!({"kind": "group", "title": "Local", "issue": {"title": "It broke"}}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    let room_id = reply["data"]["room"]["id"].as_str().unwrap().to_string();
    let sent = call(
        &mut socket,
        "message.send",
        "r2",
        json!({"roomId": room_id, "clientMsgId": "c1", "text": "hello"}),
    )
    .await;
    assert_eq!(sent["data"]["message"]["text"], "hello");
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn a_ticket_opens_exactly_one_socket() {
    let t = spawn(true).await;
    let token = login(&t.base, "bob").await;
    let resp: Value = http()
        .post(format!("{}/auth/ws-ticket", t.base))
        .bearer_auth(&token)
        .json_body()
        .await;
    let ticket = resp["ticket"].as_str().expect("ticket").to_string();
    let url = format!("{}?ticket={ticket}", t.ws_url);
    let mut socket = connect(&url, &[]).await.expect("first use accepted");
    send(&mut socket, json!({"action": "ping"})).await;
    assert_eq!(next_json(&mut socket).await["type"], "pong");
    let (status, _) = connect(&url, &[]).await.expect_err("second use refused");
    assert_eq!(status, 401);
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn oversized_binary_and_garbage_frames_are_answered_and_the_socket_stays_open() {
    let t = spawn(true).await;
    let token = login(&t.base, "alice").await;
    let mut socket = connect_bearer(&t.ws_url, &token).await;

    let big = format!(
        r#"{{"action":"ping","requestId":"big","pad":"{}"}}"#,
        "x".repeat(40 * 1024)
    );
    socket.send(Message::text(big)).await.unwrap();
    let reply = next_json(&mut socket).await;
    assert_eq!(
        (reply["requestId"].as_str(), reply["error"]["code"].as_str()),
        (Some("big"), Some("payload_too_large"))
    );

    socket.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    let err = next_json(&mut socket).await;
    assert_eq!(
        (err["type"].as_str(), err["error"]["code"].as_str()),
        (Some("error"), Some("bad_request"))
    );

    socket
        .send(Message::text("this is not json"))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["error"]["code"], "bad_request");

    let list = call(&mut socket, "room.list", "after", json!({})).await;
    assert_eq!(list["ok"], true);
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn frames_of_one_connection_are_handled_in_order() {
    let t = spawn(true).await;
    let token = login(&t.base, "carol").await;
    let mut socket = connect_bearer(&t.ws_url, &token).await;
    let created = call(
        &mut socket,
        "room.create",
        "c",
        json!({"kind": "group", "title": "Order"}),
    )
    .await;
    let room_id = created["data"]["room"]["id"].as_str().unwrap().to_string();
    for i in 0..20 {
        send(&mut socket, json!({"action": "message.send", "requestId": format!("m{i}"), "roomId": room_id, "clientMsgId": format!("k{i}"), "text": format!("n{i}")})).await;
    }
    let mut seqs = Vec::new();
    while seqs.len() < 20 {
        let f = next_json(&mut socket).await;
        if f["type"] == "reply" {
            assert_eq!(
                f["requestId"],
                format!("m{}", seqs.len()),
                "replies come back in send order"
            );
            seqs.push(f["data"]["message"]["seq"].as_u64().unwrap());
        }
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn the_public_url_is_an_allowed_origin_for_the_pages_served_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        chat_local::GatewayConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().into());
    config.demo = true;
    config.public_url = Some("https://chat.example:8443/support".into());
    let gateway = chat_local::start(config).await.unwrap();
    let addr = gateway.local_addr();
    let (base, ws_url) = (format!("http://{addr}"), format!("ws://{addr}/ws"));
    let auth = format!("Bearer {}", login(&base, "alice").await);
    let mut socket = connect(
        &ws_url,
        &[
            ("authorization", &auth),
            ("origin", "https://chat.example:8443"),
        ],
    )
    .await
    .expect("the public origin is allowed");
    send(&mut socket, json!({"action": "ping"})).await;
    assert_eq!(next_json(&mut socket).await["type"], "pong");
    // Only that origin: not another port of the same host, not the path as an origin.
    for other in ["https://chat.example", "https://chat.example:8443/support"] {
        let (status, _) = connect(&ws_url, &[("authorization", &auth), ("origin", other)])
            .await
            .expect_err(other);
        assert_eq!(status, 403, "{other}");
    }
    gateway.shutdown().await;
}
