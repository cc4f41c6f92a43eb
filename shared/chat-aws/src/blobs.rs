//! `Blobs` on one S3 bucket, plus pre-signed upload and download URLs.
//!
//! Each blob is one object under its key. `put` stores the content's hex sha256 as the
//! object metadata `sha256`, so `head` answers size, type and hash with one
//! `HeadObject`. An object uploaded through a pre-signed URL has no such metadata (the
//! browser cannot know what to sign in advance); `head` then reads the object once and
//! hashes it, so the upload can still be checked (DESIGN §3 "Files").
//!
//! Keys are opaque (the port's contract), limited only where S3 or URLs force it:
//! non-empty, at most 1024 bytes, no control characters; and for pre-signed URLs, no
//! `.`/`..` path segments, which HTTP clients resolve away before sending, so the
//! request would name another object than the one signed.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use chat_core::ports::{BlobMeta, Blobs};
use chat_core::{CoreError, CoreResult};
use sha2::{Digest, Sha256};

use crate::clients::AwsClients;
use crate::error::AwsError;

/// S3's limit on a key's length, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;
/// The object metadata holding the content's hex sha256.
pub const SHA256_METADATA: &str = "sha256";
/// What `head` reports for an object stored without a content type.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

fn sdk_error<E, R>(
    operation: &'static str,
    err: aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> CoreError
where
    E: std::error::Error + aws_smithy_types::error::metadata::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    AwsError::from_sdk("S3", operation, err).into()
}

/// Blobs in one bucket. Cheap to clone.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: Client,
    bucket: String,
}

impl S3Blobs {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Blobs {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket named by `clients`' target.
    pub fn from_clients(clients: &AwsClients) -> Self {
        Self::new(clients.s3.clone(), clients.target.bucket.clone())
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// A URL that accepts one `PUT` of `key`'s content for `ttl` (at most 7 days). The
    /// uploader must send the same `Content-Type`: it is part of the signature. Signed
    /// locally; no request is made.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        ttl: Duration,
    ) -> CoreResult<String> {
        check_url_key(key)?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| sdk_error("PutObject (presign)", e))?;
        Ok(presigned.uri().to_string())
    }

    /// A URL that serves `key`'s content with `GET` for `ttl` (at most 7 days). Signed
    /// locally; no request is made.
    pub async fn presign_get(&self, key: &str, ttl: Duration) -> CoreResult<String> {
        check_url_key(key)?;
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| sdk_error("GetObject (presign)", e))?;
        Ok(presigned.uri().to_string())
    }

    /// The hex sha256 of `key`'s content, read in full; `None` if it is gone.
    async fn hash_content(&self, key: &str) -> CoreResult<Option<String>> {
        let Some(mut body) = self.get_stream(key).await? else {
            return Ok(None);
        };
        let mut hasher = Sha256::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| CoreError::storage("S3 GetObject body", e))?;
            hasher.update(&chunk);
        }
        Ok(Some(hex::encode(hasher.finalize())))
    }

    async fn get_stream(&self, key: &str) -> CoreResult<Option<ByteStream>> {
        let got = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match got {
            Ok(out) => Ok(Some(out.body)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(sdk_error("GetObject", e)),
        }
    }
}

fn presigning(ttl: Duration) -> CoreResult<PresigningConfig> {
    PresigningConfig::expires_in(ttl)
        .map_err(|e| CoreError::bad_request(format!("pre-signed URL lifetime: {e}")))
}

/// A key S3 can store.
fn check_key(key: &str) -> CoreResult<()> {
    if key.is_empty() {
        return Err(CoreError::bad_request("a blob key must not be empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(CoreError::bad_request(format!(
            "a blob key must be at most {MAX_KEY_BYTES} bytes"
        )));
    }
    if key.chars().any(char::is_control) {
        return Err(CoreError::bad_request(
            "a blob key must not contain control characters",
        ));
    }
    Ok(())
}

/// A key that survives a trip through a URL path unchanged.
fn check_url_key(key: &str) -> CoreResult<()> {
    check_key(key)?;
    if key
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(CoreError::bad_request(
            "a blob key in a URL must not contain `.` or `..` segments",
        ));
    }
    Ok(())
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> CoreResult<BlobMeta> {
        check_key(key)?;
        let meta = BlobMeta {
            size: bytes.len() as u64,
            content_type: content_type.to_string(),
            sha256: hex::encode(Sha256::digest(bytes)),
        };
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(bytes.len() as i64)
            .metadata(SHA256_METADATA, &meta.sha256)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error("PutObject", e))?;
        Ok(meta)
    }

    async fn get(&self, key: &str) -> CoreResult<Option<Vec<u8>>> {
        check_key(key)?;
        let Some(body) = self.get_stream(key).await? else {
            return Ok(None);
        };
        let bytes = body
            .collect()
            .await
            .map_err(|e| CoreError::storage("S3 GetObject body", e))?;
        Ok(Some(bytes.to_vec()))
    }

    async fn head(&self, key: &str) -> CoreResult<Option<BlobMeta>> {
        check_key(key)?;
        let headed = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let out = match headed {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(None),
            Err(e) => return Err(sdk_error("HeadObject", e)),
        };
        let stored_hash = out.metadata().and_then(|m| m.get(SHA256_METADATA)).cloned();
        let sha256 = match stored_hash {
            Some(hash) => hash,
            // Uploaded through a pre-signed URL: hash it once now.
            None => match self.hash_content(key).await? {
                Some(hash) => hash,
                None => return Ok(None),
            },
        };
        Ok(Some(BlobMeta {
            size: out.content_length().unwrap_or(0).max(0) as u64,
            content_type: out
                .content_type()
                .unwrap_or(DEFAULT_CONTENT_TYPE)
                .to_string(),
            sha256,
        }))
    }

    async fn delete(&self, key: &str) -> CoreResult<()> {
        check_key(key)?;
        // S3 answers success for a missing key too, as the port wants.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_error("DeleteObject", e))?;
        Ok(())
    }
}

/// Creates `bucket` unless it exists (for emulators and first local runs; on AWS the
/// SAM template owns it). Returns `true` when it was created. One `HeadBucket` when
/// it exists; two requests when it is created.
pub async fn ensure_bucket(client: &Client, bucket: &str) -> Result<bool, AwsError> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(_) => return Ok(false),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {}
        Err(e) => return Err(AwsError::from_sdk("S3", "HeadBucket", e)),
    }
    let mut request = client.create_bucket().bucket(bucket);
    // us-east-1 is the default location and must not be named.
    let region = client.config().region().map(|r| r.as_ref().to_string());
    if let Some(region) = region.filter(|r| r != "us-east-1") {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => Ok(true),
        // Another process created it between our two calls.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_bucket_already_owned_by_you()) =>
        {
            Ok(false)
        }
        Err(e) => Err(AwsError::from_sdk("S3", "CreateBucket", e)),
    }
}
