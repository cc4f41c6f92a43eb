//! State shared by the pacer and every connection of a robots run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use crate::conn::Writes;
use crate::plan::Plan;

/// `outcome` values.
pub const PENDING: u8 = 0;
pub const COMPLETE: u8 = 1;
pub const FAILED: u8 = 2;
/// The ask itself was refused (error reply): no answer will come.
pub const REFUSED: u8 = 3;

/// Per-ask timings are ns since `base`, +1 so 0 means "not yet".
pub struct AskTracker {
    pub base: Instant,
    /// `clientMsgId` prefix of this run; ask `i` uses `<prefix><i>`.
    pub prefix: String,
    pub plan: Arc<Plan>,
    pub room_ids: OnceLock<Vec<String>>,
    pub sent_at: Vec<AtomicU64>,
    /// Reply to the ask at the asker's connection.
    pub reply_at: Vec<AtomicU64>,
    /// First `message.delta` of the answer at the asker's connection.
    pub first_delta_at: Vec<AtomicU64>,
    /// Final `message.updated` at the asker's connection.
    pub final_at: Vec<AtomicU64>,
    /// [`PENDING`], [`COMPLETE`], [`FAILED`] or [`REFUSED`], as the asker saw it.
    pub outcome: Vec<AtomicU8>,
    /// Connections that got the answer's final `message.updated`.
    pub finals_seen: Vec<AtomicU32>,
    /// Asks that reached an outcome at the asker (complete, failed or refused).
    pub finished: AtomicU64,
    pub completed: AtomicU64,
    pub failed: AtomicU64,
    pub refused: AtomicU64,
    /// Accepted asks whose response started `streaming` (the others are `pending`).
    pub streaming: AtomicU64,
    /// Final updates seen over all connections (for the drain).
    pub finals_total: AtomicU64,
    pub last_final_at: AtomicU64,
    pub write_errors: AtomicU64,
    /// Response message id → ask index, filled from `message.created` and replies.
    responses: Mutex<HashMap<String, usize>>,
}

impl AskTracker {
    pub fn new(plan: Arc<Plan>, prefix: String, total: usize) -> AskTracker {
        let a64 = || (0..total).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
        AskTracker {
            base: Instant::now(),
            prefix,
            plan,
            room_ids: OnceLock::new(),
            sent_at: a64(),
            reply_at: a64(),
            first_delta_at: a64(),
            final_at: a64(),
            outcome: (0..total).map(|_| AtomicU8::new(PENDING)).collect(),
            finals_seen: (0..total).map(|_| AtomicU32::new(0)).collect(),
            finished: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            streaming: AtomicU64::new(0),
            finals_total: AtomicU64::new(0),
            last_final_at: AtomicU64::new(0),
            write_errors: AtomicU64::new(0),
            responses: Mutex::new(HashMap::new()),
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

    pub fn is_our_room(&self, room_id: Option<&str>) -> bool {
        match (self.room_ids.get(), room_id) {
            (Some(ids), Some(id)) => ids.iter().any(|r| r == id),
            _ => false,
        }
    }

    pub fn remember_response(&self, message_id: &str, idx: usize) {
        if let Ok(mut map) = self.responses.lock() {
            map.entry(message_id.to_string()).or_insert(idx);
        }
    }

    pub fn response_index(&self, message_id: &str) -> Option<usize> {
        self.responses.lock().ok()?.get(message_id).copied()
    }

    /// Records the asker's outcome once; `false` if the ask already had one.
    pub fn settle(&self, idx: usize, outcome: u8) -> bool {
        let first = self.outcome[idx]
            .compare_exchange(PENDING, outcome, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if first {
            self.finished.fetch_add(1, Ordering::Relaxed);
            let counter = match outcome {
                COMPLETE => &self.completed,
                FAILED => &self.failed,
                _ => &self.refused,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        first
    }
}

/// Writes `at + 1` into a "not yet = 0" slot if it is still empty.
pub fn stamp_once(slot: &AtomicU64, at: u64) {
    let _ = slot.compare_exchange(0, at + 1, Ordering::AcqRel, Ordering::Acquire);
}

impl Writes for AskTracker {
    fn stamp(&self, idx: usize) {
        self.sent_at[idx].store(self.now() + 1, Ordering::Release);
    }

    fn write_failed(&self) {
        self.write_errors.fetch_add(1, Ordering::Relaxed);
    }
}
