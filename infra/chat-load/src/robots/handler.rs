//! One connection's reader for the robots scenario: maps answers to asks, counts the
//! pushes each answer costs this connection and, on the asker's connection, stamps the
//! first delta and the final update.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;

use super::track::{AskTracker, COMPLETE, FAILED, REFUSED, stamp_once};
use crate::conn::{Handler, Health, Incoming, clip};

/// What one connection saw of the robot answers, per ask index.
#[derive(Debug, Default)]
pub struct RobotStats {
    /// `message.delta` + `message.updated` frames of each answer (saturating).
    pub pushes: Vec<u16>,
    /// Final (`complete`/`failed`) updates of each answer; exactly 1 expected.
    pub finals: Vec<u8>,
    /// Deltas whose index was neither the next one nor 0 (a restart).
    pub index_gaps: u64,
    /// Deltas that started an answer over at index 0 (a retried job).
    pub restarts: u64,
    /// Deltas or updates after the answer's final update.
    pub after_final: u64,
    /// Deltas or updates in our rooms for a message id no `message.created` announced.
    pub orphans: u64,
}

pub struct RobotHandler {
    index: usize,
    tracker: Arc<AskTracker>,
    stats: RobotStats,
    next_index: Vec<u32>,
    /// Response id → ask index, so the shared map is read once per answer.
    known: HashMap<String, usize>,
}

impl RobotHandler {
    pub fn new(index: usize, tracker: Arc<AskTracker>) -> RobotHandler {
        let total = tracker.sent_at.len();
        RobotHandler {
            index,
            tracker,
            stats: RobotStats {
                pushes: vec![0; total],
                finals: vec![0; total],
                ..RobotStats::default()
            },
            next_index: vec![0; total],
            known: HashMap::new(),
        }
    }

    fn is_asker(&self, idx: usize) -> bool {
        self.tracker.plan.sender_conn(idx) == self.index
    }

    fn lookup(&mut self, message_id: &str) -> Option<usize> {
        if let Some(&idx) = self.known.get(message_id) {
            return Some(idx);
        }
        let idx = self.tracker.response_index(message_id)?;
        self.known.insert(message_id.to_string(), idx);
        Some(idx)
    }

    fn reply(&mut self, frame: Incoming<'_>, text: &str, health: &mut Health) {
        let id = frame.request_id.as_deref().unwrap_or_default();
        let t = Arc::clone(&self.tracker);
        let Some(idx) = id
            .strip_prefix('a')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&i| i < t.sent_at.len())
        else {
            health.error(format!("reply with a foreign requestId {id:?}"));
            return;
        };
        stamp_once(&t.reply_at[idx], t.now());
        let response = frame
            .data
            .as_ref()
            .and_then(|d| d.pointer("/response/id"))
            .and_then(Value::as_str);
        match (frame.ok, response) {
            (Some(true), Some(response)) => {
                let status = frame
                    .data
                    .as_ref()
                    .and_then(|d| d.pointer("/response/status"));
                if status.and_then(Value::as_str) == Some("streaming") {
                    t.streaming.fetch_add(1, Ordering::Relaxed);
                }
                t.remember_response(response, idx);
                self.known.insert(response.to_string(), idx);
            }
            _ => {
                t.settle(idx, REFUSED);
                health.error(format!("ask {idx} refused: {}", clip(text)));
            }
        }
    }

    /// The response's `message.created` (it carries the ask's `clientMsgId` and
    /// `replyTo`) always precedes its deltas, so it names the answer for every reader.
    fn created(&mut self, frame: Incoming<'_>, health: &mut Health) {
        let ours = frame.message.as_ref().and_then(|m| {
            let idx = self.tracker.index_of(m.client_msg_id.as_deref()?)?;
            Some((idx, m.id.as_deref()?.to_owned(), m.reply_to.is_some()))
        });
        match ours {
            Some((idx, id, true)) => {
                self.tracker.remember_response(&id, idx);
                self.known.insert(id, idx);
            }
            // The request message itself.
            Some((_, _, false)) => {}
            None => health.other_frames += 1,
        }
    }

    /// `Some(idx)` for a push of one of our answers; counts orphans in our rooms.
    fn answer_of(
        &mut self,
        frame: &Incoming<'_>,
        message_id: Option<&str>,
        health: &mut Health,
    ) -> Option<usize> {
        let idx = message_id.and_then(|id| self.lookup(id));
        if idx.is_none() {
            let room = frame
                .room_id
                .as_deref()
                .or(frame.message.as_ref().and_then(|m| m.room_id.as_deref()));
            if self.tracker.is_our_room(room) {
                self.stats.orphans += 1;
            } else {
                health.other_frames += 1;
            }
        }
        idx
    }

    fn delta(&mut self, frame: Incoming<'_>, health: &mut Health) {
        let Some(idx) = self.answer_of(&frame, frame.message_id.as_deref(), health) else {
            return;
        };
        let t = Arc::clone(&self.tracker);
        let now = t.now();
        self.stats.pushes[idx] = self.stats.pushes[idx].saturating_add(1);
        if self.stats.finals[idx] > 0 {
            self.stats.after_final += 1;
        }
        let index = frame.index.unwrap_or(u64::MAX);
        let expected = u64::from(self.next_index[idx]);
        if index == 0 && expected > 0 {
            self.stats.restarts += 1;
        } else if index != expected {
            self.stats.index_gaps += 1;
        }
        self.next_index[idx] = (index.min(u64::from(u32::MAX - 1)) as u32) + 1;
        if self.is_asker(idx) {
            stamp_once(&t.first_delta_at[idx], now);
        }
    }

    fn updated(&mut self, frame: Incoming<'_>, health: &mut Health) {
        let id = frame.message.as_ref().and_then(|m| m.id.clone());
        let Some(idx) = self.answer_of(&frame, id.as_deref(), health) else {
            return;
        };
        let t = Arc::clone(&self.tracker);
        let now = t.now();
        self.stats.pushes[idx] = self.stats.pushes[idx].saturating_add(1);
        let status = frame.message.as_ref().and_then(|m| m.status.as_deref());
        let outcome = match status {
            Some("complete") => COMPLETE,
            Some("failed") => FAILED,
            // A non-final update (none is expected) still costs a push.
            _ => return,
        };
        if self.stats.finals[idx] > 0 {
            self.stats.after_final += 1;
        }
        self.stats.finals[idx] = self.stats.finals[idx].saturating_add(1);
        t.finals_seen[idx].fetch_add(1, Ordering::Relaxed);
        t.finals_total.fetch_add(1, Ordering::Relaxed);
        if self.is_asker(idx) && t.settle(idx, outcome) {
            stamp_once(&t.final_at[idx], now);
            t.last_final_at.fetch_max(now, Ordering::Relaxed);
        }
    }
}

