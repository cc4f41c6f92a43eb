//! Supervisors over the wire: the `GET /supervisor/*` floor view with live
//! counts while people connect and disconnect, silent `supervisor.observe`,
//! `supervisor.breakIn` into a `solo` room, the audit log, and a disabled last employee
//! handing the guest to a supervisor queue (PROTOCOL §2–3, DESIGN §3 Supervisors,
//! issue 5). The `/admin/users` routes themselves are in `admins.rs`.

use chat_e2e::{
    QUIET, TIMEOUT, TestServer, audit_by, create_room, created, error_code, invite_guest,
    room_updated, send_message, sorted_by_id, system_message_in,
};
use serde_json::{Value, json};

/// `(onlineCount, memberCount, guestCount, employeeCount, robotCount)`.
fn counts(s: &Value) -> Vec<Value> {
    [
        "onlineCount",
        "memberCount",
        "guestCount",
        "employeeCount",
        "robotCount",
    ]
    .iter()
    .map(|k| s[*k].clone())
    .collect()
}

#[tokio::test]
async fn supervisor_counts_follow_people_connecting_and_disconnecting() {
    let server = TestServer::start().await;
    let sam = server.login("sam").await;
    let (alice_token, alice_id, alice) = server.user("alice").await;
    let alice_tab = server.ws(&alice_token).await;
    let room = create_room(&alice, "group", "Counted").await;
    let room_id = room["id"].as_str().expect("room id");
    let code = invite_guest(&alice, room_id).await;
    let (_, guest_id, _, guest) = server.guest(&code, "John").await;

    let s = server
        .room_summary_when(&sam, room_id, "guest online", |s| s["onlineCount"] == 2)
        .await;
    assert_eq!(
        counts(&s),
        vec![json!(2), json!(2), json!(1), json!(1), json!(0)],
        "{s}"
    );
    assert_eq!(
        (s["kind"].clone(), s["title"].clone(), s["status"].clone()),
        (json!("group"), json!("Counted"), json!("open")),
        "{s}"
    );
    assert_eq!(s["issueId"], room["issueId"], "{s}");
    assert_eq!(s["tier"], "T1", "{s}");
    assert!(s["createdAt"].is_string(), "{s}");
    let body = server
        .get_ok(&sam, &format!("/supervisor/rooms/{room_id}/participants"))
        .await;
    let people = body["participants"].as_array().expect("participants");
    let find = |id: &str| {
        people
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not in {body}"))
    };
    let (a, g) = (find(&alice_id), find(&guest_id));
    assert_eq!(
        (a["kind"].clone(), a["tier"].clone(), a["online"].clone()),
        (json!("employee"), json!("T1"), json!(true))
    );
    assert_eq!(
        (g["kind"].clone(), g["online"].clone()),
        (json!("guest"), json!(true))
    );
    assert!(g["tier"].is_null(), "{g}");
    assert!(
        a["displayName"].is_string() && g["joinedAt"].is_string(),
        "{body}"
    );
    let open = server.get_ok(&sam, "/supervisor/rooms?status=open").await;
    assert!(
        open["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .any(|r| r["id"] == room_id)
    );
    let concluded = server
        .get_ok(&sam, "/supervisor/rooms?status=concluded")
        .await;
    assert!(
        !concluded["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .any(|r| r["id"] == room_id)
    );

    // The guest goes: still a member, no longer online.
    guest.close().await;
    let s = server
        .room_summary_when(&sam, room_id, "guest offline", |s| s["onlineCount"] == 1)
        .await;
    assert_eq!(
        counts(&s),
        vec![json!(1), json!(2), json!(1), json!(1), json!(0)],
        "{s}"
    );
    assert_eq!(
        server.online_flags(&sam, room_id).await,
        sorted_by_id(vec![
            (alice_id.clone(), json!(true)),
            (guest_id.clone(), json!(false))
        ])
    );

    // Alice closes one of her two connections: she is still online.
    alice_tab.close().await;
    tokio::time::sleep(QUIET).await;
    let s = server.room_summary(&sam, room_id).await;
    assert_eq!(
        counts(&s),
        vec![json!(1), json!(2), json!(1), json!(1), json!(0)],
        "{s}"
    );
    assert_eq!(
        server.online_flags(&sam, room_id).await,
        sorted_by_id(vec![
            (alice_id.clone(), json!(true)),
            (guest_id.clone(), json!(false))
        ])
    );

    // Her last connection closes: nobody is online, both are still members.
    alice.close().await;
    let s = server
        .room_summary_when(&sam, room_id, "alice offline", |s| s["onlineCount"] == 0)
        .await;
    assert_eq!(
        counts(&s),
        vec![json!(0), json!(2), json!(1), json!(1), json!(0)],
        "{s}"
    );
    assert_eq!(
        server.online_flags(&sam, room_id).await,
        sorted_by_id(vec![
            (alice_id.clone(), json!(false)),
            (guest_id.clone(), json!(false))
        ])
    );

    let _back = server.ws(&alice_token).await;
    server
        .room_summary_when(&sam, room_id, "alice back online", |s| {
            s["onlineCount"] == 1
        })
        .await;
}

#[tokio::test]
async fn the_floor_view_is_for_supervisors_and_shows_everything() {
    let server = TestServer::start().await;
    let sam = server.login("sam").await;
    let admin = server.login("admin").await;
    let (alice_token, _, alice) = server.user("alice").await;
    let (bob_token, _, _bob) = server.user("bob").await;

    assert_eq!(
        server.queue_lengths(&sam).await,
        vec![("T1".into(), 0), ("T2".into(), 0), ("T3".into(), 0)]
    );
    let room = create_room(&alice, "solo", "Transcript").await;
    let room_id = room["id"].as_str().expect("room id");
    let issue_id = room["issueId"].as_str().expect("issue id");
    let note = alice
        .ok(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "n", "text": "internal", "visibility": "employees"}),
        )
        .await["message"]
        .clone();
    let plain = send_message(&alice, room_id, "p", "for everyone").await;

    let page = server
        .get_ok(&sam, &format!("/supervisor/rooms/{room_id}/messages"))
        .await;
    let ids: Vec<Value> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert!(
        ids.contains(&note["id"]) && ids.contains(&plain["id"]),
        "{page}"
    );
    assert_eq!(page["hasMore"], json!(false), "{page}");

    let has_issue = |body: &Value| {
        body["issues"]
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x["id"] == issue_id))
    };
    for (query, expected) in [
        ("", true),
        ("?tier=T1", true),
        ("?status=open", true),
        ("?tier=T2", false),
        ("?status=concluded", false),
    ] {
        let body = server
            .get_ok(&sam, &format!("/supervisor/issues{query}"))
            .await;
        assert_eq!(
            has_issue(&body),
            expected,
            "/supervisor/issues{query}: {body}"
        );
    }

    let (status, body) = server
        .http(
            "GET",
            "/supervisor/rooms/room_nope/participants",
            None,
            Some(&sam),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let audit = server.get_ok(&admin, "/supervisor/audit").await;
    assert!(
        audit["entries"].is_array(),
        "admins read the audit log: {audit}"
    );

    for token in [&alice_token, &bob_token] {
        for path in [
            "/supervisor/rooms".to_string(),
            format!("/supervisor/rooms/{room_id}/participants"),
            format!("/supervisor/rooms/{room_id}/messages"),
            "/supervisor/issues".to_string(),
            "/supervisor/queues".to_string(),
            "/supervisor/audit".to_string(),
        ] {
            let (status, body) = server.http("GET", &path, None, Some(token)).await;
            assert_eq!(status, 403, "GET {path} as an ordinary employee: {body}");
            assert_eq!(error_code(&body), "forbidden", "{body}");
        }
    }
    let (status, body) = server.http("GET", "/supervisor/rooms", None, None).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn break_in_into_a_solo_room_is_for_supervisors_only() {
    let server = TestServer::start().await;
    let sam_token = server.login("sam").await;
    let (_, alice_id, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let (_, sam_id, sam) = server.user("sam").await;
    let room = create_room(&alice, "solo", "Private").await;
    let room_id = room["id"].as_str().expect("room id");
    let code = invite_guest(&alice, room_id).await;
    let (_, _, _, guest) = server.guest(&code, "John").await;

    bob.refused(
        "supervisor.breakIn",
        json!({"roomId": room_id}),
        "forbidden",
    )
    .await;
    bob.refused("room.join", json!({"roomId": room_id}), "forbidden")
        .await;
    guest
        .refused(
            "supervisor.breakIn",
            json!({"roomId": room_id}),
            "forbidden",
        )
        .await;
    let got = alice.ok("room.get", json!({"roomId": room_id})).await;
    assert_eq!(
        got["room"]["memberCount"], 2,
        "a refused break-in added someone"
    );

    let (alice_mark, guest_mark) = (alice.mark(), guest.mark());
    let joined = sam
        .ok("supervisor.breakIn", json!({"roomId": room_id}))
        .await["room"]
        .clone();
    assert_eq!(joined["memberCount"], 3, "{joined}");
    let me = joined["members"]
        .as_array()
        .and_then(|m| m.iter().find(|p| p["id"] == sam_id.as_str()).cloned())
        .unwrap_or_else(|| panic!("sam is not a member: {joined}"));
    assert_eq!(
        (me["kind"].clone(), me["tier"].clone()),
        (json!("employee"), json!("T2"))
    );
    for (ws, mark, who) in [
        (&alice, alice_mark, "alice"),
        (&guest, guest_mark, "the guest"),
    ] {
        let event = ws
            .wait_event_since(
                mark,
                "the break-in system message",
                TIMEOUT,
                system_message_in(room_id),
            )
            .await;
        let text = event["message"]["text"].as_str().unwrap_or_default();
        assert!(text.contains("joined"), "{who} got {event}");
        assert_eq!(event["message"]["visibility"], "everyone", "{event}");
        ws.wait_event_since(
            mark,
            "room.updated with one more member",
            TIMEOUT,
            room_updated(room_id, |r| r["memberCount"] == 3),
        )
        .await;
    }
    let s = server.room_summary(&sam_token, room_id).await;
    assert_eq!(
        (s["memberCount"].clone(), s["employeeCount"].clone()),
        (json!(3), json!(2)),
        "{s}"
    );

    // Now a member: sam talks to everyone and whispers to the employees.
    let hi = send_message(&sam, room_id, "s-hi", "Supervisor here").await;
    guest
        .wait_event(
            "the supervisor's message",
            TIMEOUT,
            created(hi["id"].as_str().expect("id")),
        )
        .await;
    let whisper = sam
        .ok(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "s-w", "text": "whisper", "visibility": "employees"}),
        )
        .await["message"]
        .clone();
    let whisper_id = whisper["id"].as_str().expect("id");
    alice
        .wait_event("the whisper", TIMEOUT, created(whisper_id))
        .await;
    guest
        .expect_no_event("the whisper", QUIET, created(whisper_id))
        .await;

    let entries = server.audit_entries(&sam_token, room_id, "break").await;
    assert!(
        entries.iter().any(|e| audit_by(e, &sam_id, "sam")),
        "{entries:?}"
    );
    assert!(
        !entries
            .iter()
            .any(|e| audit_by(e, &bob_id, "bob") || audit_by(e, &alice_id, "alice")),
        "a refused break-in was recorded as one: {entries:?}"
    );
}

