//! Idempotent sends: a resent `clientMsgId` returns the same message and adds nothing
//! (PROTOCOL §3 `message.send`).

use chat_e2e::{QUIET, TIMEOUT, TestServer, create_room, created, send_message};
use serde_json::{Value, json};

async fn history(ws: &chat_e2e::Ws, room_id: &str) -> Vec<Value> {
    ws.ok(
        "history.get",
        json!({"roomId": room_id, "afterSeq": 0, "limit": 200}),
    )
    .await["messages"]
        .as_array()
        .expect("messages")
        .clone()
}

#[tokio::test]
async fn resending_a_client_msg_id_returns_the_same_message_and_one_history_entry() {
    let server = TestServer::start().await;
    let (_, bob_id, bob) = server.user("bob").await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "group", "Idem").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;

    let first = send_message(&alice, room_id, "same-id", "hello").await;
    let again = send_message(&alice, room_id, "same-id", "hello").await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["seq"], first["seq"]);
    assert_eq!(again["clientMsgId"], "same-id");

    let with_id = |m: &Value| m["id"] == first["id"];
    assert_eq!(
        history(&alice, room_id)
            .await
            .iter()
            .filter(|m| with_id(m))
            .count(),
        1
    );
    assert_eq!(
        history(&alice, room_id)
            .await
            .iter()
            .filter(|m| m["clientMsgId"] == "same-id")
            .count(),
        1,
        "one history entry for the clientMsgId"
    );
    // The resend is not announced a second time.
    let id = first["id"].as_str().expect("id");
    bob.wait_event("the first send", TIMEOUT, created(id)).await;
    let events = bob.settled_events(QUIET, created(id)).await;
    assert_eq!(
        events.len(),
        1,
        "one message.created for one message: {events:?}"
    );
}

#[tokio::test]
async fn a_resend_with_different_text_still_returns_the_original() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "group", "Idem text").await;
    let room_id = room["id"].as_str().expect("room id");
    let first = send_message(&alice, room_id, "k", "original").await;
    let again = send_message(&alice, room_id, "k", "edited on retry").await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        again["text"], "original",
        "messages are never edited in place"
    );
}

#[tokio::test]
async fn a_resend_from_another_connection_of_the_same_user_is_the_same_message() {
    let server = TestServer::start().await;
    let (token, _, alice) = server.user("alice").await;
    let reconnected = server.ws(&token).await;
    let room = create_room(&alice, "group", "Reconnect").await;
    let room_id = room["id"].as_str().expect("room id");
    let first = send_message(&alice, room_id, "retry-me", "sent before a drop").await;
    alice.close().await;
    let again = send_message(&reconnected, room_id, "retry-me", "sent before a drop").await;
    assert_eq!(again["id"], first["id"]);
}

#[tokio::test]
async fn the_same_client_msg_id_from_another_user_is_a_separate_message() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "group", "Two users").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;

    let from_alice = send_message(&alice, room_id, "shared-id", "from alice").await;
    let from_bob = send_message(&bob, room_id, "shared-id", "from bob").await;
    assert_ne!(from_alice["id"], from_bob["id"]);
    assert_ne!(from_alice["seq"], from_bob["seq"]);
    assert_eq!(from_bob["text"], "from bob");
    let entries = history(&alice, room_id).await;
    assert_eq!(
        entries
            .iter()
            .filter(|m| m["clientMsgId"] == "shared-id")
            .count(),
        2
    );
}

#[tokio::test]
async fn the_same_client_msg_id_in_another_room_is_a_separate_message() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let a = create_room(&alice, "group", "Room A").await;
    let b = create_room(&alice, "group", "Room B").await;
    let in_a = send_message(&alice, a["id"].as_str().expect("id"), "k", "in a").await;
    let in_b = send_message(&alice, b["id"].as_str().expect("id"), "k", "in b").await;
    assert_ne!(in_a["id"], in_b["id"]);
    assert_eq!(in_b["roomId"], b["id"]);
}
