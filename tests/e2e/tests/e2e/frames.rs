//! Frames the server must survive: oversized, garbage, unknown actions, over-long text
//! and bursts over the rate limit — each answered with an error, the connection kept
//! open (PROTOCOL §3, §5).

use std::time::Duration;

use chat_e2e::{TIMEOUT, TestServer, create_room};
use serde_json::json;

/// Proves the connection still answers after an abuse.
async fn still_answers(ws: &chat_e2e::Ws) {
    assert!(!ws.is_closed(), "the server closed the connection");
    ws.ok("room.list", json!({})).await;
}

#[tokio::test]
async fn an_oversized_frame_gets_payload_too_large_and_the_connection_stays_open() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "group", "Big").await;
    // requestId first, as clients write it, then 40 KiB of text: over the 32 KiB frame limit.
    let frame = format!(
        r#"{{"requestId":"big-1","action":"message.send","roomId":"{}","clientMsgId":"big","text":"{}"}}"#,
        room["id"].as_str().expect("room id"),
        "x".repeat(40 * 1024)
    );
    alice.send_text(frame).await;
    let reply = alice.reply("big-1").await;
    assert_eq!(reply["ok"], json!(false), "{reply}");
    assert_eq!(reply["error"]["code"], "payload_too_large", "{reply}");
    still_answers(&alice).await;
    let page = alice.ok("history.get", json!({"roomId": room["id"]})).await;
    assert_eq!(page["messages"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn an_oversized_frame_without_a_request_id_gets_an_error_frame() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    alice.send_text("y".repeat(40 * 1024)).await;
    let error = alice.wait_error(0).await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["code"], "payload_too_large", "{error}");
    still_answers(&alice).await;
}

#[tokio::test]
async fn garbage_text_gets_a_bad_request_error_frame_and_the_connection_stays_open() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    for (i, garbage) in ["this is not json", "[1,2,3]", "{\"action\":", "42"]
        .into_iter()
        .enumerate()
    {
        alice.send_text(garbage).await;
        let error = alice.wait_error(i).await;
        assert_eq!(error["type"], "error", "{garbage}: {error}");
        assert_eq!(error["error"]["code"], "bad_request", "{garbage}: {error}");
        assert!(error["error"]["message"].is_string(), "{error}");
        still_answers(&alice).await;
    }
}

#[tokio::test]
async fn an_unknown_action_gets_a_bad_request_reply_with_its_request_id() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let reply = alice.call("room.teleport", json!({"roomId": "r"})).await;
    assert_eq!(reply["type"], "reply");
    assert_eq!(reply["ok"], json!(false), "{reply}");
    assert_eq!(reply["error"]["code"], "bad_request", "{reply}");
    still_answers(&alice).await;
}

#[tokio::test]
async fn missing_or_mistyped_fields_get_a_bad_request_reply() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    alice.refused("room.get", json!({}), "bad_request").await;
    alice
        .refused(
            "message.send",
            json!({"roomId": 5, "clientMsgId": "c", "text": "t"}),
            "bad_request",
        )
        .await;
    alice
        .refused(
            "room.create",
            json!({"kind": "party", "title": "t"}),
            "bad_request",
        )
        .await;
    still_answers(&alice).await;
}

#[tokio::test]
async fn text_over_16_kib_in_a_small_enough_frame_is_payload_too_large() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "group", "Long text").await;
    let room_id = room["id"].as_str().expect("room id");
    let long = "z".repeat(16 * 1024 + 1); // the frame stays well under 32 KiB
    alice
        .refused(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "long", "text": long}),
            "payload_too_large",
        )
        .await;
    // Exactly at the limit is fine.
    alice
        .ok(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "max", "text": "z".repeat(16 * 1024)}),
        )
        .await;
}

#[tokio::test]
async fn a_burst_over_the_rate_limit_gets_rate_limited_replies_and_the_socket_stays_open() {
    let server = TestServer::start_with(|o| o.rate_limit = 5).await;
    let (_, _, alice) = server.user("alice").await;
    // 14 frames at once against 5/s (burst 10): the burst is served and the rest are
    // answered `rate_limited` (within the 5 answers a second that refusals may cost).
    let mut ids = Vec::new();
    for _ in 0..14 {
        ids.push(alice.send("room.list", json!({})).await);
    }
    let mut limited = 0;
    let mut answered = 0;
    for id in &ids {
        let reply = alice.reply(id).await; // every frame gets exactly one reply
        match reply["ok"].as_bool() {
            Some(true) => answered += 1,
            _ => {
                assert_eq!(reply["error"]["code"], "rate_limited", "{reply}");
                limited += 1;
            }
        }
    }
    assert!(
        limited > 0,
        "14 frames at once against 5/s (burst 10) were all served"
    );
    assert!(
        answered >= 5,
        "the burst allowance was not served: {answered}"
    );
    assert!(!alice.is_closed(), "the server closed the connection");
    // Once the bucket refills (5 tokens a second), actions are served again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    alice.ok("room.list", json!({})).await;
}

#[tokio::test]
async fn a_burst_of_garbage_counts_against_the_limit_and_is_answered_rate_limited() {
    let server = TestServer::start_with(|o| o.rate_limit = 5).await;
    let (_, _, alice) = server.user("alice").await;
    for _ in 0..30 {
        alice.send_text("{{{ not a frame").await;
    }
    // 10 parsed (the burst) → bad_request; 5 answered rate_limited; 15 dropped.
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while alice.errors().len() < 15 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // nothing more may come
    let codes: Vec<String> = alice
        .errors()
        .iter()
        .map(|e| e["error"]["code"].as_str().unwrap_or("?").to_string())
        .collect();
    let count = |code: &str| codes.iter().filter(|c| *c == code).count();
    assert_eq!(count("rate_limited"), 5, "{codes:?}");
    assert!((10..=11).contains(&count("bad_request")), "{codes:?}");
    assert_eq!(codes.len(), count("rate_limited") + count("bad_request"));
    assert!(
        codes.len() < 30,
        "a garbage flood must not buy a push per frame"
    );
    assert!(!alice.is_closed());
}

#[tokio::test]
async fn rate_limits_are_per_connection() {
    let server = TestServer::start_with(|o| o.rate_limit = 5).await;
    let (token, _, alice) = server.user("alice").await;
    let other = server.ws(&token).await;
    let mut ids = Vec::new();
    for _ in 0..14 {
        ids.push(alice.send("room.list", json!({})).await);
    }
    for id in &ids {
        alice.reply(id).await;
    }
    other.ok("room.list", json!({})).await;
}

#[tokio::test]
async fn ping_without_a_request_id_gets_a_pong_only() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    alice.send_text(r#"{"action":"ping"}"#).await;
    alice
        .wait_event("pong", TIMEOUT, |e| e["type"] == "pong")
        .await;
    assert!(alice.errors().is_empty(), "{:?}", alice.errors());
}
