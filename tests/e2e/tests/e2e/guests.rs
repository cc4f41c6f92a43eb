//! Guests over the wire: joining by invite code (single use, expiring), the token's
//! scope, never seeing `employees` messages, the actions and routes they cannot reach,
//! and the guest-never-alone rule on `room.leave` / `room.remove` (PROTOCOL §2–3,
//! DESIGN §3 Identity and Rooms, issue 5).

use std::time::Duration;

use chat_e2e::{
    QUIET, TIMEOUT, TestServer, create_room, created, error_code, invite_guest, room_updated,
    send_message, system_message_in,
};
use serde_json::{Value, json};

fn member<'a>(room: &'a Value, id: &str) -> Option<&'a Value> {
    room["members"]
        .as_array()
        .and_then(|m| m.iter().find(|p| p["id"] == id))
}

fn ids(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Any event that carries or points at `message_id`, or any employees-only message.
fn leaks(message_id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e| {
        e["message"]["id"] == message_id
            || e["messageId"] == message_id
            || e["message"]["visibility"] == "employees"
    }
}

fn refused_as_outsider(reply: &Value) {
    assert_eq!(reply["ok"], json!(false), "{reply}");
    let code = error_code(reply);
    assert!(code == "not_found" || code == "forbidden", "{reply}");
}

#[tokio::test]
async fn a_guest_joins_by_invite_and_the_code_works_only_once() {
    let server = TestServer::start().await;
    let (_, alice_id, alice) = server.user("alice").await;
    let room = create_room(&alice, "solo", "Customer chat").await;
    let room_id = room["id"].as_str().expect("room id");
    let code = invite_guest(&alice, room_id).await;

    let (status, body) = server.guest_login(&code, "John Q").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["roomId"], room_id);
    assert!(body["expiresAt"].is_string(), "{body}");
    let identity = &body["identity"];
    assert_eq!(identity["kind"], "guest", "{identity}");
    assert_eq!(identity["displayName"], "John Q", "{identity}");
    assert!(
        identity["tier"].is_null(),
        "guests have no tier: {identity}"
    );
    assert_eq!(identity["roles"], json!([]), "{identity}");
    let token = body["token"].as_str().expect("a guest token").to_string();
    let guest_id = identity["userId"].as_str().expect("a guest id").to_string();
    assert_ne!(guest_id, alice_id);

    let (status, me) = server.http("GET", "/me", None, Some(&token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["identity"]["kind"], "guest");
    assert_eq!(me["identity"]["userId"], guest_id.as_str());

    let guest = server.ws(&token).await;
    let got = guest.ok("room.get", json!({"roomId": room_id})).await["room"].clone();
    assert_eq!(got["memberCount"], 2, "{got}");
    let me_there = member(&got, &guest_id).unwrap_or_else(|| panic!("guest not in {got}"));
    assert_eq!(me_there["kind"], "guest");
    assert_eq!(me_there["displayName"], "John Q");
    assert_eq!(me_there["online"], json!(true), "{me_there}");
    let listed = guest.ok("room.list", json!({})).await;
    assert_eq!(ids(&listed["rooms"]), vec![room_id.to_string()]);

    alice
        .wait_event(
            "room.updated with the guest online",
            TIMEOUT,
            room_updated(room_id, |r| r["memberCount"] == 2 && r["onlineCount"] == 2),
        )
        .await;
    let joined = alice
        .wait_event(
            "the system message announcing the guest",
            TIMEOUT,
            system_message_in(room_id),
        )
        .await;
    assert!(
        joined["message"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("joined")),
        "{joined}"
    );

    // The guest talks in the room like anyone else.
    let hello = send_message(&guest, room_id, "g-hello", "Hi, my form is broken").await;
    let seen = alice
        .wait_event(
            "the guest's message",
            TIMEOUT,
            created(hello["id"].as_str().expect("message id")),
        )
        .await;
    assert_eq!(seen["message"]["author"]["kind"], "guest");
    assert_eq!(seen["message"]["author"]["id"], guest_id.as_str());

    // Single use: the same code again is a 401 and adds nobody.
    let (status, again) = server.guest_login(&code, "Someone else").await;
    assert_eq!(status, 401, "{again}");
    assert_eq!(error_code(&again), "unauthorized");
    let got = alice.ok("room.get", json!({"roomId": room_id})).await;
    assert_eq!(got["room"]["memberCount"], 2);
}

#[tokio::test]
async fn unknown_and_expired_invite_codes_are_refused() {
    let server = TestServer::start_with(|o| o.invite_ttl = Some(Duration::from_secs(1))).await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "group", "Short invites").await;
    let room_id = room["id"].as_str().expect("room id");

    for bogus in ["not-a-real-code", ""] {
        let (status, body) = server.guest_login(bogus, "Mallory").await;
        assert_eq!(status, 401, "code {bogus:?}: {body}");
        assert_eq!(error_code(&body), "unauthorized", "{body}");
    }

    let data = alice
        .ok("room.inviteGuest", json!({"roomId": room_id}))
        .await;
    let expires =
        chrono::DateTime::parse_from_rfc3339(data["expiresAt"].as_str().expect("expiresAt"))
            .expect("expiresAt is RFC 3339")
            .with_timezone(&chrono::Utc);
    let left = expires - chrono::Utc::now();
    assert!(
        left <= chrono::Duration::seconds(5),
        "the configured 1 s lifetime is not applied: expires at {expires}"
    );
    let stale = data["inviteCode"].as_str().expect("inviteCode").to_string();
    // A code used at once still works with the short lifetime.
    let fresh = invite_guest(&alice, room_id).await;
    let (status, body) = server.guest_login(&fresh, "Early").await;
    assert_eq!(status, 200, "{body}");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = server.guest_login(&stale, "Late").await;
    assert_eq!(status, 401, "an expired code: {body}");
    assert_eq!(error_code(&body), "unauthorized");
    let got = alice.ok("room.get", json!({"roomId": room_id})).await;
    assert_eq!(got["room"]["memberCount"], 2, "only the early guest joined");
}

