//! Issues over the wire (PROTOCOL `issue.escalate`, `issue.conclude`, `issue.rate`,
//! `GET /supervisor/issues|queues|csat`; issue 13): escalation T1→T2→T3 in the same room
//! and into a new one, the tier queue and the one-winner claim when employees connect,
//! conclusions, guests who disengage (also across a restart) and CSAT ratings. The same
//! scenarios as `shared/chat-core/tests/issues.rs`, on the real gateway and backend.
//!
//! Demo users: alice T1, bob T2, sam T2 (supervisor), carol T3, admin T3 (supervisor).
//! The supervisor queries are made as `admin` over HTTP only: with no socket open,
//! admin is never online and so never a candidate for a T3 assignment.

use std::time::Duration;

use chat_e2e::{
    TIMEOUT, TestServer, Ws, create_room, error_code, invite_guest, send_message, system_message_in,
};
use serde_json::{Value, json};

/// A solo room of `employee` with a guest in it: `(room id, guest token, guest id,
/// guest socket)`.
async fn room_with_guest(server: &TestServer, employee: &Ws) -> (String, String, String, Ws) {
    let room = create_room(employee, "solo", "Dana's form").await;
    let room_id = room["id"].as_str().expect("room id").to_string();
    let code = invite_guest(employee, &room_id).await;
    let (token, guest_id, joined, ws) = server.guest(&code, "Dana").await;
    assert_eq!(joined, room_id);
    (room_id, token, guest_id, ws)
}

fn member_ids(room: &Value) -> Vec<String> {
    room["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members in {room}"))
        .iter()
        .filter_map(|m| m["id"].as_str().map(String::from))
        .collect()
}

async fn room_of(ws: &Ws, room: &str) -> Value {
    ws.ok("room.get", json!({"roomId": room})).await["room"].clone()
}

/// Polls `room.get` as `ws`'s user until `pred` holds; panics after `within`.
async fn room_when(
    ws: &Ws,
    room: &str,
    what: &str,
    within: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let r = room_of(ws, room).await;
        if pred(&r) {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {within:?}; last room {r}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The issue `issue_id` as `GET /supervisor/issues` lists it.
async fn supervisor_issue(server: &TestServer, token: &str, issue_id: &str) -> Value {
    let body = server.get_ok(token, "/supervisor/issues").await;
    body["issues"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["id"] == issue_id).cloned())
        .unwrap_or_else(|| panic!("issue {issue_id} not in /supervisor/issues: {body}"))
}

fn history_events(issue: &Value) -> Vec<String> {
    issue["history"]
        .as_array()
        .unwrap_or_else(|| panic!("no history in {issue}"))
        .iter()
        .filter_map(|h| h["event"].as_str().map(String::from))
        .collect()
}

fn waiting(queues: &[(String, u64)], tier: &str) -> u64 {
    queues
        .iter()
        .find(|(t, _)| t == tier)
        .unwrap_or_else(|| panic!("no {tier} in queues {queues:?}"))
        .1
}

fn escalate(room: &str, new_room: bool) -> Value {
    json!({"roomId": room, "newRoom": new_room})
}

#[tokio::test]
async fn escalation_in_the_same_room_goes_t1_t2_t3_and_stops() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let (_, _, alice) = server.user("alice").await;
    let (_, bob_id, _bob) = server.user("bob").await;
    let (_, carol_id, _carol) = server.user("carol").await;
    let (room, _, _, _guest) = room_with_guest(&server, &alice).await;

    let d = alice
        .ok(
            "issue.escalate",
            json!({"roomId": room, "newRoom": false, "note": "needs logic help"}),
        )
        .await;
    assert_eq!(d["issue"]["tier"], "T2", "{d}");
    assert_eq!(d["room"]["id"], room.as_str(), "same room: {d}");
    assert!(
        member_ids(&d["room"]).contains(&bob_id),
        "bob (T2) invited: {d}"
    );
    assert!(d["room"]["waitingSince"].is_null(), "nobody waits: {d}");
    let issue_id = d["issue"]["id"].as_str().expect("issue id").to_string();

    let d = alice.ok("issue.escalate", escalate(&room, false)).await;
    assert_eq!(d["issue"]["tier"], "T3", "{d}");
    assert!(
        member_ids(&d["room"]).contains(&carol_id),
        "carol (T3) invited: {d}"
    );
    let members = member_ids(&room_of(&alice, &room).await);
    assert!(
        members.contains(&bob_id) && members.contains(&carol_id),
        "{members:?}"
    );

    alice
        .refused("issue.escalate", escalate(&room, false), "conflict")
        .await;

    let issue = supervisor_issue(&server, &admin, &issue_id).await;
    assert_eq!(issue["tier"], "T3", "{issue}");
    assert_eq!(issue["status"], "open", "{issue}");
    let events: Vec<String> = history_events(&issue)
        .into_iter()
        .filter(|e| ["opened", "escalated", "assigned"].contains(&e.as_str()))
        .collect();
    assert_eq!(
        events,
        ["opened", "escalated", "assigned", "escalated", "assigned"],
        "{issue}"
    );
    let notes: Vec<&Value> = issue["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| {
            h["event"] == "escalated"
                && h["note"]
                    .as_str()
                    .is_some_and(|n| n.contains("needs logic help"))
        })
        .collect();
    assert_eq!(notes.len(), 1, "the escalation note is kept: {issue}");
}

