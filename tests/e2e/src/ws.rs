//! [`Ws`]: one WebSocket connection with a background reader that sorts frames into
//! replies (by `requestId`), events and `{"type":"error"}` frames.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::TIMEOUT;

/// A refused handshake: the HTTP status and body.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub body: String,
}

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;

/// What the reader task has seen so far.
#[derive(Default)]
struct Inbox {
    replies: HashMap<String, Value>,
    /// Every non-reply, non-error frame, in arrival order (pong included).
    events: Vec<Value>,
    errors: Vec<Value>,
    /// Set when the socket ends: the close frame's code, if any.
    closed: Option<Option<u16>>,
}

/// One WebSocket connection.
pub struct Ws {
    sink: tokio::sync::Mutex<Sink>,
    inbox: Arc<Mutex<Inbox>>,
    /// Bumped by the reader after every frame; waiters watch it instead of polling.
    changed: watch::Receiver<u64>,
    reader: JoinHandle<()>,
}

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

fn next_request_id() -> String {
    format!("r{}", NEXT_REQUEST.fetch_add(1, Ordering::Relaxed))
}

impl Drop for Ws {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Ws {
    /// Opens a socket to `server` with `Authorization: Bearer <token>`; panics if refused
    /// (same as [`TestServer::ws`](crate::TestServer::ws)).
    pub async fn connect(server: &crate::TestServer, token: &str) -> Ws {
        server.ws(token).await
    }

    pub(crate) async fn connect_to(url: &str, headers: &[(&str, &str)]) -> Result<Ws, Refusal> {
        let mut request = url.into_client_request().expect("a WebSocket URL");
        for (name, value) in headers {
            let name =
                tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("a header name");
            let value = HeaderValue::from_str(value).expect("a header value");
            request.headers_mut().insert(name, value);
        }
        let connected = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(request))
            .await
            .expect("WebSocket handshake did not finish within the timeout");
        let stream = match connected {
            Ok((stream, _)) => stream,
            Err(tungstenite::Error::Http(resp)) => {
                let body = resp
                    .body()
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                return Err(Refusal {
                    status: resp.status().as_u16(),
                    body,
                });
            }
            Err(e) => panic!("WebSocket handshake failed: {e}"),
        };
        let (sink, mut source) = stream.split();
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let (tx, changed) = watch::channel(0u64);
        let reader_inbox = inbox.clone();
        let reader = tokio::spawn(async move {
            let mut close_code = None;
            while let Some(item) = source.next().await {
                let frame = match item {
                    Ok(Message::Text(t)) => serde_json::from_str::<Value>(t.as_str())
                        .unwrap_or_else(|_| json!({"type": "_unparseable", "raw": t.as_str()})),
                    Ok(Message::Close(c)) => {
                        close_code = c.map(|c| u16::from(c.code));
                        break;
                    }
                    Ok(_) => continue, // ping/pong/binary: not part of the protocol
                    Err(_) => break,
                };
                {
                    let mut inbox = reader_inbox.lock().expect("inbox lock");
                    match frame.get("type").and_then(Value::as_str) {
                        Some("reply") => {
                            let id = frame["requestId"].as_str().unwrap_or_default().to_string();
                            inbox.replies.insert(id, frame);
                        }
                        Some("error") => inbox.errors.push(frame),
                        _ => inbox.events.push(frame),
                    }
                }
                tx.send_modify(|n| *n += 1);
            }
            reader_inbox.lock().expect("inbox lock").closed = Some(close_code);
            tx.send_modify(|n| *n += 1);
        });
        Ok(Ws {
            sink: tokio::sync::Mutex::new(sink),
            inbox,
            changed,
            reader,
        })
    }

