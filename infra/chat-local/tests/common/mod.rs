//! Shared helpers: a gateway on a free port in a temporary data folder, HTTP login, and
//! WebSocket clients over real sockets.
#![allow(dead_code)]

use std::time::Duration;

use chat_local::{GatewayConfig, RunningGateway, start};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct TestGateway {
    pub gateway: RunningGateway,
    pub dir: tempfile::TempDir,
    pub base: String,
    pub ws_url: String,
}

pub async fn spawn(demo: bool) -> TestGateway {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_in(dir, demo).await
}

pub async fn spawn_in(dir: tempfile::TempDir, demo: bool) -> TestGateway {
    let mut config = GatewayConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        dir.path().to_path_buf(),
    );
    config.demo = demo;
    let gateway = start(config).await.expect("gateway starts");
    let addr = gateway.local_addr();
    TestGateway {
        gateway,
        dir,
        base: format!("http://{addr}"),
        ws_url: format!("ws://{addr}/ws"),
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// Sends a request that must succeed at the HTTP level and returns its JSON body.
pub trait JsonBody {
    async fn json_body(self) -> Value;
}

impl JsonBody for reqwest::RequestBuilder {
    async fn json_body(self) -> Value {
        self.send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("a JSON body")
    }
}

/// Logs in a demo user (`<name>-pass`) and returns the token.
pub async fn login(base: &str, user: &str) -> String {
    let resp = http()
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({ "username": user, "password": format!("{user}-pass") }))
        .send()
        .await
        .expect("login request");
    assert_eq!(resp.status(), 200, "login {user}");
    let body: Value = resp.json().await.expect("login body");
    body["token"].as_str().expect("token").to_string()
}

/// Opens `/ws` with optional headers; `Err((status, body))` when the handshake is refused.
pub async fn connect(url: &str, headers: &[(&str, &str)]) -> Result<Socket, (u16, String)> {
    let mut request = url.into_client_request().expect("request");
    for (name, value) in headers {
        let name: tokio_tungstenite::tungstenite::http::HeaderName =
            name.parse().expect("header name");
        request
            .headers_mut()
            .insert(name, HeaderValue::from_str(value).expect("header value"));
    }
    match connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(WsError::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).to_string())
                .unwrap_or_default();
            Err((status, body))
        }
        Err(e) => panic!("handshake failed oddly: {e}"),
    }
}

pub async fn connect_bearer(url: &str, token: &str) -> Socket {
    connect(url, &[("authorization", &format!("Bearer {token}"))])
        .await
        .unwrap_or_else(|(s, b)| panic!("handshake refused: {s} {b}"))
}

pub async fn send(socket: &mut Socket, frame: Value) {
    socket
        .send(Message::text(frame.to_string()))
        .await
        .expect("send");
}

/// The next text frame as JSON, skipping events that `skip` matches (e.g. presence).
pub async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("socket open")
            .expect("socket ok");
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

/// Sends an action and returns its reply, skipping any events before it.
pub async fn call(socket: &mut Socket, action: &str, request_id: &str, fields: Value) -> Value {
    let mut frame = serde_json::json!({ "action": action, "requestId": request_id });
    if let (Some(obj), Value::Object(extra)) = (frame.as_object_mut(), fields) {
        obj.extend(extra);
    }
    send(socket, frame).await;
    loop {
        let f = next_json(socket).await;
        if f["type"] == "reply" && f["requestId"] == request_id {
            return f;
        }
    }
}

/// Waits until the server closes the socket (close frame or end of stream).
pub async fn closed_by_server(socket: &mut Socket) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return false,
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => continue,
        }
    }
}
