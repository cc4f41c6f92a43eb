//! # chat-e2e — a black-box test client for the local gateway
//!
//! The end-to-end tests (`tests/*.rs`, one file per theme) drive the system only over
//! the wire, like `shared/acceptance/harness.py`: a real HTTP client (`reqwest`) and a
//! real WebSocket client (`tokio-tungstenite`) against `chat-local` started in-process on
//! `127.0.0.1:0` with its own temporary data folder, so every test may run in parallel.
//!
//! - [`TestServer`]: start / restart / stop a gateway; `login`, `http`, token minting
//!   (expired, wrong audience, …) with the signing secret the gateway keeps in its data
//!   folder, and WebSocket handshakes that may be refused ([`TestServer::try_ws`]).
//! - [`Ws`]: one connection. A background reader sorts frames into replies (by
//!   `requestId`), events and `{"type":"error"}` frames; `call` / `ok` / `refused` send an
//!   action and wait for its reply; `wait_event` / `expect_no_event` watch the events.
//!
//! Every wait is bounded ([`TIMEOUT`] unless told otherwise): a broken gateway fails a
//! test, it never hangs it.
//!
//! Guests arrive by invitation: [`invite_guest`] then [`TestServer::guest`] (or
//! [`TestServer::guest_login`] to see the HTTP answer of `POST /auth/guest`).
//!
//! Robot settings the gateway reads from its environment (`CHAT_OFFLINE_PACE_MS`,
//! `CHAT_ROBOT_TIMEOUT_SECONDS`, …) go in [`Options::env`] ([`TestServer::start_with_env`]).
//! [`TestServer::start_child`] runs a gateway in a child process, for tests that must
//! kill one for real ([`ChildGateway::kill_hard`]: SIGKILL).
//!
//! Modules: [`server`], [`ws`], [`tokens`], [`floor`] (supervisor queries),
//! [`file_helpers`] (uploads and downloads over the pre-signed URLs); the event
//! predicates and small action helpers below keep the tests short.

pub mod file_helpers;
pub mod floor;
pub mod robot_helpers;
pub mod server;
pub mod tokens;
pub mod ws;

use std::time::Duration;

use serde_json::{Value, json};

pub use floor::{audit_by, sorted_by_id};
pub use server::{ChildGateway, Options, TestServer, on_aws, serve_child};
pub use tokens::{decode_claims, forge_claims, now_secs, sign_claims};
pub use ws::{Refusal, Ws};

/// Default bound for every wait in these tests.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How long `expect_no_event` watches by default: long enough for an in-process push to
/// arrive, short enough to keep the suite fast.
pub const QUIET: Duration = Duration::from_millis(300);

/// The demo password of a demo user (PROTOCOL §0).
pub fn demo_password(user: &str) -> String {
    format!("{user}-pass")
}

/// The `error.code` of an HTTP or WebSocket error body (`"<none>"` when absent).
pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

/// `message.created` for the message `id`.
pub fn created(id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e| e["type"] == "message.created" && e["message"]["id"] == id
}

/// Any `message.created` in `room`.
pub fn created_in(room: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e| e["type"] == "message.created" && e["roomId"] == room
}

/// `room.updated` for `room` satisfying `also`.
pub fn room_updated<'a>(
    room: &'a str,
    also: impl Fn(&Value) -> bool + 'a,
) -> impl Fn(&Value) -> bool + 'a {
    move |e| e["type"] == "room.updated" && e["room"]["id"] == room && also(&e["room"])
}

/// A `message.created` in `room` written by the system (joins, leaves, hand-overs).
pub fn system_message_in(room: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e| {
        e["type"] == "message.created"
            && e["roomId"] == room
            && e["message"]["author"]["kind"] == "system"
    }
}

/// `room.inviteGuest` as `ws`'s user; returns the invite code.
pub async fn invite_guest(ws: &Ws, room: &str) -> String {
    let data = ws
        .ok(
            "room.inviteGuest",
            json!({"roomId": room, "displayName": "Guest"}),
        )
        .await;
    assert!(data["expiresAt"].is_string(), "{data}");
    data["inviteCode"]
        .as_str()
        .unwrap_or_else(|| panic!("room.inviteGuest without inviteCode: {data}"))
        .to_string()
}

/// Creates a group room as `ws`'s user; returns the room object.
pub async fn create_room(ws: &Ws, kind: &str, title: &str) -> Value {
    let data = ws
        .ok(
            "room.create",
            json!({"kind": kind, "title": title, "issue": {"title": format!("{title} issue")}}),
        )
        .await;
    data["room"].clone()
}

/// Sends a chat message; returns the message object.
pub async fn send_message(ws: &Ws, room: &str, client_msg_id: &str, text: &str) -> Value {
    ws.ok(
        "message.send",
        json!({"roomId": room, "clientMsgId": client_msg_id, "text": text}),
    )
    .await["message"]
        .clone()
}

/// The `seq` of every message in a history page.
pub fn seqs(messages: &Value) -> Vec<u64> {
    messages
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["seq"].as_u64()).collect())
        .unwrap_or_default()
}
