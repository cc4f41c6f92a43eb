//! Robots over the wire (PROTOCOL §3 `robot.*`, `message.share`, `message.delta`,
//! `message.updated`; DESIGN "Robots"): the answer is for employees only until shared,
//! streamed answers arrive as ordered, coalesced deltas, failures and time-outs end the
//! answer `failed` with a reason, guests cannot reach robots, a retried ask is the same
//! ask, and a gateway killed mid-answer finishes (or fails) the answer after it restarts.
//!
//! Every test runs on the backend `CHAT_E2E_BACKEND` selects. Test names start with
//! `robots_` so `-E 'test(/robots/)'` selects them.

use std::time::Duration;

use chat_e2e::robot_helpers::*;
use chat_e2e::{QUIET, TIMEOUT, TestServer, create_room, created};
use serde_json::{Value, json};

#[tokio::test]
async fn robots_ask_is_pending_then_complete_and_only_employees_see_it() {
    let r =
        room_with_guest(TestServer::start_with_env(&[("CHAT_OFFLINE_PACE_MS", "5")]).await).await;
    // Only employees get the catalogue; it lists the robots the product requires.
    let list = r.alice.ok("robot.list", json!({})).await;
    let robots = list["robots"].as_array().expect("robots");
    for name in [DIAGNOSTICS, DOCS, STREAM, SIGN, "iStackBuddy.fsid.jokes"] {
        let robot = robots
            .iter()
            .find(|x| x["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {list}"));
        assert!(robot["description"].is_string(), "{robot}");
        assert!(robot["args"].is_array(), "{robot}");
    }
    let delivery =
        |name: &str| robots.iter().find(|x| x["name"] == name).expect("listed")["delivery"].clone();
    assert_eq!(delivery(DOCS), "batch-delay", "{list}");
    assert_eq!(delivery(STREAM), "streaming", "{list}");

    invite_robot(&r.alice, &r.id, DOCS).await;
    let (request, response) = ask(&r.alice, &r.id, DOCS, "Tell Gina a joke").await;
    check_pair(&request, &response, DOCS, "pending", "batch-delay");
    let (request_id, response_id) = (id_of(&request), id_of(&response));

    // Bob, the other employee, sees both messages and then the finished answer.
    let b_req = r
        .bob
        .wait_event("request created", TIMEOUT, created(&request_id))
        .await;
    let b_resp = r
        .bob
        .wait_event("response created", TIMEOUT, created(&response_id))
        .await;
    assert_eq!(b_req["message"]["text"], "Tell Gina a joke", "{b_req}");
    assert_eq!(b_resp["message"]["status"], "pending", "{b_resp}");
    let done = r
        .bob
        .wait_event("answer finished", ANSWER_WAIT, finished(&response_id))
        .await;
    let answer = &done["message"];
    assert_eq!(answer["status"], "complete", "{done}");
    assert_eq!(answer["visibility"], "employees", "{done}");
    assert_eq!(answer["replyTo"], request_id.as_str(), "{done}");
    let text = answer["text"].as_str().expect("answer text").to_string();
    assert!(!text.trim().is_empty(), "{done}");
    // Alice sees the same end; history agrees.
    let alice_done = r
        .alice
        .wait_event("answer finished", TIMEOUT, finished(&response_id))
        .await;
    assert_eq!(alice_done["message"]["text"], text.as_str());
    let alice_history = history(&r.alice, &r.id).await;
    let stored = alice_history
        .iter()
        .find(|m| m["id"] == response_id.as_str())
        .unwrap_or_else(|| panic!("response not in alice's history"));
    assert_eq!(stored["status"], "complete", "{stored}");
    assert_eq!(stored["text"], text.as_str(), "{stored}");

    guest_saw_none_of(&r, &[&request_id, &response_id, &text, "Tell Gina a joke"]).await;
}

