//! One WebSocket connection: a writer task, a reader task, and request/reply for setup.
//!
//! The hot path avoids shared locks: each reader owns its per-connection counters and
//! latency samples and hands them back when the connection is finished. What several
//! tasks must see (send timestamps, progress counters) lives in [`Tracker`] atomics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::plan::Plan;

/// `reply_seq` of a message the server refused.
pub const REFUSED: u64 = u64::MAX;

/// At most this many error texts are kept per connection; the rest are only counted.
const KEPT_ERRORS: usize = 5;

/// State shared by every connection task and the pacer.
pub struct Tracker {
    pub base: Instant,
    /// `clientMsgId` prefix of this run, so frames of other runs are never counted.
    pub prefix: String,
    pub plan: Arc<Plan>,
    /// Room ids by room index; set once setup is done, before the first send.
    pub room_ids: OnceLock<Vec<String>>,
    /// Per message: when it was written (ns since `base`, +1 so 0 means "not yet").
    pub sent_at: Vec<AtomicU64>,
    /// Per message: the seq its reply carried (0 = no reply yet, [`REFUSED`] = the
    /// server answered with an error, so the message must not exist).
    pub reply_seq: Vec<AtomicU64>,
    /// Per message: how many connections got its `message.created`.
    pub deliveries: Vec<AtomicU32>,
    /// Per message: the latest arrival at any connection (ns since `base`).
    pub last_arrival: Vec<AtomicU64>,
    pub replies_ok: AtomicU64,
    pub replies_err: AtomicU64,
    pub delivered: AtomicU64,
    pub write_errors: AtomicU64,
    /// Latest reply arrival (ns since `base`), for the throughput window.
    pub last_reply_at: AtomicU64,
}

impl Tracker {
    pub fn new(plan: Arc<Plan>, prefix: String, total: usize) -> Tracker {
        let atomics64 = || (0..total).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
        Tracker {
            base: Instant::now(),
            prefix,
            plan,
            room_ids: OnceLock::new(),
            sent_at: atomics64(),
            reply_seq: atomics64(),
            deliveries: (0..total).map(|_| AtomicU32::new(0)).collect(),
            last_arrival: atomics64(),
            replies_ok: AtomicU64::new(0),
            replies_err: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            write_errors: AtomicU64::new(0),
            last_reply_at: AtomicU64::new(0),
        }
    }

    pub fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    pub fn client_msg_id(&self, idx: usize) -> String {
        format!("{}{idx}", self.prefix)
    }

    pub fn index_of(&self, client_msg_id: &str) -> Option<usize> {
        let idx: usize = client_msg_id.strip_prefix(&self.prefix)?.parse().ok()?;
        (idx < self.sent_at.len()).then_some(idx)
    }
}

/// What one connection saw, handed back by [`Conn::finish`].
#[derive(Debug, Default)]
pub struct ConnStats {
    /// `message.created` count per message index (saturating).
    pub counts: Vec<u8>,
    pub reply_latency: Vec<u64>,
    pub fanout_latency: Vec<u64>,
    /// For this connection's own messages: time from its `message.created` echo to its
    /// reply. The server queues both back to back, so anything well above a
    /// millisecond is TCP holding the second frame (Nagle waiting for a delayed ACK).
    pub echo_to_reply: Vec<u64>,
    /// Our messages that arrived with another room's id.
    pub wrong_room: u64,
    /// Arrivals whose seq was below one already seen in that room on this connection:
    /// allowed (concurrent sends fan out independently) but worth showing.
    pub out_of_order: u64,
    pub error_count: u64,
    pub errors: Vec<String>,
    pub other_frames: u64,
    /// Why the socket ended before we closed it, if it did.
    pub closed_early: Option<String>,
}

impl ConnStats {
    fn error(&mut self, text: String) {
        self.error_count += 1;
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push(text);
        }
    }
}

/// A reply to a setup request.
type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Incoming>>>>;

enum Out {
    Load { idx: usize, text: String },
    Raw(String),
}

/// An open connection of one user.
pub struct Conn {
    pub index: usize,
    tx: mpsc::UnboundedSender<Out>,
    pending: Pending,
    next_request: AtomicU64,
    stop: watch::Sender<bool>,
    reader: JoinHandle<ConnStats>,
    writer: JoinHandle<()>,
}

