//! `Blobs` on one S3 bucket, plus pre-signed upload and download URLs.
//!
//! Each blob is one object under its key. `put` stores the content's hex sha256 as the
//! object metadata `sha256`, so `head` answers size, type and hash with one
//! `HeadObject`. An object uploaded through a pre-signed URL has no such metadata, but
//! its upload signed a SHA-256 checksum that S3 verified and keeps: `head` asks for it
//! in the same `HeadObject`. Only an object with neither is read and hashed. `copy`
//! writes the `sha256` metadata onto the copy, so content copied out of an upload
//! heads in one request too (DESIGN §3 "Files").
//!
//! Keys are opaque (the port's contract), limited only where S3 or URLs force it:
//! non-empty, at most 1024 bytes, no control characters; and for pre-signed URLs, no
//! `.`/`..` path segments, which HTTP clients resolve away before sending, so the
//! request would name another object than the one signed.

use std::collections::BTreeMap;
use std::time::SystemTime;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumMode, CreateBucketConfiguration, MetadataDirective,
};
use chat_core::blob_url::{self, CHECKSUM_HEADER, CONTENT_TYPE_HEADER};
use chat_core::ports::{BlobMeta, Blobs, DownloadOptions, PresignedRequest, UploadBinding};
use chat_core::{CoreError, CoreResult};
use chrono::{DateTime, TimeDelta, Utc};
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

    /// `head`, plus the object's ETag (for a conditional copy).
    ///
    /// The hash comes from, in order: our `sha256` metadata (`put`, `copy`; a
    /// pre-signed upload cannot set it, as S3 refuses unsigned `x-amz-*` headers); S3's own
    /// SHA-256 checksum, which S3 verified against the body when a pre-signed upload
    /// sent it (asked for with `ChecksumMode`, at no extra request); or, for an object
    /// with neither, a full read.
    async fn head_object(&self, key: &str) -> CoreResult<Option<(BlobMeta, Option<String>)>> {
        let headed = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        let out = match headed {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(None),
            Err(e) => return Err(sdk_error("HeadObject", e)),
        };
        let known_hash = out
            .metadata()
            .and_then(|m| m.get(SHA256_METADATA))
            .cloned()
            .or_else(|| {
                out.checksum_sha256()
                    .and_then(blob_url::sha256_hex_of_checksum)
            });
        let sha256 = match known_hash {
            Some(hash) => hash,
            None => match self.hash_content(key).await? {
                Some(hash) => hash,
                None => return Ok(None),
            },
        };
        let meta = BlobMeta {
            size: out.content_length().unwrap_or(0).max(0) as u64,
            content_type: out
                .content_type()
                .unwrap_or(DEFAULT_CONTENT_TYPE)
                .to_string(),
            sha256,
        };
        Ok(Some((meta, out.e_tag().map(str::to_string))))
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

/// Signing valid until `expires_at`. An expiry already past still signs, a URL that
/// expired at that moment (as the other stores do), rather than failing.
fn presigning(expires_at: DateTime<Utc>) -> CoreResult<PresigningConfig> {
    let now = Utc::now();
    let (start, ttl) = if expires_at > now {
        (now, expires_at - now)
    } else {
        (expires_at - TimeDelta::seconds(1), TimeDelta::seconds(1))
    };
    let ttl = ttl
        .to_std()
        .map_err(|e| CoreError::bad_request(format!("pre-signed URL lifetime: {e}")))?;
    PresigningConfig::builder()
        .start_time(SystemTime::from(start))
        .expires_in(ttl)
        .build()
        .map_err(|e| CoreError::bad_request(format!("pre-signed URL lifetime: {e}")))
}

/// `x-amz-copy-source`: bucket and key, the key percent-encoded (every byte except
/// unreserved characters and `/`), as S3 decodes it.
fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = format!("{bucket}/");
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
        Ok(self.head_object(key).await?.map(|(meta, _)| meta))
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

    /// `CopyObject`, with the metadata replaced so the copy always carries its type and
    /// `sha256` (a pre-signed upload has no `sha256` metadata, and the copy would
    /// otherwise not have S3's checksum either): one `HeadObject` of the source, then
    /// the copy, on the condition that the source is still what was headed.
    async fn copy(&self, from: &str, to: &str) -> CoreResult<bool> {
        check_key(from)?;
        check_key(to)?;
        let Some((meta, etag)) = self.head_object(from).await? else {
            return Ok(false);
        };
        let mut request = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(to)
            .copy_source(copy_source(&self.bucket, from))
            .metadata_directive(MetadataDirective::Replace)
            .content_type(&meta.content_type)
            .metadata(SHA256_METADATA, &meta.sha256);
        if let Some(etag) = etag {
            request = request.copy_source_if_match(etag);
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(false),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 412) => Err(
                CoreError::conflict(format!("blob {from:?} changed while it was being copied")),
            ),
            Err(e) => Err(sdk_error("CopyObject", e)),
        }
    }

    /// A pre-signed `PutObject` with the length, type and SHA-256 checksum signed in,
    /// so S3 itself refuses any other body. The client sends `Content-Length` itself
    /// (HTTP clients always do) and the two headers returned.
    async fn presign_upload(
        &self,
        key: &str,
        binding: &UploadBinding,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<PresignedRequest> {
        check_url_key(key)?;
        let checksum = blob_url::checksum_header_value(&binding.sha256)?;
        let size = i64::try_from(binding.size)
            .map_err(|_| CoreError::bad_request("upload size is too large"))?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(size)
            .content_type(&binding.content_type)
            .checksum_sha256(&checksum)
            .presigned(presigning(expires_at)?)
            .await
            .map_err(|e| sdk_error("PutObject (presign)", e))?;
        Ok(PresignedRequest {
            url: presigned.uri().to_string(),
            method: presigned.method().to_string(),
            headers: BTreeMap::from([
                (
                    CONTENT_TYPE_HEADER.to_string(),
                    binding.content_type.clone(),
                ),
                (CHECKSUM_HEADER.to_string(), checksum),
            ]),
        })
    }

    /// A pre-signed `GetObject` that overrides the response's type and disposition
    /// (the same disposition the folder store sends) and forbids caching.
    ///
    /// S3 cannot add `X-Content-Type-Options: nosniff` (or a CSP) to a pre-signed
    /// `GET`: it has no response override for them. The download is still an
    /// attachment with a checked type, on the bucket's own origin.
    async fn presign_download(
        &self,
        key: &str,
        options: &DownloadOptions,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<String> {
        check_url_key(key)?;
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(&options.content_type)
            .response_content_disposition(blob_url::content_disposition(
                &options.file_name,
                options.inline,
            ))
            .response_cache_control("private, no-store")
            .presigned(presigning(expires_at)?)
            .await
            .map_err(|e| sdk_error("GetObject (presign)", e))?;
        Ok(presigned.uri().to_string())
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