#[tokio::test]
async fn robots_a_shared_answer_reaches_the_guest_without_its_link() {
    let r =
        room_with_guest(TestServer::start_with_env(&[("CHAT_OFFLINE_PACE_MS", "5")]).await).await;
    invite_robot(&r.alice, &r.id, DOCS).await;
    let (request, response) = ask(&r.alice, &r.id, DOCS, "A joke please").await;
    let response_id = id_of(&response);
    // Not finished yet: nothing to share.
    let early = r
        .alice
        .call(
            "message.share",
            json!({"roomId": r.id, "messageId": response_id}),
        )
        .await;
    let done = r
        .alice
        .wait_event("answer finished", ANSWER_WAIT, finished(&response_id))
        .await;
    assert_eq!(done["message"]["status"], "complete", "{done}");
    if early["ok"] == true {
        // Only possible if the answer was already complete when the share arrived.
        let shared_early = &early["data"]["message"];
        assert_eq!(shared_early["text"], done["message"]["text"], "{early}");
    } else {
        assert_eq!(early["error"]["code"], "conflict", "{early}");
    }
    let original_text = done["message"]["text"].as_str().expect("text").to_string();

    let edited = format!("Gina, here is one for you: {original_text} (edited)");
    let shared = r
        .alice
        .ok(
            "message.share",
            json!({"roomId": r.id, "messageId": response_id, "text": edited}),
        )
        .await["message"]
        .clone();
    let shared_id = id_of(&shared);
    assert_ne!(shared_id, response_id);
    assert_eq!(shared["visibility"], "everyone", "{shared}");
    assert_eq!(shared["status"], "complete", "{shared}");
    assert_eq!(shared["text"], edited.as_str(), "{shared}");
    assert_eq!(shared["sharedFrom"], response_id.as_str(), "{shared}");

    let to_guest = r
        .guest
        .wait_event("shared copy", TIMEOUT, created(&shared_id))
        .await;
    let g = &to_guest["message"];
    assert_eq!(g["text"], edited.as_str(), "{to_guest}");
    assert_eq!(g["visibility"], "everyone", "{to_guest}");
    assert!(
        g.get("sharedFrom").is_none(),
        "the guest learns the original's id: {to_guest}"
    );
    let to_bob = r
        .bob
        .wait_event("shared copy", TIMEOUT, created(&shared_id))
        .await;
    assert_eq!(
        to_bob["message"]["sharedFrom"],
        response_id.as_str(),
        "{to_bob}"
    );
    assert_eq!(to_bob["message"]["text"], edited.as_str(), "{to_bob}");

    // The guest's history has the copy (still without the link), never the original.
    let guest_history = history(&r.guest, &r.id).await;
    let copy = guest_history
        .iter()
        .find(|m| m["id"] == shared_id.as_str())
        .unwrap_or_else(|| panic!("shared copy not in the guest's history"));
    assert!(copy.get("sharedFrom").is_none(), "{copy}");
    assert!(
        !guest_history
            .iter()
            .any(|m| m["id"] == response_id.as_str() || m["id"] == request["id"]),
        "the guest's history holds the robot exchange"
    );
    // The original is unchanged.
    let alice_history = history(&r.alice, &r.id).await;
    let original = alice_history
        .iter()
        .find(|m| m["id"] == response_id.as_str())
        .expect("original in history");
    assert_eq!(original["text"], original_text.as_str(), "{original}");
    assert_eq!(original["visibility"], "employees", "{original}");
    // A copy is for everyone already: sharing it again is refused.
    r.alice
        .refused(
            "message.share",
            json!({"roomId": r.id, "messageId": shared_id}),
            "conflict",
        )
        .await;
}

