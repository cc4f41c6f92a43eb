//! Issues on the in-memory adapters: escalation in the same room and in a new one,
//! assignment and the tier queues, conclusions and read-only rooms.

use chat_core::ids::ConnectionId;
use chat_core::model::{Role, Tier};
use chat_core::testkit::harness::{T1, T2, T3, TestApp};
use serde_json::{Value, json};

async fn room_with_guest(t: &TestApp, employee: &ConnectionId) -> (String, ConnectionId) {
    let d = t
        .ok(employee, "room.create", json!({"kind": "solo", "title": "Dana's form", "issue": {"title": "Form 42 will not submit", "customerName": "Dana"}}))
        .await;
    let room = d["room"]["id"].as_str().unwrap().to_string();
    let d = t
        .ok(
            employee,
            "room.inviteGuest",
            json!({"roomId": room, "displayName": "Dana"}),
        )
        .await;
    let (_, guest) = t
        .guest_joins(d["inviteCode"].as_str().unwrap(), "Dana")
        .await;
    (room, guest)
}

fn member_ids(room: &Value) -> Vec<String> {
    room["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

fn system_texts(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f["type"] == "message.created" && f["message"]["author"]["kind"] == "system")
        .map(|f| f["message"]["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn escalation_in_the_same_room_goes_t1_t2_t3_and_stops() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let carol = t.employee("carol", T3, &[]).await;
    let ca = t.connect(&alice).await;
    let _cb = t.connect(&bob).await;
    let _cc = t.connect(&carol).await;
    let (room, _guest) = room_with_guest(&t, &ca).await;
    let d = t
        .ok(
            &ca,
            "issue.escalate",
            json!({"roomId": room, "newRoom": false, "note": "needs logic help"}),
        )
        .await;
    assert_eq!(d["issue"]["tier"], "T2");
    assert!(
        member_ids(&d["room"]).contains(&bob.identity.user_id.to_string()),
        "bob (T2, online) invited"
    );
    let d = t
        .ok(
            &ca,
            "issue.escalate",
            json!({"roomId": room, "newRoom": false}),
        )
        .await;
    assert_eq!(d["issue"]["tier"], "T3");
    assert!(member_ids(&d["room"]).contains(&carol.identity.user_id.to_string()));
    assert_eq!(
        t.refused(
            &ca,
            "issue.escalate",
            json!({"roomId": room, "newRoom": false})
        )
        .await,
        "conflict"
    );
    let events: Vec<&str> = d["issue"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "opened",
            "escalated",
            "joined",
            "assigned",
            "escalated",
            "joined",
            "assigned"
        ]
    );
}

#[tokio::test]
async fn escalation_to_a_new_room_carries_the_guest_and_concludes_the_old_room() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let ca = t.connect(&alice).await;
    let _cb = t.connect(&bob).await;
    let (old, guest) = room_with_guest(&t, &ca).await;
    let d = t
        .ok(
            &ca,
            "issue.escalate",
            json!({"roomId": old, "newRoom": true}),
        )
        .await;
    let new = d["room"]["id"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    let members = member_ids(&d["room"]);
    assert_eq!(members.len(), 3, "alice, the guest and bob: {members:?}");
    assert_eq!(d["issue"]["roomIds"].as_array().unwrap().len(), 2);
    // The old room is concluded `escalated` and read-only; the guest's session now
    // reaches the new room and not the old one.
    let old_room = t.ok(&ca, "room.get", json!({"roomId": old})).await;
    assert_eq!(old_room["room"]["status"], "concluded");
    assert_eq!(old_room["room"]["conclusion"], "escalated");
    assert_eq!(
        t.refused(
            &ca,
            "message.send",
            json!({"roomId": old, "clientMsgId": "x", "text": "hi"})
        )
        .await,
        "conflict"
    );
    t.ok(
        &guest,
        "message.send",
        json!({"roomId": new, "clientMsgId": "g1", "text": "still here"}),
    )
    .await;
    assert_eq!(
        t.refused(&guest, "history.get", json!({"roomId": old}))
            .await,
        "not_found"
    );
    // Staff see where the earlier conversation is; the guest sees only that it goes on,
    // never the supervisor path.
    let staff = t.ok(&ca, "history.get", json!({"roomId": new})).await;
    let note = staff["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["text"].as_str().unwrap_or("").contains("/supervisor/"))
        .expect("staff get the earlier room's transcript path");
    assert_eq!(
        note["text"],
        format!("Earlier conversation: /supervisor/rooms/{old}/transcript")
    );
    assert_eq!(note["visibility"], "employees");
    let seen = t.ok(&guest, "history.get", json!({"roomId": new})).await;
    let texts: Vec<&str> = seen["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("This conversation continues from")),
        "{texts:?}"
    );
    assert!(
        texts.iter().all(|t| !t.contains("/supervisor/")),
        "{texts:?}"
    );
}

#[tokio::test]
async fn with_nobody_available_the_room_waits_and_the_next_employee_to_connect_takes_it() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let ca = t.connect(&alice).await;
    let (room, guest) = room_with_guest(&t, &ca).await;
    t.events(&guest);
    let d = t
        .ok(
            &ca,
            "issue.escalate",
            json!({"roomId": room, "newRoom": false}),
        )
        .await;
    assert!(d["room"]["waitingSince"].is_string(), "{}", d["room"]);
    let told = system_texts(&t.events(&guest));
    assert!(
        told.iter().any(|s| s.contains("in the queue")),
        "the guest is told: {told:?}"
    );
    let cs = t.connect(&sam).await;
    let queues = t.app.supervisor_queues(&sam).await.unwrap();
    let t2 = queues.queues.iter().find(|q| q.tier == Tier::T2).unwrap();
    assert_eq!(t2.waiting, 0, "sam (T2) connected and took it");
    let room_now = t.ok(&cs, "room.get", json!({"roomId": room})).await;
    assert!(member_ids(&room_now["room"]).contains(&sam.identity.user_id.to_string()));
    // Bob connecting later finds nothing waiting.
    let cb = t.connect(&bob).await;
    assert_eq!(
        t.refused(&cb, "room.get", json!({"roomId": room})).await,
        "not_found"
    );
}

#[tokio::test]
async fn assignment_prefers_the_least_loaded_and_respects_the_cap() {
    let mut config = chat_core::testkit::harness::test_config();
    config.issue_caps = chat_core::service::IssueCaps {
        t1: 8,
        t2: 1,
        t3: 3,
    };
    let t = TestApp::with_config(config);
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let ca = t.connect(&alice).await;
    let cb = t.connect(&bob).await;
    // Bob already holds one open issue: at the T2 cap of 1.
    t.ok(
        &cb,
        "room.create",
        json!({"kind": "group", "title": "Bob's own"}),
    )
    .await;
    let (room, _) = room_with_guest(&t, &ca).await;
    let d = t
        .ok(
            &ca,
            "issue.escalate",
            json!({"roomId": room, "newRoom": false}),
        )
        .await;
    assert!(
        !member_ids(&d["room"]).contains(&bob.identity.user_id.to_string()),
        "bob is at his cap"
    );
    assert!(d["room"]["waitingSince"].is_string());
}

#[tokio::test]
async fn conclusions_are_one_of_four_and_end_the_issue_with_its_last_room() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let (room, guest) = room_with_guest(&t, &ca).await;
    assert_eq!(
        t.refused(
            &ca,
            "issue.conclude",
            json!({"roomId": room, "conclusion": "solved"})
        )
        .await,
        "bad_request"
    );
    assert_eq!(
        t.refused(
            &guest,
            "issue.conclude",
            json!({"roomId": room, "conclusion": "resolved"})
        )
        .await,
        "forbidden"
    );
    let d = t
        .ok(
            &ca,
            "issue.conclude",
            json!({"roomId": room, "conclusion": "resolved", "note": "cleared the cache"}),
        )
        .await;
    assert_eq!(d["room"]["status"], "concluded");
    assert_eq!(d["issue"]["status"], "concluded");
    assert_eq!(d["issue"]["conclusion"], "resolved");
    assert_eq!(
        t.refused(
            &ca,
            "issue.conclude",
            json!({"roomId": room, "conclusion": "unresolved"})
        )
        .await,
        "conflict",
        "exactly one conclusion"
    );
    assert_eq!(
        t.refused(
            &guest,
            "message.send",
            json!({"roomId": room, "clientMsgId": "late", "text": "hello?"})
        )
        .await,
        "conflict"
    );
    let history = t.ok(&guest, "history.get", json!({"roomId": room})).await;
    assert!(
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("has ended")),
        "history stays readable"
    );
    let audit = t.store.audit_page(0, None, 100).await.unwrap();
    assert!(audit.iter().any(|e| e.entry.action == "issue.conclude"));
}

