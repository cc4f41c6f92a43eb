//! Shared pieces of the robot end-to-end tests (`tests/robots.rs`): the robots, a room
//! with two employees and a guest, asking, and reading answers back. Kept in the library
//! so the test file holds only tests.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{QUIET, TestServer, Ws, create_room, invite_guest};

pub const DOCS: &str = "iStackBuddy.docs.jokes";
pub const STREAM: &str = "iStackBuddy.stream.jokes";
pub const SIGN: &str = "iStackBuddy.sign.jokes";
pub const DIAGNOSTICS: &str = "iStackBuddy.forms.diagnostics";

/// The codes PROTOCOL §1 defines.
pub const PROTOCOL_CODES: [&str; 10] = [
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "rate_limited",
    "payload_too_large",
    "guest_alone",
    "unavailable",
    "internal",
];

/// How long a robot answer may take in these tests (the offline writer is fast).
pub const ANSWER_WAIT: Duration = Duration::from_secs(20);

/// Alice and Bob (employees) and a guest in one solo room.
pub struct Room {
    pub _server: TestServer,
    pub id: String,
    pub alice: Ws,
    pub bob: Ws,
    pub guest: Ws,
}

pub async fn room_with_guest(server: TestServer) -> Room {
    let (_, _, alice) = server.user("alice").await;
    let (_, bob_id, bob) = server.user("bob").await;
    let room = create_room(&alice, "solo", "Robots").await;
    let id = room["id"].as_str().expect("room id").to_string();
    alice
        .ok("room.invite", json!({"roomId": id, "userId": bob_id}))
        .await;
    let code = invite_guest(&alice, &id).await;
    let (_, _, guest_room, guest) = server.guest(&code, "Gina").await;
    assert_eq!(guest_room, id);
    Room {
        _server: server,
        id,
        alice,
        bob,
        guest,
    }
}

/// `robot.invite` as `ws`; checks the robot is now a member of kind `robot`.
pub async fn invite_robot(ws: &Ws, room: &str, robot: &str) {
    let data = ws
        .ok("robot.invite", json!({"roomId": room, "robot": robot}))
        .await;
    let members = data["room"]["members"].as_array().expect("members");
    assert!(
        members
            .iter()
            .any(|m| m["id"] == robot && m["kind"] == "robot"),
        "{robot} not a robot member: {data}"
    );
}

/// The jokes robots' arguments.
pub fn joke_args() -> Value {
    json!({"customerName": "Gina", "observations": ["the submit button is grey", "two required fields are hidden"]})
}

/// `robot.ask` (jokes arguments for the jokes robots, none for the others); returns
/// `(request, response)`.
pub async fn ask(ws: &Ws, room: &str, robot: &str, text: &str) -> (Value, Value) {
    let mut fields = json!({"roomId": room, "robot": robot, "text": text});
    if robot.ends_with(".jokes") {
        fields["args"] = joke_args();
    }
    let data = ws.ok("robot.ask", fields).await;
    (data["request"].clone(), data["response"].clone())
}

pub fn id_of(message: &Value) -> String {
    message["id"]
        .as_str()
        .unwrap_or_else(|| panic!("message without id: {message}"))
        .to_string()
}

/// `message.updated` for `id` with a final status.
pub fn finished(id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e| {
        e["type"] == "message.updated"
            && e["message"]["id"] == id
            && (e["message"]["status"] == "complete" || e["message"]["status"] == "failed")
    }
}

/// Any event about message `id` (created, updated, delta).
pub fn about(id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e| e["message"]["id"] == id || e["messageId"] == id
}

pub async fn history(ws: &Ws, room: &str) -> Vec<Value> {
    ws.ok(
        "history.get",
        json!({"roomId": room, "afterSeq": 0, "limit": 200}),
    )
    .await["messages"]
        .as_array()
        .expect("messages")
        .clone()
}

/// Checks the request/response pair a `robot.ask` returned.
pub fn check_pair(request: &Value, response: &Value, robot: &str, status: &str, delivery: &str) {
    assert_eq!(request["visibility"], "employees", "{request}");
    assert_eq!(request["status"], "complete", "{request}");
    assert_eq!(request["author"]["kind"], "employee", "{request}");
    assert_eq!(response["visibility"], "employees", "{response}");
    assert_eq!(response["status"], status, "{response}");
    assert_eq!(response["delivery"], delivery, "{response}");
    assert_eq!(response["replyTo"], request["id"], "{response}");
    assert_eq!(response["author"]["kind"], "robot", "{response}");
    assert_eq!(response["author"]["id"], robot, "{response}");
    assert!(
        response["seq"].as_u64() > request["seq"].as_u64(),
        "the response follows the request: {request} {response}"
    );
}

/// The guest saw nothing of `needles` on its socket (events and error frames) nor in
/// its history.
pub async fn guest_saw_none_of(r: &Room, needles: &[&str]) {
    tokio::time::sleep(QUIET).await;
    for frame in r.guest.events().iter().chain(r.guest.errors().iter()) {
        let raw = frame.to_string();
        for needle in needles {
            assert!(!raw.contains(needle), "the guest saw {needle:?}: {raw}");
        }
    }
    for m in history(&r.guest, &r.id).await {
        let raw = m.to_string();
        assert_ne!(m["visibility"], "employees", "guest history: {m}");
        for needle in needles {
            assert!(
                !raw.contains(needle),
                "the guest's history holds {needle:?}: {raw}"
            );
        }
    }
}