#[tokio::test]
async fn robots_a_streamed_answer_arrives_as_ordered_coalesced_deltas() {
    let r =
        room_with_guest(TestServer::start_with_env(&[("CHAT_OFFLINE_PACE_MS", "20")]).await).await;
    invite_robot(&r.alice, &r.id, STREAM).await;
    let (request, response) = ask(&r.alice, &r.id, STREAM, "Stream me a joke").await;
    check_pair(&request, &response, STREAM, "streaming", "streaming");
    let response_id = id_of(&response);

    let mut final_text = None;
    for (who, ws) in [("alice", &r.alice), ("bob", &r.bob)] {
        let done = ws
            .wait_event("stream end", ANSWER_WAIT, finished(&response_id))
            .await;
        assert_eq!(done["message"]["status"], "complete", "{who}: {done}");
        let text = done["message"]["text"].as_str().expect("text").to_string();
        assert!(!text.trim().is_empty(), "{who}: {done}");
        // Everything for this answer, once the socket is quiet.
        let frames = ws.settled_events(QUIET, about(&response_id)).await;
        let deltas: Vec<&Value> = frames
            .iter()
            .filter(|e| e["type"] == "message.delta")
            .collect();
        let updates = frames
            .iter()
            .filter(|e| e["type"] == "message.updated")
            .count();
        let indices: Vec<u64> = deltas.iter().filter_map(|d| d["index"].as_u64()).collect();
        assert_eq!(
            indices,
            (0..deltas.len() as u64).collect::<Vec<_>>(),
            "{who}: deltas out of order or with gaps"
        );
        assert!(
            deltas.len() >= 2,
            "{who}: a streamed answer paced at 20 ms a word came in {} delta(s)",
            deltas.len()
        );
        for d in &deltas {
            assert_eq!(d["roomId"], r.id.as_str(), "{d}");
        }
        let joined: String = deltas
            .iter()
            .map(|d| d["text"].as_str().expect("delta text"))
            .collect();
        assert_eq!(
            joined, text,
            "{who}: the deltas do not add up to the answer"
        );
        assert_eq!(updates, 1, "{who}: one final message.updated");
        assert!(
            deltas.len() + updates <= 20,
            "{who}: {} deltas + {updates} updates for one answer: not coalesced",
            deltas.len()
        );
        // Deltas come before the final update on the same connection.
        let last_delta = frames
            .iter()
            .rposition(|e| e["type"] == "message.delta")
            .expect("a delta");
        let update_at = frames
            .iter()
            .position(|e| e["type"] == "message.updated")
            .expect("an update");
        assert!(
            last_delta < update_at,
            "{who}: a delta after the final update"
        );
        match &final_text {
            None => final_text = Some(text),
            Some(t) => assert_eq!(t, &text, "alice and bob got different answers"),
        }
    }
    let text = final_text.expect("a final text");
    let stored = history(&r.bob, &r.id)
        .await
        .into_iter()
        .find(|m| m["id"] == response_id.as_str())
        .expect("response in history");
    assert_eq!(stored["status"], "complete", "{stored}");
    assert_eq!(stored["text"], text.as_str(), "{stored}");

    r.guest
        .expect_no_event(
            "anything about the streamed answer",
            QUIET,
            about(&response_id),
        )
        .await;
    guest_saw_none_of(&r, &[&response_id, &id_of(&request), &text]).await;
}

#[tokio::test]
async fn robots_a_failing_robot_ends_failed_with_a_reason() {
    let r = room_with_guest(TestServer::start().await).await;
    invite_robot(&r.alice, &r.id, DIAGNOSTICS).await;
    let (request, response) = ask(&r.alice, &r.id, DIAGNOSTICS, "Diagnose form 123").await;
    check_pair(&request, &response, DIAGNOSTICS, "pending", "batch-delay");
    let response_id = id_of(&response);
    for ws in [&r.alice, &r.bob] {
        let done = ws
            .wait_event("answer finished", ANSWER_WAIT, finished(&response_id))
            .await;
        assert_eq!(done["message"]["status"], "failed", "{done}");
        let reason = done["message"]["text"].as_str().unwrap_or_default();
        assert!(reason.trim().len() > 5, "no readable reason: {done}");
    }
    let stored = history(&r.alice, &r.id)
        .await
        .into_iter()
        .find(|m| m["id"] == response_id.as_str())
        .expect("response in history");
    assert_eq!(stored["status"], "failed", "{stored}");
    // A failed answer cannot be shared.
    r.alice
        .refused(
            "message.share",
            json!({"roomId": r.id, "messageId": response_id}),
            "conflict",
        )
        .await;
    guest_saw_none_of(&r, &[&response_id]).await;
}

#[tokio::test]
async fn robots_an_answer_that_takes_too_long_ends_failed() {
    let server = TestServer::start_with_env(&[
        ("CHAT_ROBOT_TIMEOUT_SECONDS", "1"),
        ("CHAT_OFFLINE_PACE_MS", "500"),
    ])
    .await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "solo", "Slow robot").await;
    let room_id = room["id"].as_str().expect("room id").to_string();
    invite_robot(&alice, &room_id, STREAM).await;
    let started = std::time::Instant::now();
    let (_, response) = ask(&alice, &room_id, STREAM, "Take your time").await;
    let response_id = id_of(&response);
    let done = alice
        .wait_event("answer finished", ANSWER_WAIT, finished(&response_id))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(done["message"]["status"], "failed", "{done}");
    let reason = done["message"]["text"].as_str().unwrap_or_default();
    assert!(reason.contains("did not answer within"), "{done}");
    assert!(
        elapsed >= Duration::from_millis(900),
        "failed after {elapsed:?}, before the 1 s limit"
    );
    let stored = history(&alice, &room_id)
        .await
        .into_iter()
        .find(|m| m["id"] == response_id.as_str())
        .expect("response in history");
    assert_eq!(stored["status"], "failed", "{stored}");
    assert_eq!(stored["text"], done["message"]["text"], "{stored}");
}

