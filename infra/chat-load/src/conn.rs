//! One WebSocket connection: a writer task, a reader task, and request/reply for setup.
//!
//! The connection is scenario-agnostic: the reader answers setup requests itself and
//! hands every other frame to the scenario's [`Handler`], which owns its per-connection
//! counters and latency samples and hands them back when the connection is finished.
//! The hot path avoids shared locks; what several tasks must see (send timestamps,
//! progress counters) lives in the scenario's tracker atomics.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Read buffer per socket. tungstenite zero-fills its whole read buffer before every
/// read (even one that finds nothing), so its 128 KiB default cost this tool about a
/// fifth of its CPU under load; a read here returns a few frames of a few hundred
/// bytes each.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// At most this many error texts are kept per connection; the rest are only counted.
const KEPT_ERRORS: usize = 5;

/// What every connection reports whatever the scenario: errors and how it ended.
#[derive(Debug, Default)]
pub struct Health {
    pub error_count: u64,
    pub errors: Vec<String>,
    /// Frames the scenario did not count (system messages, other runs, pongs …).
    pub other_frames: u64,
    /// Why the socket ended before we closed it, if it did.
    pub closed_early: Option<String>,
}

/// A run's connection problems, for the report: a count and one line per problem.
#[derive(Debug, Default)]
pub struct ErrorTally {
    pub count: u64,
    pub lines: Vec<String>,
}

impl ErrorTally {
    /// Adds connection `c`'s errors and, if it ended early, why.
    pub fn add_connection(&mut self, c: usize, health: Health) {
        self.count += health.error_count;
        self.lines.extend(
            health
                .errors
                .into_iter()
                .map(|e| format!("connection {c}: {e}")),
        );
        if let Some(why) = health.closed_early {
            self.count += 1;
            self.lines.push(format!("connection {c}: {why}"));
        }
    }

    /// Adds socket writes that failed.
    pub fn add_write_errors(&mut self, failed: u64) {
        if failed > 0 {
            self.count += failed;
            self.lines.push(format!("{failed} socket write(s) failed"));
        }
    }
}

impl Health {
    pub fn error(&mut self, text: String) {
        self.error_count += 1;
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push(text);
        }
    }
}

/// A scenario's view of one connection's incoming frames.
pub trait Handler: Send + 'static {
    /// What the connection hands back at the end.
    type Stats: Default + Send + 'static;
    /// A parsed server frame that is not the reply to a setup request.
    fn frame(&mut self, frame: Incoming<'_>, text: &str, health: &mut Health);
    fn into_stats(self) -> Self::Stats;
}

/// What the writer tells the scenario's tracker.
pub trait Writes: Send + Sync + 'static {
    /// Load frame `idx` is about to be written to its socket.
    fn stamp(&self, idx: usize);
    /// A socket write failed (the writer stops).
    fn write_failed(&self);
}

/// What a finished connection saw.
#[derive(Debug, Default)]
pub struct Finished<S> {
    pub stats: S,
    pub health: Health,
}

/// A reply to a setup request.
type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<SetupReply>>>>;

/// What a setup request's waiter needs of its reply, owned (setup is not the hot path).
#[derive(Debug)]
struct SetupReply {
    ok: Option<bool>,
    data: Option<Value>,
    error: Option<Value>,
}

enum Out {
    Load { idx: usize, text: String },
    Raw(String),
}

/// An open connection of one user; `S` is what its scenario handler reports.
pub struct Conn<S> {
    pub index: usize,
    tx: mpsc::UnboundedSender<Out>,
    pending: Pending,
    next_request: AtomicU64,
    stop: watch::Sender<bool>,
    reader: JoinHandle<Finished<S>>,
    writer: JoinHandle<()>,
}

/// The parts of a server frame the tool reads; serde skips everything else (a delta's
/// text included: only its position matters here).
///
/// Strings borrow from the frame's text (`Cow` falls back to a copy only for a string
/// with escapes): the tool reads a couple of hundred thousand frames a second on the
/// same cores as the gateway it measures, and an allocation per field showed up as a
/// large share of its CPU.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(borrow)]
    pub request_id: Option<Cow<'a, str>>,
    pub ok: Option<bool>,
    pub data: Option<Value>,
    pub error: Option<Value>,
    #[serde(borrow)]
    pub message: Option<WireMessage<'a>>,
    #[serde(borrow)]
    pub room_id: Option<Cow<'a, str>>,
    /// `message.delta` only.
    #[serde(borrow)]
    pub message_id: Option<Cow<'a, str>>,
    /// `message.delta` only.
    pub index: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMessage<'a> {
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    pub seq: Option<u64>,
    #[serde(borrow)]
    pub room_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub client_msg_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub reply_to: Option<Cow<'a, str>>,
}

