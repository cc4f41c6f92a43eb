//! Rooms: create, list, get, join (group only), invite, leave, remove, and the
//! `room.updated` events whose member and online counts follow memberships and open
//! connections (PROTOCOL §3, DESIGN §3 Rooms and issues).

use chat_e2e::{QUIET, TIMEOUT, TestServer, create_room, room_updated};
use serde_json::{Value, json};

fn member_ids(room: &Value) -> Vec<String> {
    room["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|p| p["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn refused_as_non_member(reply: &Value) {
    assert_eq!(reply["ok"], json!(false), "{reply}");
    let code = reply["error"]["code"].as_str().unwrap_or_default();
    assert!(code == "not_found" || code == "forbidden", "{reply}");
}

#[tokio::test]
async fn creating_a_room_opens_an_issue_and_makes_the_creator_a_member() {
    let server = TestServer::start().await;
    let (_, alice_id, alice) = server.user("alice").await;
    let data = alice
        .ok(
            "room.create",
            json!({"kind": "group", "title": "Billing", "issue": {"title": "Invoice wrong", "customerName": "John Q"}}),
        )
        .await;
    let (room, issue) = (&data["room"], &data["issue"]);
    assert_eq!(room["kind"], "group");
    assert_eq!(room["title"], "Billing");
    assert_eq!(room["status"], "open");
    assert_eq!(room["restricted"], json!(false));
    assert_eq!(room["issueId"], issue["id"]);
    assert_eq!(room["memberCount"], 1);
    assert_eq!(room["onlineCount"], 1, "the creator is connected");
    assert_eq!(member_ids(room), vec![alice_id.clone()]);
    let me = &room["members"][0];
    assert_eq!(
        (me["kind"].clone(), me["tier"].clone(), me["online"].clone()),
        (json!("employee"), json!("T1"), json!(true))
    );
    assert!(
        me["displayName"].is_string() && me["joinedAt"].is_string(),
        "{me}"
    );
    assert!(room["createdAt"].is_string(), "{room}");

    assert_eq!(issue["title"], "Invoice wrong");
    assert_eq!(issue["customerName"], "John Q");
    assert_eq!(issue["tier"], "T1", "an issue opened by a T1 starts at T1");
    assert_eq!(issue["status"], "open");
    assert!(
        issue["roomIds"]
            .as_array()
            .is_some_and(|r| r.contains(&room["id"])),
        "{issue}"
    );
}

#[tokio::test]
async fn a_solo_room_is_restricted() {
    let server = TestServer::start().await;
    let (_, _, bob) = server.user("bob").await;
    let room = create_room(&bob, "solo", "One to one").await;
    assert_eq!(room["kind"], "solo");
    assert_eq!(room["restricted"], json!(true));
}

#[tokio::test]
async fn room_list_and_get_show_only_the_callers_rooms() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (_, _, bob) = server.user("bob").await;
    let mine = create_room(&alice, "group", "Mine").await;
    let theirs = create_room(&bob, "group", "Theirs").await;

    let listed = alice.ok("room.list", json!({})).await;
    let ids: Vec<Value> = listed["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, vec![mine["id"].clone()]);
    let got = alice.ok("room.get", json!({"roomId": mine["id"]})).await;
    assert_eq!(got["room"]["id"], mine["id"]);
    assert_eq!(got["room"]["title"], "Mine");
    refused_as_non_member(
        &alice
            .call("room.get", json!({"roomId": theirs["id"]}))
            .await,
    );
    refused_as_non_member(
        &alice
            .call("room.get", json!({"roomId": "room_does_not_exist"}))
            .await,
    );
}

#[tokio::test]
async fn joining_a_group_room_updates_everyones_counts() {
    let server = TestServer::start().await;
    let (_, alice_id, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "group", "Open door").await;
    let room_id = room["id"].as_str().expect("room id");

    let joined = bob.ok("room.join", json!({"roomId": room_id})).await["room"].clone();
    assert_eq!(joined["memberCount"], 2);
    assert_eq!(joined["onlineCount"], 2);
    let mut ids = member_ids(&joined);
    ids.sort();
    let mut expected = vec![alice_id, bob_id];
    expected.sort();
    assert_eq!(ids, expected);
    alice
        .wait_event(
            "room.updated after the join",
            TIMEOUT,
            room_updated(room_id, |r| r["memberCount"] == 2 && r["onlineCount"] == 2),
        )
        .await;
    // Joining twice changes nothing.
    let again = bob.ok("room.join", json!({"roomId": room_id})).await;
    assert_eq!(again["room"]["memberCount"], 2);
}

#[tokio::test]
async fn nobody_joins_a_solo_room_on_their_own_but_a_member_can_invite_them() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (_, carol_id, carol) = server.user("carol").await;
    let room = create_room(&alice, "solo", "Private").await;
    let room_id = room["id"].as_str().expect("room id");

    carol
        .refused("room.join", json!({"roomId": room_id}), "forbidden")
        .await;
    let invited = alice
        .ok(
            "room.invite",
            json!({"roomId": room_id, "userId": carol_id}),
        )
        .await;
    assert_eq!(invited["room"]["memberCount"], 2);
    assert!(member_ids(&invited["room"]).contains(&carol_id));
    carol
        .wait_event(
            "room.updated for the invitee",
            TIMEOUT,
            room_updated(room_id, |r| r["memberCount"] == 2),
        )
        .await;
    let listed = carol.ok("room.list", json!({})).await;
    assert!(
        listed["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .any(|r| r["id"] == room_id),
        "{listed}"
    );
    carol.ok("room.get", json!({"roomId": room_id})).await;
}

#[tokio::test]
async fn invitations_need_a_member_and_an_existing_user() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "group", "Guarded").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .refused(
            "room.invite",
            json!({"roomId": room_id, "userId": "usr_nobody"}),
            "not_found",
        )
        .await;
    refused_as_non_member(
        &bob.call("room.invite", json!({"roomId": room_id, "userId": bob_id}))
            .await,
    );
    let got = alice.ok("room.get", json!({"roomId": room_id})).await;
    assert_eq!(got["room"]["memberCount"], 1);
}