#[tokio::test]
async fn a_guest_rates_a_concluded_room_once_within_the_window() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let ca = t.connect(&alice).await;
    let (room, guest) = room_with_guest(&t, &ca).await;
    let rate = |rating: u8| json!({"roomId": room, "rating": rating, "comment": "thanks!"});
    assert_eq!(
        t.refused(&guest, "issue.rate", rate(5)).await,
        "conflict",
        "not concluded yet"
    );
    t.events(&guest);
    t.ok(
        &ca,
        "issue.conclude",
        json!({"roomId": room, "conclusion": "resolved"}),
    )
    .await;
    assert!(
        system_texts(&t.events(&guest))
            .iter()
            .any(|s| s.contains("Rate it from 1 to 5")),
        "the guest is asked"
    );
    assert_eq!(
        t.refused(&ca, "issue.rate", rate(5)).await,
        "forbidden",
        "employees do not rate"
    );
    assert_eq!(
        t.refused(&guest, "issue.rate", rate(6)).await,
        "bad_request"
    );
    t.ok(&guest, "issue.rate", rate(4)).await;
    assert_eq!(
        t.refused(&guest, "issue.rate", rate(5)).await,
        "conflict",
        "once per room"
    );
    let issues = t.app.supervisor_issues(&sam, None, None).await.unwrap();
    let rated = serde_json::to_value(&issues.issues[0]).unwrap();
    assert_eq!(rated["ratings"][0]["rating"], 4);
    assert_eq!(rated["ratings"][0]["comment"], "thanks!");
    let csat = serde_json::to_value(t.app.supervisor_csat(&sam).await.unwrap()).unwrap();
    assert_eq!(csat["overall"], json!({"count": 1, "average": 4.0}));
    assert_eq!(
        csat["byTier"][0],
        json!({"tier": "T1", "count": 1, "average": 4.0})
    );
    assert_eq!(
        csat["byEmployee"][0]["userId"],
        alice.identity.user_id.to_string()
    );
    assert_eq!(csat["byEmployee"][0]["displayName"], "ALICE");
    assert!(
        t.app.supervisor_csat(&alice).await.is_err(),
        "supervisors only"
    );
}

