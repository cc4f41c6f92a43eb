//! The `chat-local` binary takes its settings from the environment when no flag says
//! otherwise: started with `CHAT_RATE_LIMIT=2` (and nothing else), each connection gets
//! 2 actions a second with a burst of 4, and every frame counts, garbage included.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{connect_bearer, login, send};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

struct Gateway {
    child: Child,
    base: String,
    ws_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_binary(env: &[(&str, &str)], args: &[&str]) -> Gateway {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chat-local"));
    cmd.args(["--addr", &addr, "--data-dir"])
        .arg(dir.path())
        .arg("--demo")
        .args(args)
        .env_remove("CHAT_BACKEND")
        .env_remove("CHAT_RATE_LIMIT")
        .env_remove("CHAT_LAMBDA_ENDPOINT")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start chat-local");
    let base = format!("http://{addr}");
    let gateway = Gateway {
        child,
        ws_url: format!("ws://{addr}/ws"),
        base,
        _dir: dir,
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{}/healthz", gateway.base)).send().await {
            if r.status() == 200 {
                return gateway;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chat-local did not answer /healthz within 30 s");
}

/// Every frame that arrives within `quiet` of the previous one.
async fn drain(socket: &mut common::Socket, quiet: Duration) -> Vec<Value> {
    let mut frames = Vec::new();
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(quiet, socket.next()).await {
        if let Message::Text(t) = msg {
            frames.push(serde_json::from_str(t.as_str()).expect("JSON frame"));
        }
    }
    frames
}

fn codes(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| match f["ok"].as_bool() {
            Some(true) => "ok".to_string(),
            _ => f["error"]["code"].as_str().unwrap_or("?").to_string(),
        })
        .collect()
}

#[tokio::test]
async fn chat_rate_limit_in_the_environment_limits_every_connection() {
    let gw = start_binary(&[("CHAT_RATE_LIMIT", "2")], &[]).await;
    let token = login(&gw.base, "alice").await;
    let mut socket = connect_bearer(&gw.ws_url, &token).await;

    for i in 0..8 {
        send(
            &mut socket,
            json!({"action": "room.list", "requestId": format!("r{i}")}),
        )
        .await;
    }
    let got = codes(&drain(&mut socket, Duration::from_millis(500)).await);
    // Burst 2×2 served, one second's worth (2) of rate_limited answers, the rest dropped.
    assert_eq!(
        got,
        ["ok", "ok", "ok", "ok", "rate_limited", "rate_limited"]
    );

    // Sustained: one frame every 50 ms for 3 s (60 frames, 20/s) is served at about
    // 2 a second — what the bucket held when the pacing began (at most its burst of 4,
    // refilled while the burst above drained) plus 2 per second. With the default of 20
    // every one would be served.
    for i in 0..60 {
        let id = format!("p{i}");
        send(&mut socket, json!({"action": "room.list", "requestId": id})).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = codes(&drain(&mut socket, Duration::from_millis(300)).await);
    let served = got.iter().filter(|c| *c == "ok").count();
    // Slack for a busy CI machine stretching the 3 s; the default limit would serve 60.
    assert!(
        (5..=14).contains(&served),
        "served {served} of 60 in 3 s: {got:?}"
    );
    assert!(
        got.iter().all(|c| c == "ok" || c == "rate_limited"),
        "{got:?}"
    );

    // Garbage counts too: after a pause, 6 junk frames are 4 parse errors (the burst)
    // and then rate_limited.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    for _ in 0..6 {
        socket.send(Message::text("not json")).await.expect("send");
    }
    let got = codes(&drain(&mut socket, Duration::from_millis(300)).await);
    assert_eq!(
        got,
        [
            "bad_request",
            "bad_request",
            "bad_request",
            "bad_request",
            "rate_limited",
            "rate_limited"
        ]
    );
}

#[tokio::test]
async fn the_flag_beats_the_environment() {
    let gw = start_binary(&[("CHAT_RATE_LIMIT", "2")], &["--rate-limit", "0"]).await;
    let token = login(&gw.base, "alice").await;
    let mut socket = connect_bearer(&gw.ws_url, &token).await;
    for i in 0..30 {
        send(
            &mut socket,
            json!({"action": "room.list", "requestId": format!("r{i}")}),
        )
        .await;
    }
    let got = codes(&drain(&mut socket, Duration::from_millis(500)).await);
    assert_eq!(got.len(), 30);
    assert!(got.iter().all(|c| c == "ok"), "{got:?}");
}
