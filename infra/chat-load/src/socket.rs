//! One plain WebSocket session for the sequential scenarios (`files`, `forms`): call an
//! action and wait for its reply, and read the events that arrive meanwhile. The load
//! scenarios use `conn.rs` instead (many sockets, pipelined sends).

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::cli::ws_url;

pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    timeout: Duration,
    next_id: u64,
    /// Events read while waiting for a reply, oldest first.
    events: VecDeque<Value>,
}

impl Socket {
    /// Opens `<base>/ws` with the bearer token.
    pub async fn open(base: &str, token: &str, timeout: Duration) -> anyhow::Result<Socket> {
        let mut request = ws_url(base).into_client_request()?;
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        let (ws, _) = tokio::time::timeout(
            timeout,
            tokio_tungstenite::connect_async_with_config(request, None, true),
        )
        .await
        .context("WebSocket handshake timed out")??;
        Ok(Socket {
            ws,
            timeout,
            next_id: 0,
            events: VecDeque::new(),
        })
    }

    /// Sends `action` with `fields`; returns the reply's `data` (an error reply fails).
    pub async fn call(&mut self, action: &str, fields: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = format!("s{}", self.next_id);
        let mut frame = fields;
        frame["action"] = json!(action);
        frame["requestId"] = json!(id);
        self.ws.send(Frame::text(frame.to_string())).await?;
        loop {
            let v = self.read().await?;
            if v["type"] == "reply" && v["requestId"] == id.as_str() {
                if v["ok"] != true {
                    bail!("{action} refused: {v}");
                }
                return Ok(v["data"].clone());
            }
            self.events.push_back(v);
        }
    }

    /// The next event (not a reply), waiting up to the timeout.
    pub async fn next_event(&mut self) -> anyhow::Result<Value> {
        if let Some(v) = self.events.pop_front() {
            return Ok(v);
        }
        loop {
            let v = self.read().await?;
            if v["type"] != "reply" {
                return Ok(v);
            }
        }
    }

    async fn read(&mut self) -> anyhow::Result<Value> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, async {
            while let Some(frame) = self.ws.next().await {
                if let Frame::Text(text) = frame? {
                    return Ok(serde_json::from_str(&text)?);
                }
            }
            Err(anyhow!("the socket closed"))
        })
        .await
        .with_context(|| format!("nothing arrived within {timeout:?}"))?
    }
}
