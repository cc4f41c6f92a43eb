//! The supervisor's floor view as a test sees it: `GET /supervisor/*` answers read
//! into small shapes (a room's summary, online flags, queue lengths, audit entries).

use std::time::Duration;

use serde_json::Value;

use crate::{TIMEOUT, TestServer};

impl TestServer {
    /// `GET path` as `token`, which must answer 200; returns the body.
    pub async fn get_ok(&self, token: &str, path: &str) -> Value {
        let (status, body) = self.http("GET", path, None, Some(token)).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// The `RoomSummary` of `room_id` in `GET /supervisor/rooms?status=all`.
    pub async fn room_summary(&self, token: &str, room_id: &str) -> Value {
        let body = self.get_ok(token, "/supervisor/rooms?status=all").await;
        body["rooms"]
            .as_array()
            .and_then(|r| r.iter().find(|s| s["id"] == room_id).cloned())
            .unwrap_or_else(|| panic!("room {room_id} not in /supervisor/rooms: {body}"))
    }

    /// Polls [`room_summary`](Self::room_summary) until `pred` holds (presence changes
    /// land asynchronously); panics after [`TIMEOUT`].
    pub async fn room_summary_when(
        &self,
        token: &str,
        room_id: &str,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let s = self.room_summary(token, room_id).await;
            if pred(&s) {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not within {TIMEOUT:?}; last summary {s}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `(participant id, online)` from `GET /supervisor/rooms/{id}/participants`,
    /// sorted by id.
    pub async fn online_flags(&self, token: &str, room_id: &str) -> Vec<(String, Value)> {
        let path = format!("/supervisor/rooms/{room_id}/participants");
        let body = self.get_ok(token, &path).await;
        let flags = body["participants"]
            .as_array()
            .unwrap_or_else(|| panic!("no participants in {body}"))
            .iter()
            .map(|p| {
                let id = p["id"].as_str().unwrap_or("?").to_string();
                (id, p["online"].clone())
            })
            .collect();
        sorted_by_id(flags)
    }

    /// `(tier, waiting)` from `GET /supervisor/queues`, in the order listed.
    pub async fn queue_lengths(&self, token: &str) -> Vec<(String, u64)> {
        let body = self.get_ok(token, "/supervisor/queues").await;
        body["queues"]
            .as_array()
            .unwrap_or_else(|| panic!("no queues in {body}"))
            .iter()
            .map(|q| {
                let tier = q["tier"].as_str().unwrap_or("?").to_string();
                (tier, q["waiting"].as_u64().unwrap_or(u64::MAX))
            })
            .collect()
    }

    /// Audit entries (first page of up to 500) about `room_id` whose action mentions
    /// `word` (case-insensitive), e.g. `"observe"` or `"break"`.
    pub async fn audit_entries(&self, token: &str, room_id: &str, word: &str) -> Vec<Value> {
        let body = self.get_ok(token, "/supervisor/audit?limit=500").await;
        body["entries"]
            .as_array()
            .unwrap_or_else(|| panic!("no entries in {body}"))
            .iter()
            .filter(|e| {
                e["roomId"] == room_id
                    && e["action"]
                        .as_str()
                        .is_some_and(|a| a.to_ascii_lowercase().contains(word))
            })
            .cloned()
            .collect()
    }
}

/// `(id, value)` pairs sorted by id, to compare with [`TestServer::online_flags`].
pub fn sorted_by_id(mut v: Vec<(String, Value)>) -> Vec<(String, Value)> {
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Whether an audit entry names `user_id` (or, tolerated, `username`) as its actor.
pub fn audit_by(entry: &Value, user_id: &str, username: &str) -> bool {
    entry["actor"] == user_id || entry["actor"] == username
}