    /// Waits until `check` (run on the inbox after every frame) returns `Some`.
    async fn wait_for<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&mut Inbox) -> Option<T>,
    ) -> Option<T> {
        let mut changed = self.changed.clone();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changed.borrow_and_update();
            if let Some(found) = check(&mut self.inbox.lock().expect("inbox lock")) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                // Reader gone: one last look, then give up.
                Ok(Err(_)) => return check(&mut self.inbox.lock().expect("inbox lock")),
                Err(_) => return None,
            }
        }
    }

    /// Sends a raw text frame.
    pub async fn send_text(&self, text: impl Into<String>) {
        let text: String = text.into();
        let mut sink = self.sink.lock().await;
        tokio::time::timeout(TIMEOUT, sink.send(Message::Text(text.into())))
            .await
            .expect("send did not finish within the timeout")
            .expect("send a frame");
    }

    /// Sends `{"action", "requestId", …fields}` without waiting; returns the requestId.
    pub async fn send(&self, action: &str, fields: Value) -> String {
        let id = next_request_id();
        let mut frame = match fields {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => panic!("fields must be a JSON object, got {other}"),
        };
        frame.insert("action".into(), json!(action));
        frame.insert("requestId".into(), json!(id));
        self.send_text(Value::Object(frame).to_string()).await;
        id
    }

    /// Waits for the reply to `request_id` (and takes it out of the inbox).
    pub async fn reply(&self, request_id: &str) -> Value {
        self.wait_for(TIMEOUT, |inbox| inbox.replies.remove(request_id))
            .await
            .unwrap_or_else(|| panic!("no reply to {request_id} within {TIMEOUT:?}"))
    }

    /// Sends an action and returns its whole reply frame.
    pub async fn call(&self, action: &str, fields: Value) -> Value {
        let id = self.send(action, fields).await;
        let reply = self.reply(&id).await;
        assert_eq!(reply["requestId"], json!(id), "reply carries the requestId");
        reply
    }

    /// Sends an action that must succeed; returns its `data`.
    pub async fn ok(&self, action: &str, fields: Value) -> Value {
        let reply = self.call(action, fields).await;
        assert_eq!(reply["ok"], json!(true), "{action} failed: {reply}");
        reply.get("data").cloned().unwrap_or(Value::Null)
    }

    /// Sends an action that must be refused with `code`; returns the error object.
    pub async fn refused(&self, action: &str, fields: Value, code: &str) -> Value {
        let reply = self.call(action, fields).await;
        assert_eq!(
            reply["ok"],
            json!(false),
            "{action} should have been refused: {reply}"
        );
        assert_eq!(
            reply["error"]["code"],
            json!(code),
            "{action}: wrong error in {reply}"
        );
        assert!(
            reply["error"]["message"].is_string(),
            "{action}: the error has no message: {reply}"
        );
        reply["error"].clone()
    }

    /// The first event (in arrival order) matching `pred`, waiting up to `timeout`.
    pub async fn wait_event(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        self.wait_for(timeout, |inbox| {
            inbox.events.iter().find(|e| pred(e)).cloned()
        })
        .await
        .unwrap_or_else(|| panic!("no {what} within {timeout:?}; events: {:?}", self.events()))
    }

    /// The number of events received so far, for [`wait_event_since`](Self::wait_event_since).
    pub fn mark(&self) -> usize {
        self.inbox.lock().expect("inbox lock").events.len()
    }

    /// Like [`wait_event`](Self::wait_event), ignoring the first `mark` events.
    pub async fn wait_event_since(
        &self,
        mark: usize,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        self.wait_for(timeout, |inbox| {
            inbox.events.iter().skip(mark).find(|e| pred(e)).cloned()
        })
        .await
        .unwrap_or_else(|| panic!("no {what} within {timeout:?}; events: {:?}", self.events()))
    }

    /// Waits until at least `n` events match `pred`; returns all matching, in order.
    pub async fn wait_events(
        &self,
        what: &str,
        n: usize,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        self.wait_for(timeout, |inbox| {
            let found: Vec<Value> = inbox.events.iter().filter(|e| pred(e)).cloned().collect();
            (found.len() >= n).then_some(found)
        })
        .await
        .unwrap_or_else(|| {
            let got = self.events().into_iter().filter(|e| pred(e)).count();
            panic!("expected {n} {what} within {timeout:?}, got {got}")
        })
    }

    /// Asserts that no event matching `pred` arrives within `within` (or has arrived).
    pub async fn expect_no_event(
        &self,
        what: &str,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) {
        if let Some(e) = self
            .wait_for(within, |inbox| {
                inbox.events.iter().find(|e| pred(e)).cloned()
            })
            .await
        {
            panic!("unexpected {what}: {e}");
        }
    }

    /// Like [`expect_no_event`](Self::expect_no_event), ignoring the first `mark` events.
    pub async fn expect_no_event_since(
        &self,
        mark: usize,
        what: &str,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) {
        if let Some(e) = self
            .wait_for(within, |inbox| {
                inbox.events.iter().skip(mark).find(|e| pred(e)).cloned()
            })
            .await
        {
            panic!("unexpected {what}: {e}");
        }
    }

    /// Every event matching `pred` once the socket has been quiet for `quiet` — for
    /// counting (absence of duplicates needs a quiet period; nothing else does).
    pub async fn settled_events(
        &self,
        quiet: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let mut changed = self.changed.clone();
        changed.borrow_and_update();
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        // Wait until no frame arrives for `quiet` (bounded by TIMEOUT overall).
        while let Ok(Ok(())) = tokio::time::timeout(quiet, changed.changed()).await {
            changed.borrow_and_update();
            if tokio::time::Instant::now() >= deadline {
                break;
            }
        }
        self.events().into_iter().filter(|e| pred(e)).collect()
    }

    /// The next `{"type":"error"}` frame after the first `seen` ones.
    pub async fn wait_error(&self, seen: usize) -> Value {
        self.wait_for(TIMEOUT, |inbox| inbox.errors.get(seen).cloned())
            .await
            .unwrap_or_else(|| panic!("no error frame within {TIMEOUT:?}"))
    }

    /// A snapshot of every event so far, in arrival order.
    pub fn events(&self) -> Vec<Value> {
        self.inbox.lock().expect("inbox lock").events.clone()
    }

    /// A snapshot of the `{"type":"error"}` frames so far.
    pub fn errors(&self) -> Vec<Value> {
        self.inbox.lock().expect("inbox lock").errors.clone()
    }

    /// Waits for the server to close the socket; returns the close code, if one was sent.
    pub async fn wait_closed(&self, timeout: Duration) -> Option<u16> {
        self.wait_for(timeout, |inbox| inbox.closed)
            .await
            .unwrap_or_else(|| panic!("the socket was not closed within {timeout:?}"))
    }

    pub fn is_closed(&self) -> bool {
        self.inbox.lock().expect("inbox lock").closed.is_some()
    }

    /// Closes the socket from this side and waits for the server to acknowledge.
    pub async fn close(self) {
        {
            let mut sink = self.sink.lock().await;
            let _ = tokio::time::timeout(TIMEOUT, sink.send(Message::Close(None))).await;
        }
        let _ = self.wait_for(TIMEOUT, |inbox| inbox.closed).await;
    }
}