/// The parts of a server frame the tool reads; serde skips everything else.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
    request_id: Option<String>,
    ok: Option<bool>,
    data: Option<Value>,
    error: Option<Value>,
    message: Option<WireMessage>,
    room_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMessage {
    seq: u64,
    room_id: String,
    client_msg_id: Option<String>,
}

impl Conn {
    /// Opens `/ws` with the bearer token and starts the reader and writer.
    pub async fn connect(
        index: usize,
        ws_url: &str,
        token: &str,
        tracker: Arc<Tracker>,
        timeout: Duration,
    ) -> anyhow::Result<Conn> {
        let mut request = ws_url.into_client_request().context("bad WebSocket URL")?;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("token is not a valid header")?;
        request.headers_mut().insert("Authorization", bearer);
        // Nagle off: small frames must leave at once or latency measures the kernel.
        let (socket, _) = tokio::time::timeout(
            timeout,
            tokio_tungstenite::connect_async_with_config(request, None, true),
        )
        .await
        .map_err(|_| anyhow!("WebSocket handshake timed out after {timeout:?}"))?
        .context("WebSocket handshake failed")?;
        let (mut sink, mut stream) = socket.split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
        let (stop, mut stopped) = watch::channel(false);
        let pending: Pending = Arc::default();

        let writer_tracker = Arc::clone(&tracker);
        let writer = tokio::spawn(async move {
            while let Some(out) = rx.recv().await {
                let text = match out {
                    Out::Load { idx, text } => {
                        // Stamped just before the write so the tool's own queueing
                        // between pacer and socket is not counted as server latency.
                        writer_tracker.sent_at[idx]
                            .store(writer_tracker.now() + 1, Ordering::Release);
                        text
                    }
                    Out::Raw(text) => text,
                };
                if sink.send(Message::Text(text.into())).await.is_err() {
                    writer_tracker.write_errors.fetch_add(1, Ordering::Relaxed);
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
            let mut state = Reader::new(index, tracker, reader_pending);
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    frame = stream.next() => match frame {
                        Some(Ok(Message::Text(text))) => state.handle(text.as_str()),
                        Some(Ok(Message::Close(frame))) => {
                            state.stats.closed_early = Some(format!("server closed the socket: {frame:?}"));
                            break;
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => {
                            state.stats.closed_early = Some(format!("socket read failed: {e}"));
                            break;
                        }
                        None => {
                            state.stats.closed_early = Some("socket ended".into());
                            break;
                        }
                    }
                }
            }
            state.stats
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

    /// Queues `message.send` number `idx`; its timing and reply are tracked by the tasks.
    pub fn send_load(&self, idx: usize, frame: String) -> anyhow::Result<()> {
        self.tx
            .send(Out::Load { idx, text: frame })
            .map_err(|_| anyhow!("connection {} is closed", self.index))
    }

    /// Stops reading, closes the socket and returns what the connection saw.
    pub async fn finish(self, timeout: Duration) -> ConnStats {
        let _ = self.stop.send(true);
        drop(self.tx);
        let mut stats = match tokio::time::timeout(timeout, self.reader).await {
            Ok(Ok(stats)) => stats,
            Ok(Err(e)) => ConnStats {
                closed_early: Some(format!("reader task failed: {e}")),
                ..ConnStats::default()
            },
            Err(_) => ConnStats {
                closed_early: Some("reader did not stop in time".into()),
                ..ConnStats::default()
            },
        };
        let mut writer = self.writer;
        if tokio::time::timeout(timeout, &mut writer).await.is_err() {
            writer.abort();
            stats.error("writer did not close the socket in time".into());
        }
        stats
    }
}

/// The reader task's state.
struct Reader {
    index: usize,
    tracker: Arc<Tracker>,
    pending: Pending,
    stats: ConnStats,
    /// Highest seq seen per room id on this connection.
    last_seq: HashMap<String, u64>,
    /// Arrival of the echo of this connection's own messages still awaiting a reply.
    own_echo: HashMap<usize, u64>,
}

impl Reader {
    fn new(index: usize, tracker: Arc<Tracker>, pending: Pending) -> Reader {
        let total = tracker.sent_at.len();
        Reader {
            index,
            tracker,
            pending,
            stats: ConnStats {
                counts: vec![0; total],
                ..ConnStats::default()
            },
            last_seq: HashMap::new(),
            own_echo: HashMap::new(),
        }
    }

    fn handle(&mut self, text: &str) {
        let frame: Incoming = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                self.stats
                    .error(format!("unparseable server frame ({e}): {}", clip(text)));
                return;
            }
        };
        match frame.kind.as_str() {
            "reply" => self.reply(frame, text),
            "message.created" => self.created(frame),
            "error" => self.stats.error(format!("error frame: {}", clip(text))),
            _ => self.stats.other_frames += 1,
        }
    }

    fn reply(&mut self, frame: Incoming, text: &str) {
        let Some(id) = frame.request_id.clone() else {
            self.stats
                .error(format!("reply without requestId: {}", clip(text)));
            return;
        };
        if id.starts_with('s') {
            let waiter = self.pending.lock().ok().and_then(|mut p| p.remove(&id));
            match waiter {
                // The requester may have timed out and gone; nothing to do then.
                Some(w) => drop(w.send(frame)),
                None => self
                    .stats
                    .error(format!("reply to an unknown request {id}")),
            }
            return;
        }
        let Some(idx) = id.strip_prefix('m').and_then(|n| n.parse::<usize>().ok()) else {
            self.stats
                .error(format!("reply with a foreign requestId {id:?}"));
            return;
        };
        let t = &self.tracker;
        if idx >= t.sent_at.len() {
            self.stats
                .error(format!("reply for message {idx}, which does not exist"));
            return;
        }
        let now = t.now();
        t.last_reply_at.fetch_max(now, Ordering::Relaxed);
        let seq = frame
            .data
            .as_ref()
            .and_then(|d| d.pointer("/message/seq"))
            .and_then(Value::as_u64);
        match (frame.ok, seq) {
            (Some(true), Some(seq)) => {
                let sent = t.sent_at[idx].load(Ordering::Acquire);
                if sent > 0 {
                    self.stats.reply_latency.push(now.saturating_sub(sent - 1));
                }
                if let Some(echo) = self.own_echo.remove(&idx) {
                    self.stats.echo_to_reply.push(now.saturating_sub(echo));
                }
                t.reply_seq[idx].store(seq, Ordering::Release);
                t.replies_ok.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                t.reply_seq[idx].store(REFUSED, Ordering::Release);
                t.replies_err.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .error(format!("message {idx} refused: {}", clip(text)));
            }
        }
    }

    fn created(&mut self, frame: Incoming) {
        let Some(message) = frame.message else {
            self.stats.error("message.created without a message".into());
            return;
        };
        let t = Arc::clone(&self.tracker);
        // System messages (invites) and other runs' messages are not ours to count.
        let Some(idx) = message.client_msg_id.as_deref().and_then(|c| t.index_of(c)) else {
            self.stats.other_frames += 1;
            return;
        };
        let now = t.now();
        self.stats.counts[idx] = self.stats.counts[idx].saturating_add(1);
        let room = t.plan.room_of(idx);
        let expected_room = t.room_ids.get().and_then(|ids| ids.get(room));
        let event_room = frame.room_id.as_deref().unwrap_or(&message.room_id);
        if expected_room.map(String::as_str) != Some(event_room) || message.room_id != event_room {
            self.stats.wrong_room += 1;
        }
        let last = self.last_seq.entry(message.room_id).or_insert(0);
        if message.seq < *last {
            self.stats.out_of_order += 1;
        }
        *last = (*last).max(message.seq);

        let sent = t.sent_at[idx].load(Ordering::Acquire);
        if t.plan.sender_conn(idx) == self.index {
            // Only before the reply: an echo after it has no gap to measure.
            if t.reply_seq[idx].load(Ordering::Acquire) == 0 {
                self.own_echo.insert(idx, now);
            }
        } else if sent > 0 {
            self.stats.fanout_latency.push(now.saturating_sub(sent - 1));
        }
        t.deliveries[idx].fetch_add(1, Ordering::Relaxed);
        t.last_arrival[idx].fetch_max(now, Ordering::Relaxed);
        t.delivered.fetch_add(1, Ordering::Relaxed);
    }
}

/// The first 300 bytes of a frame, for error lines.
fn clip(text: &str) -> &str {
    let mut end = text.len().min(300);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
