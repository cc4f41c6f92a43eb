//! The `message.send` scenario's bookkeeping: the shared [`Tracker`] and the
//! per-connection [`SendHandler`] that counts `message.created` deliveries.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use serde_json::Value;

use crate::conn::{Handler, Health, Incoming, Writes, clip};
use crate::plan::Plan;

/// `reply_seq` of a message the server refused.
pub const REFUSED: u64 = u64::MAX;

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

impl Writes for Tracker {
    fn stamp(&self, idx: usize) {
        self.sent_at[idx].store(self.now() + 1, Ordering::Release);
    }

    fn write_failed(&self) {
        self.write_errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// What one connection saw of the `message.send` load.
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
}

/// One connection's reader state for the `message.send` scenario.
pub struct SendHandler {
    index: usize,
    tracker: Arc<Tracker>,
    stats: ConnStats,
    /// Highest seq seen per room id on this connection.
    last_seq: HashMap<String, u64>,
    /// Arrival of the echo of this connection's own messages still awaiting a reply.
    own_echo: HashMap<usize, u64>,
}

impl SendHandler {
    pub fn new(index: usize, tracker: Arc<Tracker>) -> SendHandler {
        let total = tracker.sent_at.len();
        SendHandler {
            index,
            tracker,
            stats: ConnStats {
                counts: vec![0; total],
                ..ConnStats::default()
            },
            last_seq: HashMap::new(),
            own_echo: HashMap::new(),
        }
    }

    fn reply(&mut self, frame: Incoming<'_>, text: &str, health: &mut Health) {
        let id = frame.request_id.as_deref().unwrap_or_default();
        let Some(idx) = id.strip_prefix('m').and_then(|n| n.parse::<usize>().ok()) else {
            health.error(format!("reply with a foreign requestId {id:?}"));
            return;
        };
        let t = &self.tracker;
        if idx >= t.sent_at.len() {
            health.error(format!("reply for message {idx}, which does not exist"));
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
                health.error(format!("message {idx} refused: {}", clip(text)));
            }
        }
    }

    fn created(&mut self, frame: Incoming<'_>, health: &mut Health) {
        let Some(message) = frame.message else {
            health.error("message.created without a message".into());
            return;
        };
        let t = Arc::clone(&self.tracker);
        // System messages (invites) and other runs' messages are not ours to count.
        let Some(idx) = message.client_msg_id.as_deref().and_then(|c| t.index_of(c)) else {
            health.other_frames += 1;
            return;
        };
        let (Some(seq), Some(message_room)) = (message.seq, message.room_id) else {
            health.error(format!("message {idx} arrived without seq or roomId"));
            return;
        };
        let now = t.now();
        self.stats.counts[idx] = self.stats.counts[idx].saturating_add(1);
        let room = t.plan.room_of(idx);
        let expected_room = t.room_ids.get().and_then(|ids| ids.get(room));
        let event_room = frame.room_id.as_deref().unwrap_or(&message_room);
        if expected_room.map(String::as_str) != Some(event_room) || message_room != event_room {
            self.stats.wrong_room += 1;
        }
        // Looked up by `&str` first: the key is copied once per room, not per frame.
        let last = match self.last_seq.get_mut(&*message_room) {
            Some(last) => last,
            None => self.last_seq.entry(message_room.into_owned()).or_insert(0),
        };
        if seq < *last {
            self.stats.out_of_order += 1;
        }
        *last = (*last).max(seq);

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

impl Handler for SendHandler {
    type Stats = ConnStats;

    fn frame(&mut self, frame: Incoming<'_>, text: &str, health: &mut Health) {
        match &*frame.kind {
            "reply" => self.reply(frame, text, health),
            "message.created" => self.created(frame, health),
            _ => health.other_frames += 1,
        }
    }

    fn into_stats(self) -> ConnStats {
        self.stats
    }
}
