//! The `Blobs` port: file content (S3 on AWS, a local folder locally) and the
//! pre-signed URLs clients use to send and fetch it without the bytes passing through
//! a function.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub size: u64,
    pub content_type: String,
    /// Hex sha256 of the content.
    pub sha256: String,
}

/// What a pre-signed upload is bound to: the store refuses a body that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadBinding {
    /// Exact length in bytes.
    pub size: u64,
    /// The `Content-Type` the uploader must send.
    pub content_type: String,
    /// Lower-case hex sha256 of the body.
    pub sha256: String,
}

/// A request the client makes itself, straight to storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct PresignedRequest {
    pub url: String,
    /// `PUT` for uploads.
    pub method: String,
    /// Headers the client must send exactly as given (they are part of the signature).
    pub headers: std::collections::BTreeMap<String, String>,
}

/// How a download is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadOptions {
    /// The name the browser saves it under.
    pub file_name: String,
    /// The checked content type it is served with.
    pub content_type: String,
    /// `false`: `Content-Disposition: attachment` (every file). `true`: `inline`, only
    /// for images the server has checked (avatars, thumbnails).
    pub inline: bool,
}

/// File content (S3 on AWS, a local folder locally).
#[async_trait]
pub trait Blobs: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> CoreResult<BlobMeta>;
    async fn get(&self, key: &str) -> CoreResult<Option<Vec<u8>>>;
    async fn head(&self, key: &str) -> CoreResult<Option<BlobMeta>>;
    async fn delete(&self, key: &str) -> CoreResult<()>;
    /// Copies `from` to `to` (replacing it, and restarting its retention clock);
    /// `false` if `from` does not exist.
    async fn copy(&self, from: &str, to: &str) -> CoreResult<bool>;
    /// A URL that accepts one upload of `key` until `expires_at`, bound to `binding`.
    /// Signed locally; no request is made.
    async fn presign_upload(
        &self,
        key: &str,
        binding: &UploadBinding,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<PresignedRequest>;
    /// A URL that serves `key` with `GET` until `expires_at`, with `options`' name,
    /// type and disposition and `X-Content-Type-Options: nosniff` where the store can
    /// set it. Signed locally; no request is made.
    async fn presign_download(
        &self,
        key: &str,
        options: &DownloadOptions,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<String>;
}