#[tokio::test]
async fn observing_is_silent_and_sees_every_visibility() {
    let server = TestServer::start().await;
    let sam_token = server.login("sam").await;
    let (_, _, alice) = server.user("alice").await;
    let (_, _, bob) = server.user("bob").await;
    let (_, sam_id, sam) = server.user("sam").await;
    let room = create_room(&alice, "solo", "Watched").await;
    let room_id = room["id"].as_str().expect("room id");
    let code = invite_guest(&alice, room_id).await;
    let (_, _, _, guest) = server.guest(&code, "John").await;
    alice
        .wait_event(
            "the guest online",
            TIMEOUT,
            room_updated(room_id, |r| r["onlineCount"] == 2),
        )
        .await;

    bob.refused(
        "supervisor.observe",
        json!({"roomId": room_id}),
        "forbidden",
    )
    .await;
    let (alice_mark, guest_mark) = (alice.mark(), guest.mark());
    let watched = sam
        .ok("supervisor.observe", json!({"roomId": room_id}))
        .await["room"]
        .clone();
    assert_eq!(watched["id"], room_id);
    assert_eq!(
        watched["memberCount"], 2,
        "observing is not joining: {watched}"
    );
    let mentions_sam = |e: &Value| e.to_string().contains(&sam_id) || system_message_in(room_id)(e);
    alice
        .expect_no_event_since(alice_mark, "a trace of the observer", QUIET, mentions_sam)
        .await;
    guest
        .expect_no_event_since(guest_mark, "a trace of the observer", QUIET, mentions_sam)
        .await;

    let note = alice
        .ok(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "n", "text": "internal", "visibility": "employees"}),
        )
        .await["message"]
        .clone();
    let seen = sam
        .wait_event(
            "the employees-only note",
            TIMEOUT,
            created(note["id"].as_str().expect("id")),
        )
        .await;
    assert_eq!(seen["message"]["visibility"], "employees");
    let from_guest = send_message(&guest, room_id, "g", "anyone there?").await;
    sam.wait_event(
        "the guest's message",
        TIMEOUT,
        created(from_guest["id"].as_str().expect("id")),
    )
    .await;

    let got = alice.ok("room.get", json!({"roomId": room_id})).await["room"].clone();
    assert_eq!(got["memberCount"], 2, "{got}");
    assert!(
        !got.to_string().contains(&sam_id),
        "the observer shows: {got}"
    );
    let mine = sam.ok("room.list", json!({})).await;
    assert!(
        !mine["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .any(|r| r["id"] == room_id),
        "observing made sam a member: {mine}"
    );
    let entries = server.audit_entries(&sam_token, room_id, "observe").await;
    assert!(
        entries.iter().any(|e| audit_by(e, &sam_id, "sam")),
        "{entries:?}"
    );
}