/// A guest is refused every robot action; returns the refusal code.
async fn guest_refused(guest: &chat_e2e::Ws, action: &str, fields: Value) -> String {
    let reply = guest.call(action, fields).await;
    assert_eq!(reply["ok"], json!(false), "guest {action} allowed: {reply}");
    let code = reply["error"]["code"]
        .as_str()
        .unwrap_or("<none>")
        .to_string();
    assert!(
        PROTOCOL_CODES.contains(&code.as_str()),
        "guest {action}: {code} is not a PROTOCOL code: {reply}"
    );
    assert!(reply["error"]["message"].is_string(), "{reply}");
    code
}

#[tokio::test]
async fn robots_guests_cannot_reach_robots_and_asks_need_the_robot_in_the_room() {
    let r = room_with_guest(TestServer::start().await).await;
    invite_robot(&r.alice, &r.id, DOCS).await;
    let note = r
        .alice
        .ok(
            "message.send",
            json!({"roomId": r.id, "clientMsgId": "note-1", "text": "internal note", "visibility": "employees"}),
        )
        .await["message"]
        .clone();
    let note_id = id_of(&note);
    assert_eq!(note["status"], "complete", "{note}");

    let mark = r.alice.mark();
    let refusals = [
        ("robot.list", json!({})),
        ("robot.invite", json!({"roomId": r.id, "robot": STREAM})),
        ("robot.remove", json!({"roomId": r.id, "robot": DOCS})),
        (
            "robot.ask",
            json!({"roomId": r.id, "robot": DOCS, "text": "tell me a joke"}),
        ),
        (
            "message.share",
            json!({"roomId": r.id, "messageId": note_id}),
        ),
    ];
    for (action, fields) in refusals {
        let code = guest_refused(&r.guest, action, fields).await;
        assert_eq!(code, "forbidden", "guest {action}");
    }
    // Nothing happened because of them.
    r.alice
        .expect_no_event_since(mark, "an effect of a guest's robot action", QUIET, |e| {
            e["type"] == "message.created" || e["type"] == "room.updated"
        })
        .await;
    let room = r.alice.ok("room.get", json!({"roomId": r.id})).await;
    let robots: Vec<&Value> = room["room"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter(|m| m["kind"] == "robot")
        .collect();
    assert_eq!(robots.len(), 1, "{room}");
    assert_eq!(robots[0]["id"], DOCS, "{room}");

    // An employee may only ask a robot that is in the room; unknown robots do not exist.
    r.alice
        .refused(
            "robot.ask",
            json!({"roomId": r.id, "robot": SIGN, "text": "hello"}),
            "conflict",
        )
        .await;
    r.alice
        .refused(
            "robot.invite",
            json!({"roomId": r.id, "robot": "iStackBuddy.nope"}),
            "not_found",
        )
        .await;
    // Removed, it can no longer be asked.
    let removed = r
        .alice
        .ok("robot.remove", json!({"roomId": r.id, "robot": DOCS}))
        .await;
    assert!(
        !removed["room"]["members"]
            .as_array()
            .expect("members")
            .iter()
            .any(|m| m["id"] == DOCS),
        "{removed}"
    );
    r.alice
        .refused(
            "robot.ask",
            json!({"roomId": r.id, "robot": DOCS, "text": "still there?"}),
            "conflict",
        )
        .await;
    guest_saw_none_of(&r, &[&note_id, "internal note"]).await;
}

#[tokio::test]
async fn robots_a_retried_ask_is_the_same_ask() {
    let server = TestServer::start_with_env(&[("CHAT_OFFLINE_PACE_MS", "5")]).await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "solo", "Retry").await;
    let room_id = room["id"].as_str().expect("room id").to_string();
    invite_robot(&alice, &room_id, DOCS).await;
    let fields =
        json!({"roomId": room_id, "robot": DOCS, "text": "one joke", "clientMsgId": "ask-1"});
    let first = alice.ok("robot.ask", fields.clone()).await;
    let again = alice.ok("robot.ask", fields.clone()).await;
    assert_eq!(
        again["request"]["id"], first["request"]["id"],
        "{first} {again}"
    );
    assert_eq!(
        again["response"]["id"], first["response"]["id"],
        "{first} {again}"
    );
    assert_eq!(first["request"]["clientMsgId"], "ask-1", "{first}");
    let response_id = id_of(&first["response"]);
    alice
        .wait_event("answer finished", ANSWER_WAIT, finished(&response_id))
        .await;
    // After the answer, a retry still finds the same pair (and does not ask again).
    let late = alice.ok("robot.ask", fields).await;
    assert_eq!(late["request"]["id"], first["request"]["id"], "{late}");
    assert_eq!(late["response"]["id"], first["response"]["id"], "{late}");
    // A different clientMsgId is a new question.
    let other = alice
        .ok(
            "robot.ask",
            json!({"roomId": room_id, "robot": DOCS, "text": "one joke", "clientMsgId": "ask-2"}),
        )
        .await;
    assert_ne!(other["request"]["id"], first["request"]["id"], "{other}");
    let other_id = id_of(&other["response"]);
    alice
        .wait_event("answer finished", ANSWER_WAIT, finished(&other_id))
        .await;

    let messages = history(&alice, &room_id).await;
    let requests: Vec<&Value> = messages
        .iter()
        .filter(|m| m["author"]["kind"] == "employee" && m["text"] == "one joke")
        .collect();
    assert_eq!(requests.len(), 2, "two questions asked: {messages:?}");
    let responses: Vec<&Value> = messages
        .iter()
        .filter(|m| m["author"]["kind"] == "robot")
        .collect();
    assert_eq!(
        responses.len(),
        2,
        "two questions, two answers: {responses:?}"
    );
    let created = alice
        .settled_events(QUIET, |e| {
            e["type"] == "message.created" && e["message"]["author"]["kind"] == "robot"
        })
        .await;
    assert_eq!(
        created.len(),
        2,
        "retries announce nothing new: {created:?}"
    );
    // The retry before the answer queued the job again; it still ends once.
    let ends = alice.settled_events(QUIET, finished(&response_id)).await;
    assert_eq!(ends.len(), 1, "the answer ended more than once: {ends:?}");
}