#[tokio::test]
async fn guests_never_see_employee_only_messages() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "solo", "Visibility").await;
    let room_id = room["id"].as_str().expect("room id");
    let code = invite_guest(&alice, room_id).await;
    let (_, _, _, guest) = server.guest(&code, "John").await;

    let note = alice
        .ok(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "note", "text": "internal: grumpy customer", "visibility": "employees"}),
        )
        .await["message"]
        .clone();
    let note_id = note["id"].as_str().expect("note id");
    assert_eq!(note["visibility"], "employees");
    let hello = send_message(&alice, room_id, "hello", "Hello John").await;
    let hello_id = hello["id"].as_str().expect("message id");

    // Events reach a connection in order: once the later message is there, the note
    // would have been too.
    guest
        .wait_event("the everyone message", TIMEOUT, created(hello_id))
        .await;
    guest
        .expect_no_event("the employees-only note", QUIET, leaks(note_id))
        .await;

    let page = guest.ok("history.get", json!({"roomId": room_id})).await;
    let seen = ids(&page["messages"]);
    assert!(seen.contains(&hello_id.to_string()), "{page}");
    assert!(
        !seen.contains(&note_id.to_string()),
        "note in guest history: {page}"
    );
    assert!(
        page["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .all(|m| m["visibility"] == "everyone"),
        "{page}"
    );
    let after = note["seq"].as_u64().expect("seq") - 1;
    let page = guest
        .ok("history.get", json!({"roomId": room_id, "afterSeq": after}))
        .await;
    assert!(
        !ids(&page["messages"]).contains(&note_id.to_string()),
        "{page}"
    );
    let page = alice.ok("history.get", json!({"roomId": room_id})).await;
    assert!(
        ids(&page["messages"]).contains(&note_id.to_string()),
        "{page}"
    );

    // A guest cannot write one either, and the refused message is stored nowhere.
    guest
        .refused(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "g-secret", "text": "psst", "visibility": "employees"}),
            "forbidden",
        )
        .await;
    alice
        .expect_no_event("the refused guest message", QUIET, |e| {
            e["type"] == "message.created" && e["message"]["text"] == "psst"
        })
        .await;
    let ok = guest
        .ok(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "g-open", "text": "hello all", "visibility": "everyone"}),
        )
        .await;
    assert_eq!(ok["message"]["visibility"], "everyone");
}

