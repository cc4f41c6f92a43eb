//! Restarting the gateway on the same data folder loses nothing (PROTOCOL §0): users,
//! rooms, members, messages and issued tokens survive; `seq` continues without reuse.

use chat_e2e::{TIMEOUT, TestServer, create_room, send_message};
use serde_json::json;

#[tokio::test]
async fn rooms_members_messages_and_tokens_survive_a_restart() {
    let mut server = TestServer::start().await;
    let (alice_token, _, alice) = server.user("alice").await;
    let (bob_token, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "solo", "Durable").await;
    let room_id = room["id"].as_str().expect("room id").to_string();
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;
    let mut before = Vec::new();
    for i in 0..3 {
        before.push(send_message(&alice, &room_id, &format!("b{i}"), &format!("before {i}")).await);
    }
    before.push(send_message(&bob, &room_id, "b-bob", "bob before").await);
    let last_seq = before
        .iter()
        .filter_map(|m| m["seq"].as_u64())
        .max()
        .expect("seqs");

    drop((alice, bob));
    server.restart().await;

    // Tokens issued before the restart are still valid (the key is kept on disk).
    let (status, me) = server.http("GET", "/me", None, Some(&alice_token)).await;
    assert_eq!(status, 200, "old token after restart: {me}");
    let alice = server.ws(&alice_token).await;
    let bob = server.ws(&bob_token).await;

    let rooms = alice.ok("room.list", json!({})).await;
    let listed = rooms["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .find(|r| r["id"] == room_id.as_str())
        .unwrap_or_else(|| panic!("room lost in restart: {rooms}"))
        .clone();
    assert_eq!(listed["title"], "Durable");
    assert_eq!(listed["kind"], "solo");
    assert_eq!(listed["memberCount"], 2, "{listed}");
    let member_ids: Vec<_> = listed["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert!(member_ids.contains(&json!(bob_id)), "{listed}");

    let page = bob
        .ok(
            "history.get",
            json!({"roomId": room_id, "afterSeq": 0, "limit": 200}),
        )
        .await;
    let history = page["messages"].as_array().expect("messages");
    for m in &before {
        assert!(
            history
                .iter()
                .any(|h| h["id"] == m["id"] && h["seq"] == m["seq"] && h["text"] == m["text"]),
            "{m} lost in restart"
        );
    }

    let after = send_message(&alice, &room_id, "a0", "after").await;
    assert_eq!(
        after["seq"],
        json!(last_seq + 1),
        "seq continues without reuse or gaps"
    );
    // An idempotent resend of a pre-restart message still finds it.
    let again = send_message(&alice, &room_id, "b0", "before 0").await;
    assert_eq!(again["id"], before[0]["id"]);
}

#[tokio::test]
async fn users_survive_a_restart_without_demo_seeding() {
    let mut server = TestServer::start().await;
    let token = server.login("carol").await;
    let (status, body) = server
        .http(
            "PATCH",
            "/me/profile",
            Some(json!({"displayName": "Carol the Third"})),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    server.options_mut().demo = false;
    server.restart().await;

    // Nothing re-created the users: these come from the data folder.
    let fresh = server.login("carol").await;
    let (_, me) = server.http("GET", "/me", None, Some(&fresh)).await;
    assert_eq!(me["identity"]["tier"], "T3");
    assert_eq!(me["profile"]["displayName"], "Carol the Third");
    let (status, _) = server.http("GET", "/me", None, Some(&token)).await;
    assert_eq!(status, 200, "a token from before the restart");
    server.login("admin").await;
}

#[tokio::test]
async fn a_room_made_after_a_restart_gets_a_new_id_and_starts_its_own_sequence() {
    let mut server = TestServer::start().await;
    let (token, _, alice) = server.user("alice").await;
    let old = create_room(&alice, "group", "Old").await;
    send_message(&alice, old["id"].as_str().expect("id"), "x", "old").await;
    drop(alice);
    server.restart().await;
    let alice = server.ws(&token).await;
    let new = create_room(&alice, "group", "New").await;
    assert_ne!(new["id"], old["id"]);
    let m = send_message(&alice, new["id"].as_str().expect("id"), "x", "new").await;
    let page = alice
        .ok("history.get", json!({"roomId": new["id"], "afterSeq": 0}))
        .await;
    assert_eq!(page["messages"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["messages"][0]["id"], m["id"]);
    let rooms = alice.ok("room.list", json!({})).await;
    assert_eq!(rooms["rooms"].as_array().map(Vec::len), Some(2), "{rooms}");
}

#[tokio::test]
async fn the_gateway_starts_on_a_folder_another_gateway_left() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut first = TestServer::start_in(dir.path()).await;
    let token = first.login("bob").await;
    first.stop().await;
    let second = TestServer::start_in(dir.path()).await;
    let (status, _) = second.http("GET", "/me", None, Some(&token)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn shutting_down_closes_open_sockets() {
    let mut server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    alice.ok("room.list", json!({})).await;
    server.stop().await;
    alice.wait_closed(TIMEOUT).await;
}