/// How long after a SIGKILL the answer must be finished (complete or failed) with
/// `CHAT_ROBOT_TIMEOUT_SECONDS=4`. Embedded: the durable queue hands the job back at the
/// restart, then one more try of at most 4 s. AWS: the job is hidden 4 + max(5, 2) = 9 s
/// from its receipt; the killed gateway's long poll may still be open in SQS (moto) and
/// receive the job once more when it reappears (hidden another 9 s, answered to nobody),
/// then one more try of at most 4 s: 22 s, plus the restart. Measured up to 28 s on a
/// loaded 2-core machine; the bound leaves room for a slower CI box (a passing run
/// returns as soon as the answer is finished, so the slack costs nothing).
fn recovery_bound() -> Duration {
    match std::env::var(chat_e2e::server::BACKEND_VAR).as_deref() {
        Ok("aws") => Duration::from_secs(60),
        _ => Duration::from_secs(15),
    }
}

#[tokio::test]
async fn robots_a_gateway_killed_mid_answer_finishes_it_after_restart() {
    let vars = [
        ("CHAT_OFFLINE_PACE_MS", "150"),
        ("CHAT_ROBOT_TIMEOUT_SECONDS", "4"),
    ];
    let child = env!("CARGO_BIN_EXE_chat-e2e-child-gateway");
    let (mut server, mut child) = TestServer::start_child(child, &vars).await;
    let (alice_token, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "solo", "Crash").await;
    let room_id = room["id"].as_str().expect("room id").to_string();
    invite_robot(&alice, &room_id, STREAM).await;
    let (request, response) = ask(&alice, &room_id, STREAM, "A long joke").await;
    let response_id = id_of(&response);
    let first = alice
        .wait_event("first delta", TIMEOUT, |e| {
            e["type"] == "message.delta" && e["messageId"] == response_id.as_str()
        })
        .await;
    assert_eq!(first["index"], 0, "{first}");
    assert!(
        !alice.events().iter().any(finished(&response_id)),
        "the answer finished before the kill: pace too fast for this test"
    );

    child.kill_hard();
    alice.wait_closed(TIMEOUT).await;
    drop(alice);
    let killed_at = std::time::Instant::now();
    server.restart().await;

    let alice = server.ws(&alice_token).await;
    let deadline = killed_at + recovery_bound();
    let stored = loop {
        let messages = history(&alice, &room_id).await;
        let answers: Vec<&Value> = messages
            .iter()
            .filter(|m| m["replyTo"] == request["id"] || m["author"]["kind"] == "robot")
            .collect();
        assert_eq!(answers.len(), 1, "one answer, not doubled: {answers:?}");
        assert_eq!(answers[0]["id"], response_id.as_str(), "{answers:?}");
        let status = answers[0]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if status == "complete" || status == "failed" {
            break answers[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the answer is still {status} {:?} after the kill",
            killed_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        !stored["text"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .is_empty(),
        "a finished answer has text (or a reason): {stored}"
    );
    eprintln!(
        "answer {} {:?} after the kill: {}",
        stored["status"],
        killed_at.elapsed(),
        stored["text"]
    );
}