#[tokio::test]
async fn a_rating_after_the_window_is_refused() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let (room, guest) = room_with_guest(&t, &ca).await;
    t.ok(
        &ca,
        "issue.conclude",
        json!({"roomId": room, "conclusion": "unresolved"}),
    )
    .await;
    t.clock.advance(chrono::Duration::minutes(
        chat_core::service::csat::RATING_WINDOW_MINUTES + 1,
    ));
    assert_eq!(
        t.refused(&guest, "issue.rate", json!({"roomId": room, "rating": 2}))
            .await,
        "conflict"
    );
}

async fn room_status(t: &TestApp, employee: &ConnectionId, room: &str) -> (String, Value) {
    let r = t.ok(employee, "room.get", json!({"roomId": room})).await;
    (
        r["room"]["status"].as_str().unwrap().to_string(),
        r["room"]["conclusion"].clone(),
    )
}

#[tokio::test]
async fn a_guest_who_stays_away_is_disengaged_and_one_who_returns_is_not() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let (room, guest) = room_with_guest(&t, &ca).await;
    t.jobs.drain();
    // Away, back within the timeout, then away again five minutes later.
    t.app.disconnect(&guest).await.unwrap();
    let first = t.jobs.drain();
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].1,
        std::time::Duration::from_secs(600),
        "the timer is the timeout"
    );
    t.clock.advance(chrono::Duration::minutes(2));
    let gina = t
        .store
        .user_by_id(&guest_id(&t, &room).await)
        .await
        .unwrap()
        .unwrap();
    let again = t.connect(&gina).await;
    t.clock.advance(chrono::Duration::minutes(3));
    t.app.disconnect(&again).await.unwrap();
    let second = t.jobs.drain();
    t.clock.advance(chrono::Duration::minutes(5));
    t.app
        .run_job(&first[0].0, chat_core::Attempt::new(1, 5))
        .await
        .unwrap();
    assert_eq!(
        room_status(&t, &ca, &room).await.0,
        "open",
        "the later absence is only 5 minutes old"
    );
    t.clock.advance(chrono::Duration::minutes(5));
    t.app
        .run_job(&second[0].0, chat_core::Attempt::new(1, 5))
        .await
        .unwrap();
    let (status, conclusion) = room_status(&t, &ca, &room).await;
    assert_eq!(
        (status.as_str(), conclusion),
        ("concluded", json!("guest-disengaged"))
    );
    // A redelivery changes nothing.
    t.app
        .run_job(&second[0].0, chat_core::Attempt::new(2, 5))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_guest_who_returns_in_time_keeps_the_room_open() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let (room, guest) = room_with_guest(&t, &ca).await;
    t.jobs.drain();
    t.app.disconnect(&guest).await.unwrap();
    let gina = t
        .store
        .user_by_id(&guest_id(&t, &room).await)
        .await
        .unwrap()
        .unwrap();
    t.clock.advance(chrono::Duration::minutes(9));
    let _back = t.connect(&gina).await;
    t.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(t.run_jobs().await, 1);
    assert_eq!(room_status(&t, &ca, &room).await.0, "open");
}