#[tokio::test]
async fn disabling_the_last_employee_hands_the_guest_to_a_supervisor() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let admin_id = server.user_id(&admin).await;
    let sam_token = server.login("sam").await;
    let (_, sam_id, sam) = server.user("sam").await;
    let (alice_token, alice_id, alice) = server.user("alice").await;
    let room = create_room(&alice, "solo", "Stranded?").await;
    let room_id = room["id"].as_str().expect("room id");
    let code = invite_guest(&alice, room_id).await;
    let (_, _, _, guest) = server.guest(&code, "John").await;
    guest.ok("room.get", json!({"roomId": room_id})).await;

    let mark = guest.mark();
    let (status, body) = server
        .http(
            "PATCH",
            &format!("/admin/users/{alice_id}"),
            Some(json!({"enabled": false})),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["identity"]["userId"], alice_id.as_str(), "{body}");
    alice.wait_closed(TIMEOUT).await;
    let (status, _) = server.http("GET", "/me", None, Some(&alice_token)).await;
    assert_eq!(status, 401, "a disabled account's token still works");

    let told = guest
        .wait_event_since(
            mark,
            "a system message about the hand-over",
            TIMEOUT,
            system_message_in(room_id),
        )
        .await;
    assert!(
        told["message"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{told}"
    );
    let s = server.room_summary(&sam_token, room_id).await;
    assert_eq!(s["status"], "open", "{s}");
    assert!(
        s["waitingSince"].is_string(),
        "the room is not waiting for a supervisor: {s}"
    );
    assert_eq!(
        server.queue_lengths(&sam_token).await,
        vec![("T1".into(), 1), ("T2".into(), 0), ("T3".into(), 0)]
    );
    let entries = server.get_ok(&admin, "/supervisor/audit?limit=500").await;
    assert!(
        entries["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| {
                audit_by(e, &admin_id, "admin") && e["detail"].to_string().contains(&alice_id)
            }),
        "the admin change is not in the audit log: {entries}"
    );

    // A supervisor takes over: the room stops waiting.
    let mark = guest.mark();
    sam.ok("supervisor.breakIn", json!({"roomId": room_id}))
        .await;
    guest
        .wait_event_since(mark, "room.updated with the supervisor", TIMEOUT, |e| {
            room_updated(room_id, |_| true)(e) && e.to_string().contains(&sam_id)
        })
        .await;
    let s = server.room_summary(&sam_token, room_id).await;
    assert!(
        s["waitingSince"].is_null(),
        "still waiting after the break-in: {s}"
    );
    assert_eq!(
        server.queue_lengths(&sam_token).await,
        vec![("T1".into(), 0), ("T2".into(), 0), ("T3".into(), 0)]
    );
    let hello = send_message(&guest, room_id, "g", "thanks").await;
    sam.wait_event(
        "the guest's message",
        TIMEOUT,
        created(hello["id"].as_str().expect("id")),
    )
    .await;
}