#[tokio::test]
async fn escalation_to_a_new_room_carries_the_guest_and_concludes_the_old_room() {
    let server = TestServer::start().await;
    let (_, alice_id, alice) = server.user("alice").await;
    let (_, bob_id, _bob) = server.user("bob").await;
    let (old, guest_token, guest_id, guest) = room_with_guest(&server, &alice).await;

    let d = alice.ok("issue.escalate", escalate(&old, true)).await;
    let new = d["room"]["id"].as_str().expect("new room id").to_string();
    assert_ne!(new, old);
    let mut members = member_ids(&d["room"]);
    members.sort();
    let mut expected = vec![alice_id.clone(), bob_id.clone(), guest_id.clone()];
    expected.sort();
    assert_eq!(members, expected, "alice, the guest and bob: {d}");
    assert_eq!(d["issue"]["tier"], "T2", "{d}");
    let room_ids = d["issue"]["roomIds"].as_array().expect("roomIds").clone();
    assert_eq!(room_ids, [json!(old), json!(new)], "{d}");

    let old_room = room_of(&alice, &old).await;
    assert_eq!(old_room["status"], "concluded", "{old_room}");
    assert_eq!(old_room["conclusion"], "escalated", "{old_room}");
    alice
        .refused(
            "message.send",
            json!({"roomId": old, "clientMsgId": "late", "text": "hi"}),
            "conflict",
        )
        .await;

    // The guest's session now reaches the new room and not the old one, on the socket
    // they had and on a new one.
    send_message(&guest, &new, "g1", "still here").await;
    guest
        .refused("history.get", json!({"roomId": old}), "not_found")
        .await;
    let again = server.ws(&guest_token).await;
    send_message(&again, &new, "g2", "me again").await;
    again
        .refused("history.get", json!({"roomId": old}), "not_found")
        .await;

    // Staff get the old transcript's path in an employees-only note; the guest sees
    // that the conversation goes on, never the supervisor path.
    let link = format!("/supervisor/rooms/{old}/transcript");
    let texts = |history: &Value| -> Vec<String> {
        history["messages"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .filter_map(|m| m["text"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let staff = texts(&alice.ok("history.get", json!({"roomId": new})).await);
    assert!(
        staff.iter().any(|t| t.contains(&link)),
        "the new room links the old transcript for staff: {staff:?}"
    );
    let seen = texts(&again.ok("history.get", json!({"roomId": new})).await);
    assert!(
        seen.iter()
            .any(|t| t.starts_with("This conversation continues from")),
        "{seen:?}"
    );
    assert!(
        seen.iter().all(|t| !t.contains("/supervisor/")),
        "a guest never sees the supervisor path: {seen:?}"
    );
}

#[tokio::test]
async fn a_waiting_room_goes_to_exactly_one_of_two_employees_who_connect_at_once() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let (_, _, alice) = server.user("alice").await;
    let (room, _, _, guest) = room_with_guest(&server, &alice).await;
    let mark = guest.mark();

    let d = alice.ok("issue.escalate", escalate(&room, false)).await;
    assert_eq!(d["issue"]["tier"], "T2", "{d}");
    assert!(
        d["room"]["waitingSince"].is_string(),
        "no T2 online: the room waits: {d}"
    );
    guest
        .wait_event_since(mark, "the queue notice", TIMEOUT, |e| {
            system_message_in(&room)(e)
                && e["message"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("in the queue"))
        })
        .await;
    assert_eq!(waiting(&server.queue_lengths(&admin).await, "T2"), 1);

    // Both T2 employees (bob, sam) open a socket at the same moment.
    let (sam_token, bob_token) = (server.login("sam").await, server.login("bob").await);
    let (sam_id, bob_id) = (
        server.user_id(&sam_token).await,
        server.user_id(&bob_token).await,
    );
    let (_sam, _bob) = tokio::join!(server.ws(&sam_token), server.ws(&bob_token));

    let taken = room_when(
        &alice,
        &room,
        "a T2 employee takes the room",
        TIMEOUT,
        |r| {
            let m = member_ids(r);
            m.contains(&sam_id) || m.contains(&bob_id)
        },
    )
    .await;
    // Give a losing claim time to land, then look again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = room_of(&alice, &room).await;
    let members = member_ids(&after);
    let t2: Vec<&String> = members
        .iter()
        .filter(|m| **m == sam_id || **m == bob_id)
        .collect();
    assert_eq!(
        t2.len(),
        1,
        "exactly one winner: {after} (first seen {taken})"
    );
    assert!(
        after["waitingSince"].is_null(),
        "no longer waiting: {after}"
    );
    assert_eq!(waiting(&server.queue_lengths(&admin).await, "T2"), 0);
    let issue = supervisor_issue(&server, &admin, d["issue"]["id"].as_str().unwrap()).await;
    let assigned = history_events(&issue)
        .iter()
        .filter(|e| *e == "assigned")
        .count();
    assert_eq!(assigned, 1, "one assignment in the history: {issue}");
}

#[tokio::test]
async fn a_room_concludes_once_then_is_read_only() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (room, _, _, guest) = room_with_guest(&server, &alice).await;
    send_message(&guest, &room, "g1", "it will not submit").await;

    alice
        .refused(
            "issue.conclude",
            json!({"roomId": room, "conclusion": "solved"}),
            "bad_request",
        )
        .await;
    guest
        .refused(
            "issue.conclude",
            json!({"roomId": room, "conclusion": "resolved"}),
            "forbidden",
        )
        .await;
    let d = alice
        .ok(
            "issue.conclude",
            json!({"roomId": room, "conclusion": "resolved", "note": "cleared the cache"}),
        )
        .await;
    assert_eq!(d["room"]["status"], "concluded", "{d}");
    assert_eq!(d["room"]["conclusion"], "resolved", "{d}");
    assert_eq!(d["issue"]["status"], "concluded", "last open room: {d}");
    assert_eq!(d["issue"]["conclusion"], "resolved", "{d}");

    alice
        .refused(
            "issue.conclude",
            json!({"roomId": room, "conclusion": "unresolved"}),
            "conflict",
        )
        .await;
    for (ws, id) in [(&guest, "late-g"), (&alice, "late-a")] {
        ws.refused(
            "message.send",
            json!({"roomId": room, "clientMsgId": id, "text": "hello?"}),
            "conflict",
        )
        .await;
    }
    let history = guest.ok("history.get", json!({"roomId": room})).await;
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert!(texts.contains(&"it will not submit"), "{history}");
    let room_now = room_of(&alice, &room).await;
    assert_eq!(room_now["conclusion"], "resolved", "{room_now}");
}

fn concluded_disengaged(r: &Value) -> bool {
    r["status"] == "concluded" && r["conclusion"] == "guest-disengaged"
}

#[tokio::test]
async fn a_guest_who_stays_away_is_disengaged_and_one_who_returns_is_not() {
    let server = TestServer::start_with_env(&[("CHAT_GUEST_AWAY_SECONDS", "2")]).await;
    let (_, _, alice) = server.user("alice").await;
    let (gone, _, _, gone_guest) = room_with_guest(&server, &alice).await;
    let (kept, kept_token, _, kept_guest) = room_with_guest(&server, &alice).await;

    gone_guest.close().await;
    kept_guest.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _back = server.ws(&kept_token).await;

    let r = room_when(
        &alice,
        &gone,
        "the absent guest's room concludes",
        Duration::from_secs(8),
        concluded_disengaged,
    )
    .await;
    assert_eq!(r["conclusion"], "guest-disengaged", "{r}");
    // The returning guest's timer has fired too by now (2 s after they left).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = room_of(&alice, &kept).await;
    assert_eq!(r["status"], "open", "the guest came back in time: {r}");
    assert!(r["conclusion"].is_null(), "{r}");
}

#[tokio::test]
async fn a_guest_who_leaves_concludes_the_room_at_once() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let (room, _, _, guest) = room_with_guest(&server, &alice).await;
    guest.ok("room.leave", json!({"roomId": room})).await;
    room_when(
        &alice,
        &room,
        "the room concludes when the guest leaves",
        Duration::from_secs(5),
        concluded_disengaged,
    )
    .await;
}

#[tokio::test]
async fn a_guest_away_across_a_restart_is_still_disengaged() {
    // On AWS, a delayed job that comes due while the stopped gateway's abandoned long
    // poll is still open on SQS is handed to that dead poll and stays hidden for the
    // job visibility timeout (robot timeout × 1.5, at least + 5 s: 90 s by default).
    // A 1 s robot timeout makes that 6 s, so the redelivery fits in the wait below.
    let mut server = TestServer::start_with_env(&[
        ("CHAT_GUEST_AWAY_SECONDS", "2"),
        ("CHAT_ROBOT_TIMEOUT_SECONDS", "1"),
    ])
    .await;
    let admin = server.login("admin").await;
    let (alice_token, _, alice) = server.user("alice").await;
    let (room, _, _, guest) = room_with_guest(&server, &alice).await;
    let issue_id = room_of(&alice, &room).await["issueId"]
        .as_str()
        .expect("issueId")
        .to_string();

    guest.close().await;
    let left = tokio::time::Instant::now();
    // The absence is recorded (and its timer queued) before the gateway goes down.
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let issue = supervisor_issue(&server, &admin, &issue_id).await;
        if history_events(&issue).iter().any(|e| e == "guest-away") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no guest-away in the history: {issue}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(alice);
    server.restart().await;

    let alice = server.ws(&alice_token).await;
    if left.elapsed() < Duration::from_millis(1500) {
        // Back up well before the timer is due: the old gateway did not conclude it.
        let r = room_of(&alice, &room).await;
        assert_eq!(r["status"], "open", "concluded too early: {r}");
    }
    let r = room_when(
        &alice,
        &room,
        "the room concludes after the restart",
        Duration::from_secs(15),
        concluded_disengaged,
    )
    .await;
    assert_eq!(r["conclusion"], "guest-disengaged", "{r}");
}

#[tokio::test]
async fn a_guest_who_returns_across_a_restart_keeps_the_room() {
    // As above, a short robot timeout keeps the AWS redelivery of the timer short.
    let mut server = TestServer::start_with_env(&[
        ("CHAT_GUEST_AWAY_SECONDS", "3"),
        ("CHAT_ROBOT_TIMEOUT_SECONDS", "1"),
    ])
    .await;
    let admin = server.login("admin").await;
    let (alice_token, _, alice) = server.user("alice").await;
    let (room, guest_token, _, guest) = room_with_guest(&server, &alice).await;
    let issue_id = room_of(&alice, &room).await["issueId"]
        .as_str()
        .expect("issueId")
        .to_string();
    guest.close().await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !history_events(&supervisor_issue(&server, &admin, &issue_id).await)
        .iter()
        .any(|e| e == "guest-away")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no guest-away recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(alice);
    server.restart().await;
    // Back within the timeout, on the restarted gateway.
    let _guest = server.ws(&guest_token).await;
    let alice = server.ws(&alice_token).await;
    // Past the timeout, and past the slowest redelivery of the timer (see above).
    tokio::time::sleep(Duration::from_secs(10)).await;
    let r = room_of(&alice, &room).await;
    assert_eq!(r["status"], "open", "the guest came back in time: {r}");
    let events = history_events(&supervisor_issue(&server, &admin, &issue_id).await);
    assert!(events.iter().any(|e| e == "guest-back"), "{events:?}");
}

#[tokio::test]
async fn a_guest_rates_a_concluded_room_once() {
    let server = TestServer::start().await;
    let admin = server.login("admin").await;
    let (alice_token, alice_id, alice) = server.user("alice").await;
    let (room, _, _, guest) = room_with_guest(&server, &alice).await;
    let rate = |rating: u8| json!({"roomId": room, "rating": rating, "comment": "thanks!"});

    guest.refused("issue.rate", rate(5), "conflict").await;
    let (status, csat) = server
        .http("GET", "/supervisor/csat", None, Some(&admin))
        .await;
    assert_eq!(status, 200, "{csat}");
    assert_eq!(csat["overall"]["count"], 0, "{csat}");
    assert!(csat["overall"]["average"].is_null(), "{csat}");

    let mark = guest.mark();
    let d = alice
        .ok(
            "issue.conclude",
            json!({"roomId": room, "conclusion": "resolved"}),
        )
        .await;
    let issue_id = d["issue"]["id"].as_str().expect("issue id").to_string();
    guest
        .wait_event_since(mark, "the rating request", TIMEOUT, |e| {
            system_message_in(&room)(e)
                && e["message"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("1 to 5"))
        })
        .await;

    alice.refused("issue.rate", rate(5), "forbidden").await;
    guest.refused("issue.rate", rate(6), "bad_request").await;
    guest.refused("issue.rate", rate(0), "bad_request").await;
    guest.ok("issue.rate", rate(4)).await;
    guest.refused("issue.rate", rate(5), "conflict").await;

    let issue = supervisor_issue(&server, &admin, &issue_id).await;
    let ratings = issue["ratings"].as_array().expect("ratings").clone();
    assert_eq!(ratings.len(), 1, "{issue}");
    assert_eq!(ratings[0]["rating"], 4, "{issue}");
    assert_eq!(ratings[0]["comment"], "thanks!", "{issue}");
    assert_eq!(ratings[0]["roomId"], room.as_str(), "{issue}");

    let csat = server.get_ok(&admin, "/supervisor/csat").await;
    assert_eq!(
        csat["overall"],
        json!({"count": 1, "average": 4.0}),
        "{csat}"
    );
    let t1 = csat["byTier"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["tier"] == "T1"))
        .unwrap_or_else(|| panic!("no T1 in {csat}"));
    assert_eq!(t1["count"], 1, "{csat}");
    assert_eq!(t1["average"], 4.0, "{csat}");
    let by_alice = csat["byEmployee"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["userId"] == alice_id.as_str()))
        .unwrap_or_else(|| panic!("alice not in {csat}"));
    assert_eq!(by_alice["count"], 1, "{csat}");
    assert_eq!(by_alice["average"], 4.0, "{csat}");

    let (status, body) = server
        .http("GET", "/supervisor/csat", None, Some(&alice_token))
        .await;
    assert_eq!((status, error_code(&body)), (403, "forbidden"), "{body}");
}