#[tokio::test]
async fn leaving_a_room_updates_the_others_and_ends_access() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "group", "Exit").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;

    let left = bob.ok("room.leave", json!({"roomId": room_id})).await;
    assert_eq!(left["room"]["memberCount"], 1);
    assert!(!member_ids(&left["room"]).contains(&bob_id));
    alice
        .wait_event(
            "room.updated after leaving",
            TIMEOUT,
            room_updated(room_id, |r| r["memberCount"] == 1),
        )
        .await;
    let listed = bob.ok("room.list", json!({})).await;
    assert_eq!(listed["rooms"], json!([]));
    refused_as_non_member(
        &bob.call(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "c", "text": "still here?"}),
        )
        .await,
    );
    refused_as_non_member(&bob.call("room.leave", json!({"roomId": room_id})).await);
}

#[tokio::test]
async fn removing_a_member_tells_them_and_ends_access() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (_, carol_id, carol) = server.user("carol").await;
    let room = create_room(&alice, "solo", "Handover").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .ok(
            "room.invite",
            json!({"roomId": room_id, "userId": carol_id}),
        )
        .await;

    let removed = alice
        .ok(
            "room.remove",
            json!({"roomId": room_id, "userId": carol_id}),
        )
        .await;
    assert_eq!(removed["room"]["memberCount"], 1);
    carol
        .wait_event(
            "room.updated telling carol she was removed",
            TIMEOUT,
            room_updated(room_id, |r| r["memberCount"] == 1),
        )
        .await;
    refused_as_non_member(&carol.call("history.get", json!({"roomId": room_id})).await);
    alice
        .refused(
            "room.remove",
            json!({"roomId": room_id, "userId": carol_id}),
            "not_found",
        )
        .await;
}

#[tokio::test]
async fn online_count_follows_connections_opening_and_closing() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (bob_token, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "group", "Presence").await;
    let room_id = room["id"].as_str().expect("room id");
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;
    alice
        .wait_event(
            "both online",
            TIMEOUT,
            room_updated(room_id, |r| r["onlineCount"] == 2),
        )
        .await;

    bob.close().await;
    let offline = alice
        .wait_event(
            "bob offline",
            TIMEOUT,
            room_updated(room_id, |r| r["onlineCount"] == 1 && r["memberCount"] == 2),
        )
        .await;
    let bob_entry = offline["room"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["id"] == bob_id.as_str())
        .cloned()
        .expect("bob is still a member");
    assert_eq!(bob_entry["online"], json!(false));
    let got = alice.ok("room.get", json!({"roomId": room_id})).await;
    assert_eq!(
        (
            got["room"]["memberCount"].clone(),
            got["room"]["onlineCount"].clone()
        ),
        (json!(2), json!(1))
    );

    let mark = alice.mark();
    let bob = server.ws(&bob_token).await;
    alice
        .wait_event_since(
            mark,
            "bob back online",
            TIMEOUT,
            room_updated(room_id, |r| r["onlineCount"] == 2),
        )
        .await;
    let got = bob.ok("room.get", json!({"roomId": room_id})).await;
    assert_eq!(got["room"]["onlineCount"], 2);
}

#[tokio::test]
async fn a_second_connection_of_an_online_user_does_not_announce_anything_new() {
    let server = TestServer::start().await;
    let (token, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "group", "Tabs").await;
    let room_id = room["id"].as_str().expect("room id");
    let second = server.ws(&token).await;
    let got = second.ok("room.get", json!({"roomId": room_id})).await;
    assert_eq!(
        got["room"]["onlineCount"], 1,
        "online counts members, not sockets"
    );
    second.close().await;
    alice
        .expect_no_event(
            "alice offline while a tab is open",
            QUIET,
            room_updated(room_id, |r| r["onlineCount"] == 0),
        )
        .await;
}
