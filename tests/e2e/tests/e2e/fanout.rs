//! Fan-out: every member connection gets a room's events, nobody else does, and
//! visibility travels with the message (PROTOCOL §3 events, DESIGN §3 Messages).

use chat_e2e::{QUIET, TIMEOUT, TestServer, create_room, created, created_in, send_message};
use serde_json::json;

#[tokio::test]
async fn every_member_connection_gets_message_created_and_no_one_else() {
    let server = TestServer::start().await;
    let (alice_token, _, alice) = server.user("alice").await;
    let alice_again = server.ws(&alice_token).await; // a second tab
    let (_, bob_id, bob) = server.user("bob").await;
    let (_, _, carol) = server.user("carol").await; // employee, not a member
    let (_, _, sam) = server.user("sam").await; // member of another room only

    let room = create_room(&alice, "group", "Fan-out").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;
    let other = create_room(&sam, "group", "Elsewhere").await;
    let other_id = other["id"].as_str().expect("room id");

    let message = send_message(&alice, room_id, "c1", "hello everyone").await;
    let id = message["id"].as_str().expect("message id");
    for (who, ws) in [
        ("alice", &alice),
        ("alice's 2nd tab", &alice_again),
        ("bob", &bob),
    ] {
        let event = ws
            .wait_event(&format!("message.created at {who}"), TIMEOUT, created(id))
            .await;
        assert_eq!(event["roomId"], room_id);
        assert_eq!(event["message"]["text"], "hello everyone");
        assert_eq!(event["message"]["seq"], message["seq"]);
    }
    carol
        .expect_no_event(
            "event of a room carol is not in",
            QUIET,
            created_in(room_id),
        )
        .await;
    sam.expect_no_event("event of another room", QUIET, created_in(room_id))
        .await;

    // And the other way round: sam's room reaches sam only.
    let theirs = send_message(&sam, other_id, "s1", "only for sam's room").await;
    sam.wait_event(
        "sam's own message",
        TIMEOUT,
        created(theirs["id"].as_str().expect("id")),
    )
    .await;
    for ws in [&alice, &alice_again, &bob, &carol] {
        ws.expect_no_event("event of sam's room", QUIET, created_in(other_id))
            .await;
    }
}

#[tokio::test]
async fn each_event_arrives_once_per_connection() {
    let server = TestServer::start().await;
    let (token, _, alice) = server.user("alice").await;
    let second = server.ws(&token).await;
    let room = create_room(&alice, "group", "Once").await;
    let room_id = room["id"].as_str().expect("room id");
    for i in 0..5 {
        send_message(&alice, room_id, &format!("m{i}"), &format!("text {i}")).await;
    }
    for ws in [&alice, &second] {
        ws.wait_events("message.created", 5, TIMEOUT, created_in(room_id))
            .await;
        let events = ws.settled_events(QUIET, created_in(room_id)).await;
        assert_eq!(events.len(), 5, "{events:?}");
        let ids: std::collections::HashSet<_> = events
            .iter()
            .filter_map(|e| e["message"]["id"].as_str())
            .collect();
        assert_eq!(ids.len(), 5, "duplicate events: {events:?}");
    }
}

#[tokio::test]
async fn a_connection_opened_later_gets_later_events_and_finds_earlier_ones_in_history() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (bob_token, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "group", "Late").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;
    let early = send_message(&alice, room_id, "early", "before the new tab").await;
    let late_tab = server.ws(&bob_token).await;
    let late = send_message(&alice, room_id, "late", "after the new tab").await;
    late_tab
        .wait_event(
            "the later message",
            TIMEOUT,
            created(late["id"].as_str().expect("id")),
        )
        .await;
    bob.wait_event(
        "the later message",
        TIMEOUT,
        created(late["id"].as_str().expect("id")),
    )
    .await;
    let page = late_tab
        .ok(
            "history.get",
            json!({"roomId": room_id, "afterSeq": 0, "limit": 50}),
        )
        .await;
    let ids: Vec<_> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert!(
        ids.contains(&early["id"]) && ids.contains(&late["id"]),
        "{page}"
    );
}

#[tokio::test]
async fn employees_only_messages_keep_their_visibility_in_events_and_history() {
    // Guests (the only non-employees) arrive in a later issue; until then this checks
    // that the visibility travels with the message everywhere an employee sees it.
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "group", "Internal").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;
    let note = alice
        .ok(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "n1", "text": "internal note", "visibility": "employees"}),
        )
        .await["message"]
        .clone();
    assert_eq!(note["visibility"], "employees", "{note}");
    let plain = send_message(&alice, room_id, "p1", "for everyone").await;
    assert_eq!(plain["visibility"], "everyone", "the default visibility");

    let event = bob
        .wait_event(
            "the internal note",
            TIMEOUT,
            created(note["id"].as_str().expect("id")),
        )
        .await;
    assert_eq!(event["message"]["visibility"], "employees");
    let page = bob
        .ok(
            "history.get",
            json!({"roomId": room_id, "afterSeq": 0, "limit": 50}),
        )
        .await;
    let seen: Vec<_> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| (m["id"].clone(), m["visibility"].clone()))
        .collect();
    assert!(
        seen.contains(&(note["id"].clone(), json!("employees"))),
        "{page}"
    );
    assert!(
        seen.contains(&(plain["id"].clone(), json!("everyone"))),
        "{page}"
    );
}

#[tokio::test]
async fn an_unknown_visibility_is_a_bad_request() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "group", "Vis").await;
    alice
        .refused(
            "message.send",
            json!({"roomId": room["id"], "clientMsgId": "x", "text": "t", "visibility": "admins"}),
            "bad_request",
        )
        .await;
}

#[tokio::test]
async fn typing_reaches_the_other_members_but_not_the_typist() {
    let server = TestServer::start().await;
    let (_, alice_id, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let (_, _, carol) = server.user("carol").await;
    let room = create_room(&alice, "group", "Typing").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;
    alice.ok("typing", json!({"roomId": room_id})).await;
    let is_typing = |e: &serde_json::Value| e["type"] == "typing" && e["roomId"] == room_id;
    let event = bob.wait_event("typing", TIMEOUT, is_typing).await;
    assert_eq!(event["userId"], alice_id.as_str());
    alice
        .expect_no_event("own typing echo", QUIET, is_typing)
        .await;
    carol
        .expect_no_event("typing of a room carol is not in", QUIET, is_typing)
        .await;
}

#[tokio::test]
async fn a_non_member_cannot_send_to_or_read_a_room() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (_, _, carol) = server.user("carol").await;
    let room = create_room(&alice, "solo", "Private").await;
    let room_id = room["id"].as_str().expect("room id");
    for (action, fields) in [
        (
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "x", "text": "let me in"}),
        ),
        ("history.get", json!({"roomId": room_id})),
        ("room.get", json!({"roomId": room_id})),
    ] {
        let reply = carol.call(action, fields).await;
        assert_eq!(reply["ok"], json!(false), "{action}: {reply}");
        let code = reply["error"]["code"].as_str().unwrap_or_default();
        assert!(
            code == "not_found" || code == "forbidden",
            "{action}: {reply}"
        );
    }
    alice
        .expect_no_event("a message from a non-member", QUIET, created_in(room_id))
        .await;
}
