//! In-memory adapters for every port except the store (which is [`super::memory`]):
//! a recording push, a steppable job queue, map-backed blobs, a manual clock and
//! counting ids.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::blob_url::{self, ResponseHeaders, UrlSigner};
use crate::error::{CoreError, CoreResult};
use crate::ids::ConnectionId;
use crate::ports::{
    BlobMeta, Blobs, Clock, DownloadOptions, IdGen, Job, Jobs, PresignedRequest, Push, PushError,
    UploadBinding,
};
use crate::testkit::contract::blobs::{BlobTransfer, error_response};

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

    /// Frames posted to `connection` as sent, oldest first; clears them.
    pub fn take_raw(&self, connection: &ConnectionId) -> Vec<String> {
        self.lock().frames.remove(connection).unwrap_or_default()
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

/// Secret of [`MemoryBlobs::new`]'s signer: tests need no secrecy, only a fixed key.
const TEST_URL_SECRET: &[u8; 32] = b"memory-blobs-test-url-secret-32b";
/// Base of [`MemoryBlobs::new`]'s URLs: not fetchable, only [`MemoryBlobs`] reads them.
pub const MEMORY_BLOBS_BASE: &str = "memory://blobs";

/// Blobs in a map, with signed URLs that [`MemoryBlobs::accept_upload`] and
/// [`MemoryBlobs::download`] serve the way the local gateway serves the folder store.
pub struct MemoryBlobs {
    blobs: Mutex<HashMap<String, (Vec<u8>, BlobMeta)>>,
    urls: UrlSigner,
}

impl Default for MemoryBlobs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryBlobs {
    /// URLs under [`MEMORY_BLOBS_BASE`], signed with a fixed test secret.
    pub fn new() -> Self {
        let urls = UrlSigner::new(TEST_URL_SECRET, MEMORY_BLOBS_BASE)
            .expect("the test secret is long enough");
        Self::with_signer(urls)
    }

    /// URLs signed by `urls`.
    pub fn with_signer(urls: UrlSigner) -> Self {
        MemoryBlobs {
            blobs: Mutex::new(HashMap::new()),
            urls,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Vec<u8>, BlobMeta)>> {
        self.blobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn store(&self, key: &str, bytes: &[u8], content_type: &str) -> BlobMeta {
        let meta = BlobMeta {
            size: bytes.len() as u64,
            content_type: content_type.to_string(),
            sha256: hex::encode(Sha256::digest(bytes)),
        };
        self.lock()
            .insert(key.to_string(), (bytes.to_vec(), meta.clone()));
        meta
    }

    /// What the gateway's `PUT /blobs/{token}` does: checks the URL, the headers
    /// (names case-insensitive) and the body against the signed binding, then stores.
    pub fn accept_upload(
        &self,
        url: &str,
        headers: &BTreeMap<String, String>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> CoreResult<()> {
        let (key, binding) = self.urls.verify_upload(self.urls.token_of(url)?, now)?;
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        blob_url::check_upload(
            &binding,
            header(blob_url::CONTENT_TYPE_HEADER),
            header(blob_url::CHECKSUM_HEADER),
            body,
        )?;
        self.store(&key, body, &binding.content_type);
        Ok(())
    }

    /// What the gateway's `GET /blobs/{token}` does: the response headers and bytes.
    pub fn download(
        &self,
        url: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<(ResponseHeaders, Vec<u8>)> {
        let (key, options) = self.urls.verify_download(self.urls.token_of(url)?, now)?;
        let bytes = self
            .lock()
            .get(&key)
            .map(|(b, _)| b.clone())
            .ok_or_else(|| CoreError::not_found("no such file"))?;
        Ok((blob_url::download_headers(&options), bytes))
    }
}

#[async_trait]
impl Blobs for MemoryBlobs {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> CoreResult<BlobMeta> {
        Ok(self.store(key, bytes, content_type))
    }

    async fn get(&self, key: &str) -> CoreResult<Option<Vec<u8>>> {
        Ok(self.lock().get(key).map(|(b, _)| b.clone()))
    }

    async fn head(&self, key: &str) -> CoreResult<Option<BlobMeta>> {
        Ok(self.lock().get(key).map(|(_, m)| m.clone()))
    }

    async fn delete(&self, key: &str) -> CoreResult<()> {
        self.lock().remove(key);
        Ok(())
    }

    async fn copy(&self, from: &str, to: &str) -> CoreResult<bool> {
        let mut blobs = self.lock();
        let Some(blob) = blobs.get(from).cloned() else {
            return Ok(false);
        };
        blobs.insert(to.to_string(), blob);
        Ok(true)
    }

    async fn presign_upload(
        &self,
        key: &str,
        binding: &UploadBinding,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<PresignedRequest> {
        self.urls.sign_upload(key, binding, expires_at)
    }

    async fn presign_download(
        &self,
        key: &str,
        options: &DownloadOptions,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<String> {
        self.urls.sign_download(key, options, expires_at)
    }
}

/// Transfers are direct calls into the store, at the wall clock's time (the contract
/// signs URLs against it, as it must for S3).
#[async_trait]
impl BlobTransfer for MemoryBlobs {
    fn blobs(&self) -> &dyn Blobs {
        self
    }

    async fn upload(&self, request: &PresignedRequest, body: Vec<u8>) -> (u16, String) {
        match self.accept_upload(&request.url, &request.headers, &body, Utc::now()) {
            Ok(()) => (200, String::new()),
            Err(e) => error_response(&e),
        }
    }

    async fn download(&self, url: &str) -> (u16, BTreeMap<String, String>, Vec<u8>) {
        match MemoryBlobs::download(self, url, Utc::now()) {
            Ok((headers, bytes)) => (
                200,
                headers
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                bytes,
            ),
            Err(e) => {
                let (status, body) = error_response(&e);
                (status, BTreeMap::new(), body.into_bytes())
            }
        }
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