#[tokio::test]
async fn guests_cannot_manage_rooms_nor_reach_staff_routes() {
    let server = TestServer::start().await;
    let (alice_token, alice_id, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "group", "Scoped").await;
    let room_id = room["id"].as_str().expect("room id");
    let other = create_room(&bob, "group", "Elsewhere").await;
    let other_id = other["id"].as_str().expect("room id");
    let code = invite_guest(&alice, room_id).await;
    let (token, guest_id, _, guest) = server.guest(&code, "John").await;

    let forbidden = [
        (
            "room.create",
            json!({"kind": "group", "title": "Mine", "issue": {"title": "x"}}),
        ),
        ("room.inviteGuest", json!({"roomId": room_id})),
        ("room.invite", json!({"roomId": room_id, "userId": bob_id})),
        (
            "room.remove",
            json!({"roomId": room_id, "userId": alice_id}),
        ),
        ("supervisor.observe", json!({"roomId": room_id})),
        ("supervisor.observe", json!({"roomId": other_id})),
        ("supervisor.breakIn", json!({"roomId": room_id})),
        ("supervisor.breakIn", json!({"roomId": other_id})),
    ];
    for (action, fields) in forbidden {
        guest.refused(action, fields, "forbidden").await;
    }
    // Another room does not exist for a guest's token.
    refused_as_outsider(&guest.call("room.get", json!({"roomId": other_id})).await);
    refused_as_outsider(&guest.call("room.join", json!({"roomId": other_id})).await);
    refused_as_outsider(&guest.call("history.get", json!({"roomId": other_id})).await);
    let got = alice.ok("room.get", json!({"roomId": room_id})).await;
    assert_eq!(got["room"]["memberCount"], 2, "nobody was added or removed");
    let got = bob.ok("room.get", json!({"roomId": other_id})).await;
    assert_eq!(got["room"]["memberCount"], 1, "nobody broke in");

    let new_user = json!({"username": "eve", "password": "eve-pass-123", "kind": "employee",
                          "tier": "T3", "roles": ["admin"], "displayName": "Eve"});
    let routes = [
        ("GET", "/users".to_string(), None),
        ("GET", "/users?online=true".to_string(), None),
        ("GET", "/supervisor/rooms".to_string(), None),
        ("GET", "/supervisor/rooms?status=all".to_string(), None),
        (
            "GET",
            format!("/supervisor/rooms/{room_id}/participants"),
            None,
        ),
        ("GET", format!("/supervisor/rooms/{room_id}/messages"), None),
        ("GET", "/supervisor/issues".to_string(), None),
        ("GET", "/supervisor/queues".to_string(), None),
        ("GET", "/supervisor/audit".to_string(), None),
        ("GET", "/admin/users".to_string(), None),
        ("POST", "/admin/users".to_string(), Some(new_user)),
        (
            "PATCH",
            format!("/admin/users/{alice_id}"),
            Some(json!({"enabled": false})),
        ),
        (
            "PATCH",
            format!("/admin/users/{guest_id}"),
            Some(json!({"roles": ["admin"]})),
        ),
    ];
    for (method, path, body) in routes {
        let (status, answer) = server.http(method, &path, body, Some(&token)).await;
        assert_eq!(status, 403, "{method} {path} as a guest: {answer}");
        assert_eq!(
            error_code(&answer),
            "forbidden",
            "{method} {path}: {answer}"
        );
    }
    // Nothing changed: alice still works, no "eve".
    let (status, me) = server.http("GET", "/me", None, Some(&alice_token)).await;
    assert_eq!(status, 200, "alice was disabled by a guest: {me}");
    let (status, _) = server
        .http(
            "POST",
            "/auth/login",
            Some(json!({"username": "eve", "password": "eve-pass-123"})),
            None,
        )
        .await;
    assert_eq!(status, 401, "a guest created an account");
    let (status, me) = server.http("GET", "/me", None, Some(&token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["identity"]["roles"], json!([]), "{me}");
}

#[tokio::test]
async fn the_last_employee_cannot_leave_a_guest_alone() {
    let server = TestServer::start().await;
    let (_, alice_id, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "solo", "Never alone").await;
    let room_id = room["id"].as_str().expect("room id");
    let code = invite_guest(&alice, room_id).await;
    let (_, guest_id, _, guest) = server.guest(&code, "John").await;

    alice
        .refused("room.leave", json!({"roomId": room_id}), "guest_alone")
        .await;
    alice
        .refused(
            "room.remove",
            json!({"roomId": room_id, "userId": alice_id}),
            "guest_alone",
        )
        .await;
    let got = guest.ok("room.get", json!({"roomId": room_id})).await["room"].clone();
    assert_eq!(got["memberCount"], 2, "{got}");
    assert!(member(&got, &alice_id).is_some(), "{got}");

    // With a second employee present, one of them may go.
    alice
        .ok("room.invite", json!({"roomId": room_id, "userId": bob_id}))
        .await;
    let removed = bob
        .ok(
            "room.remove",
            json!({"roomId": room_id, "userId": alice_id}),
        )
        .await["room"]
        .clone();
    assert_eq!(removed["memberCount"], 2, "{removed}");
    assert!(member(&removed, &alice_id).is_none(), "{removed}");
    assert!(member(&removed, &guest_id).is_some(), "{removed}");
    alice
        .wait_event(
            "room.updated telling alice she was removed",
            TIMEOUT,
            room_updated(room_id, |r| r["memberCount"] == 2),
        )
        .await;

    // Now bob is the last employee: the same rule holds for him.
    bob.refused("room.leave", json!({"roomId": room_id}), "guest_alone")
        .await;
    bob.refused(
        "room.remove",
        json!({"roomId": room_id, "userId": bob_id}),
        "guest_alone",
    )
    .await;
    let got = guest.ok("room.get", json!({"roomId": room_id})).await["room"].clone();
    assert_eq!(
        member(&got, &bob_id).map(|m| m["kind"].clone()),
        Some(json!("employee")),
        "{got}"
    );

    // Once the guest has gone, the employee is free to go too.
    guest.ok("room.leave", json!({"roomId": room_id})).await;
    bob.ok("room.leave", json!({"roomId": room_id})).await;
}