#[tokio::test]
async fn a_guest_who_leaves_concludes_the_room_at_once() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let (room, guest) = room_with_guest(&t, &ca).await;
    t.jobs.drain();
    t.ok(&guest, "room.leave", json!({"roomId": room})).await;
    let jobs = t.jobs.drain();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].1, std::time::Duration::ZERO);
    t.app
        .run_job(&jobs[0].0, chat_core::Attempt::new(1, 5))
        .await
        .unwrap();
    let (status, conclusion) = room_status(&t, &ca, &room).await;
    assert_eq!(
        (status.as_str(), conclusion),
        ("concluded", json!("guest-disengaged"))
    );
}

async fn guest_id(t: &TestApp, room: &str) -> chat_core::ids::UserId {
    let room = chat_core::ids::RoomId::parse(room.to_string()).unwrap();
    let members = t.store.members(&room).await.unwrap();
    let guest = members
        .iter()
        .find(|m| m.kind == chat_core::model::ParticipantKind::Guest)
        .unwrap();
    chat_core::ids::UserId::parse(guest.id.clone()).unwrap()
}

#[tokio::test]
async fn an_employee_who_frees_a_slot_takes_the_next_waiting_room() {
    let mut config = chat_core::testkit::harness::test_config();
    config.issue_caps = chat_core::service::IssueCaps {
        t1: 8,
        t2: 1,
        t3: 3,
    };
    let t = TestApp::with_config(config);
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let ca = t.connect(&alice).await;
    let cb = t.connect(&bob).await;
    let own = t
        .ok(
            &cb,
            "room.create",
            json!({"kind": "group", "title": "Bob's own"}),
        )
        .await["room"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (room, _) = room_with_guest(&t, &ca).await;
    let d = t
        .ok(
            &ca,
            "issue.escalate",
            json!({"roomId": room, "newRoom": false}),
        )
        .await;
    assert!(
        d["room"]["waitingSince"].is_string(),
        "bob is at his cap of 1"
    );
    t.ok(
        &cb,
        "issue.conclude",
        json!({"roomId": own, "conclusion": "resolved"}),
    )
    .await;
    let now = t.ok(&cb, "room.get", json!({"roomId": room})).await;
    assert!(
        member_ids(&now["room"]).contains(&bob.identity.user_id.to_string()),
        "bob took it"
    );
    assert!(now["room"]["waitingSince"].is_null());
}
