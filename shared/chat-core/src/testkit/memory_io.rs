//! In-memory adapters for every port except the store (which is [`super::memory`]):
//! a recording push, a steppable job queue, map-backed blobs, a manual clock and
//! counting ids.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::CoreResult;
use crate::ids::ConnectionId;
use crate::ports::{BlobMeta, Blobs, Clock, IdGen, Job, Jobs, Push, PushError};

/// A push adapter that records frames per connection and can be told a connection is
/// gone (to exercise the 410 path).
#[derive(Default)]
pub struct RecordingPush {
    state: Mutex<PushState>,
}

#[derive(Default)]
struct PushState {
    frames: HashMap<ConnectionId, Vec<String>>,
    gone: HashSet<ConnectionId>,
    closed: Vec<ConnectionId>,
}

impl RecordingPush {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PushState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Frames posted to `connection`, parsed as JSON, oldest first; clears them.
    pub fn take(&self, connection: &ConnectionId) -> Vec<serde_json::Value> {
        self.lock()
            .frames
            .remove(connection)
            .unwrap_or_default()
            .iter()
            .filter_map(|f| serde_json::from_str(f).ok())
            .collect()
    }

    /// How many frames are recorded, over every connection (request counting).
    pub fn total_frames(&self) -> usize {
        self.lock().frames.values().map(Vec::len).sum()
    }

    /// Forgets every recorded frame (benchmarks).
    pub fn clear(&self) {
        self.lock().frames.clear();
    }

    /// Puts a frame back at the end of `connection`'s list (used by the harness).
    pub fn push_back(&self, connection: &ConnectionId, frame: serde_json::Value) {
        self.lock()
            .frames
            .entry(connection.clone())
            .or_default()
            .push(frame.to_string());
    }

    /// From now on, posts to `connection` answer `Gone`.
    pub fn mark_gone(&self, connection: &ConnectionId) {
        self.lock().gone.insert(connection.clone());
    }

    pub fn closed(&self) -> Vec<ConnectionId> {
        self.lock().closed.clone()
    }
}

#[async_trait]
impl Push for RecordingPush {
    async fn post(&self, connection: &ConnectionId, frame: &str) -> Result<(), PushError> {
        let mut s = self.lock();
        if s.gone.contains(connection) {
            return Err(PushError::Gone);
        }
        s.frames
            .entry(connection.clone())
            .or_default()
            .push(frame.to_string());
        Ok(())
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        let mut s = self.lock();
        s.closed.push(connection.clone());
        s.gone.insert(connection.clone());
        Ok(())
    }
}

/// A queue that keeps jobs in order with their delays, for tests to step through.
#[derive(Default)]
pub struct MemoryJobs {
    queue: Mutex<Vec<(Job, Duration)>>,
}

impl MemoryJobs {
    pub fn new() -> Self {
        Self::default()
    }
    /// Removes and returns every queued job.
    pub fn drain(&self) -> Vec<(Job, Duration)> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[async_trait]
impl Jobs for MemoryJobs {
    async fn enqueue(&self, job: &Job, delay: Duration) -> CoreResult<()> {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((job.clone(), delay));
        Ok(())
    }
}

/// Blobs in a map.
#[derive(Default)]
pub struct MemoryBlobs {
    blobs: Mutex<HashMap<String, (Vec<u8>, BlobMeta)>>,
}

impl MemoryBlobs {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Blobs for MemoryBlobs {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> CoreResult<BlobMeta> {
        let meta = BlobMeta {
            size: bytes.len() as u64,
            content_type: content_type.to_string(),
            sha256: hex::encode(Sha256::digest(bytes)),
        };
        self.blobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), (bytes.to_vec(), meta.clone()));
        Ok(meta)
    }

    async fn get(&self, key: &str) -> CoreResult<Option<Vec<u8>>> {
        Ok(self
            .blobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .map(|(b, _)| b.clone()))
    }

    async fn head(&self, key: &str) -> CoreResult<Option<BlobMeta>> {
        Ok(self
            .blobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .map(|(_, m)| m.clone()))
    }

    async fn delete(&self, key: &str) -> CoreResult<()> {
        self.blobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        Ok(())
    }
}

/// A clock that moves only when told.
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Mutex::new(start),
        }
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Ids `prefix_1`, `prefix_2`, … — readable in test failures.
#[derive(Default)]
pub struct CountingIds {
    next: AtomicU64,
}

impl IdGen for CountingIds {
    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}_{}", self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
}