impl Handler for RobotHandler {
    type Stats = RobotStats;

    fn frame(&mut self, frame: Incoming<'_>, text: &str, health: &mut Health) {
        match &*frame.kind {
            "reply" => self.reply(frame, text, health),
            "message.created" => self.created(frame, health),
            "message.delta" => self.delta(frame, health),
            "message.updated" => self.updated(frame, health),
            _ => health.other_frames += 1,
        }
    }

    fn into_stats(self) -> RobotStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;

    fn feed(h: &mut RobotHandler, health: &mut Health, text: &str) {
        let frame: Incoming = serde_json::from_str(text).unwrap();
        h.frame(frame, text, health);
    }

    #[test]
    fn pushes_are_counted_per_answer_and_the_asker_stamps_its_timings() {
        // One room, two members, one connection each: ask 0 is asked on connection 0.
        let plan = Arc::new(Plan::build(2, 1, 2, 1).unwrap());
        let t = Arc::new(AskTracker::new(plan, "rb-x-".into(), 2));
        t.room_ids.set(vec!["room-1".into()]).unwrap();
        let (mut asker, mut other) = (
            RobotHandler::new(0, Arc::clone(&t)),
            RobotHandler::new(1, Arc::clone(&t)),
        );
        let mut health = Health::default();
        let created = r#"{"type":"message.created","roomId":"room-1","message":{"id":"resp-0","seq":2,"roomId":"room-1","clientMsgId":"rb-x-0","status":"streaming","replyTo":"req-0"}}"#;
        let delta = |i: u32| {
            format!(
                r#"{{"type":"message.delta","roomId":"room-1","messageId":"resp-0","index":{i},"text":"w "}}"#
            )
        };
        let done = r#"{"type":"message.updated","roomId":"room-1","message":{"id":"resp-0","seq":2,"roomId":"room-1","status":"complete"}}"#;
        for h in [&mut asker, &mut other] {
            feed(h, &mut health, created);
            for i in [0, 1, 3] {
                feed(h, &mut health, &delta(i));
            }
            feed(h, &mut health, done);
        }
        // A delta of an unknown answer in our room is an orphan.
        feed(
            &mut other,
            &mut health,
            r#"{"type":"message.delta","roomId":"room-1","messageId":"zzz","index":0,"text":"x"}"#,
        );
        assert_eq!(health.error_count, 0);
        assert_eq!(t.completed.load(Ordering::Relaxed), 1);
        assert!(t.first_delta_at[0].load(Ordering::Relaxed) > 0);
        assert_eq!(t.finals_seen[0].load(Ordering::Relaxed), 2);
        let (a, o) = (asker.into_stats(), other.into_stats());
        assert_eq!((a.pushes[0], a.finals[0], a.index_gaps), (4, 1, 1));
        assert_eq!((o.pushes[0], o.orphans), (4, 1));
    }
}