impl<S: Default + Send + 'static> Conn<S> {
    /// Opens `/ws` with the bearer token and starts the reader and writer.
    pub async fn connect<H: Handler<Stats = S>>(
        index: usize,
        ws_url: &str,
        token: &str,
        handler: H,
        writes: Arc<dyn Writes>,
        timeout: Duration,
    ) -> anyhow::Result<Conn<S>> {
        let mut request = ws_url.into_client_request().context("bad WebSocket URL")?;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("token is not a valid header")?;
        request.headers_mut().insert("Authorization", bearer);
        // Nagle off: small frames must leave at once or latency measures the kernel.
        let (socket, _) = tokio::time::timeout(
            timeout,
            tokio_tungstenite::connect_async_with_config(
                request,
                Some(WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES)),
                true,
            ),
        )
        .await
        .map_err(|_| anyhow!("WebSocket handshake timed out after {timeout:?}"))?
        .context("WebSocket handshake failed")?;
        let (mut sink, mut stream) = socket.split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
        let (stop, mut stopped) = watch::channel(false);
        let pending: Pending = Arc::default();

        let writer = tokio::spawn(async move {
            while let Some(out) = rx.recv().await {
                let text = match out {
                    Out::Load { idx, text } => {
                        // Stamped just before the write so the tool's own queueing
                        // between pacer and socket is not counted as server latency.
                        writes.stamp(idx);
                        text
                    }
                    Out::Raw(text) => text,
                };
                if sink.send(Message::Text(text.into())).await.is_err() {
                    writes.write_failed();
                    return;
                }
            }
            // The channel closed: we are finishing. A polite close; the server may
            // already be gone, which is fine at this point.
            let _ = sink.send(Message::Close(None)).await;
            let _ = sink.close().await;
        });

        let reader_pending = Arc::clone(&pending);
        let reader = tokio::spawn(async move {
            let mut state = Reader {
                handler,
                pending: reader_pending,
                health: Health::default(),
            };
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    frame = stream.next() => match frame {
                        Some(Ok(Message::Text(text))) => state.handle(text.as_str()),
                        // The server's answer to our own close (we are finishing,
                        // and `select!` saw the frame before the stop) is no error.
                        Some(Ok(Message::Close(_))) if *stopped.borrow() => break,
                        Some(Ok(Message::Close(frame))) => {
                            state.health.closed_early = Some(format!("server closed the socket: {frame:?}"));
                            break;
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => {
                            state.health.closed_early = Some(format!("socket read failed: {e}"));
                            break;
                        }
                        None => {
                            state.health.closed_early = Some("socket ended".into());
                            break;
                        }
                    }
                }
            }
            Finished {
                stats: state.handler.into_stats(),
                health: state.health,
            }
        });

        Ok(Conn {
            index,
            tx,
            pending,
            next_request: AtomicU64::new(0),
            stop,
            reader,
            writer,
        })
    }

    /// Sends an action and waits for its reply; `Ok(data)` or the server's error.
    pub async fn request(&self, mut action: Value, timeout: Duration) -> anyhow::Result<Value> {
        let id = format!("s{}", self.next_request.fetch_add(1, Ordering::Relaxed));
        let name = action["action"].as_str().unwrap_or("?").to_string();
        action
            .as_object_mut()
            .context("an action must be a JSON object")?
            .insert("requestId".into(), json!(id));
        let (reply_tx, reply_rx) = oneshot::channel();
        self.pending
            .lock()
            .map_err(|_| anyhow!("pending-request map poisoned"))?
            .insert(id.clone(), reply_tx);
        self.tx
            .send(Out::Raw(action.to_string()))
            .map_err(|_| anyhow!("connection {} is closed", self.index))?;
        let reply = tokio::time::timeout(timeout, reply_rx)
            .await
            .map_err(|_| anyhow!("{name}: no reply within {timeout:?}"))?
            .map_err(|_| anyhow!("{name}: connection closed before the reply"))?;
        if reply.ok == Some(true) {
            Ok(reply.data.unwrap_or(Value::Null))
        } else {
            bail!("{name} failed: {}", reply.error.unwrap_or(Value::Null))
        }
    }

    /// Queues load frame `idx` (its `requestId` must not start with `s`); its timing
    /// and reply are tracked by the scenario's handler.
    pub fn send_load(&self, idx: usize, frame: String) -> anyhow::Result<()> {
        self.tx
            .send(Out::Load { idx, text: frame })
            .map_err(|_| anyhow!("connection {} is closed", self.index))
    }

    /// Stops reading, closes the socket and returns what the connection saw.
    pub async fn finish(self, timeout: Duration) -> Finished<S> {
        let _ = self.stop.send(true);
        drop(self.tx);
        let lost = |why: String| Finished {
            stats: S::default(),
            health: Health {
                closed_early: Some(why),
                ..Health::default()
            },
        };
        let mut finished = match tokio::time::timeout(timeout, self.reader).await {
            Ok(Ok(finished)) => finished,
            Ok(Err(e)) => lost(format!("reader task failed: {e}")),
            Err(_) => lost("reader did not stop in time".into()),
        };
        let mut writer = self.writer;
        if tokio::time::timeout(timeout, &mut writer).await.is_err() {
            writer.abort();
            finished
                .health
                .error("writer did not close the socket in time".into());
        }
        finished
    }
}

/// The reader task's state: setup replies here, everything else to the handler.
struct Reader<H> {
    handler: H,
    pending: Pending,
    health: Health,
}

impl<H: Handler> Reader<H> {
    fn handle(&mut self, text: &str) {
        let frame: Incoming = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                self.health
                    .error(format!("unparseable server frame ({e}): {}", clip(text)));
                return;
            }
        };
        match &*frame.kind {
            "reply" => match frame.request_id.as_deref() {
                None => self
                    .health
                    .error(format!("reply without requestId: {}", clip(text))),
                Some(id) if id.starts_with('s') => {
                    let id = id.to_string();
                    let waiter = self.pending.lock().ok().and_then(|mut p| p.remove(&id));
                    match waiter {
                        // The requester may have timed out and gone; nothing to do then.
                        Some(w) => drop(w.send(SetupReply {
                            ok: frame.ok,
                            data: frame.data,
                            error: frame.error,
                        })),
                        None => self
                            .health
                            .error(format!("reply to an unknown request {id}")),
                    }
                }
                Some(_) => self.handler.frame(frame, text, &mut self.health),
            },
            "error" => self.health.error(format!("error frame: {}", clip(text))),
            _ => self.handler.frame(frame, text, &mut self.health),
        }
    }
}

/// The first 300 bytes of a frame, for error lines.
pub fn clip(text: &str) -> &str {
    let mut end = text.len().min(300);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
