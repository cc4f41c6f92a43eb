//! `Blobs` contract: content round-trips byte for byte with its size, sha256 and content
//! type; missing keys are `None`; keys are opaque strings (S3-like, slashes included);
//! `copy` copies content and metadata.
//!
//! [`run_transfers`] checks pre-signed URLs with real transfers through an
//! adapter-supplied [`BlobTransfer`] (HTTP for S3, direct calls for the stores whose
//! URLs the local gateway serves): an upload stores exactly the bytes, a download
//! serves them with the requested type and name. [`refusals`] holds the checks that a
//! wrong body or a bad URL is refused, for the stores that sign their own URLs (S3's
//! refusals are S3's, and moto does not enforce them).

pub mod refusals;

use std::collections::BTreeMap;
use std::future::Future;

use async_trait::async_trait;
use chrono::{Duration, Utc};

use crate::error::CoreError;
use crate::ports::{BlobMeta, Blobs, DownloadOptions, PresignedRequest, UploadBinding};

/// How a test reaches an adapter's pre-signed URLs, and the adapter itself.
#[async_trait]
pub trait BlobTransfer: Send + Sync {
    /// The store the URLs belong to.
    fn blobs(&self) -> &dyn Blobs;
    /// Sends `request` (method, URL and exactly its headers) with `body`: the response
    /// status and body text.
    async fn upload(&self, request: &PresignedRequest, body: Vec<u8>) -> (u16, String);
    /// `GET url`: status, headers (lower-case names) and body.
    async fn download(&self, url: &str) -> (u16, BTreeMap<String, String>, Vec<u8>);
    /// Whether downloads come with the type and disposition the URL asks for. `false`
    /// only for emulators that ignore them (moto ignores S3's `response-*` overrides);
    /// such an adapter checks its URLs carry them instead.
    fn serves_requested_headers(&self) -> bool {
        true
    }
}

/// The response a gateway gives for `error` (for direct-call transfers).
pub fn error_response(error: &CoreError) -> (u16, String) {
    let body = serde_json::to_string(&error.to_body()).unwrap_or_default();
    (error.code().http_status(), body)
}

/// Runs every blobs check, each on a fresh adapter from `make`.
pub async fn run_all<B, F, Fut>(make: F)
where
    B: Blobs,
    F: Fn() -> Fut,
    Fut: Future<Output = B>,
{
    macro_rules! check {
        ($name:ident) => {{
            eprintln!(concat!("contract blobs::", stringify!($name)));
            let blobs = make().await;
            $name(&blobs).await;
        }};
    }
    check!(put_head_get_delete_round_trip);
    check!(missing_keys_are_none);
    check!(put_replaces_content_and_metadata);
    check!(keys_are_opaque_and_distinct);
    check!(empty_and_binary_content_round_trip);
    check!(copy_copies_content_and_metadata);
    check!(copy_of_a_missing_source_is_false);
}

/// Runs every pre-signed URL check, each on a fresh transfer (and store) from `make`.
pub async fn run_transfers<T, F, Fut>(make: F)
where
    T: BlobTransfer,
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    macro_rules! check {
        ($name:ident) => {{
            eprintln!(concat!("contract blobs::", stringify!($name)));
            let transfer = make().await;
            $name(&transfer).await;
        }};
    }
    check!(presigned_upload_stores_exactly_the_bytes);
    check!(presigned_download_serves_the_bytes_as_named);
    check!(inline_downloads_say_inline);
}

/// Hex sha256 of empty content (a known answer, independent of this crate's hashing).
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

async fn put(blobs: &dyn Blobs, key: &str, bytes: &[u8], content_type: &str) -> BlobMeta {
    blobs
        .put(key, bytes, content_type)
        .await
        .unwrap_or_else(|e| panic!("put {key:?}: {e:?}"))
}

async fn get(blobs: &dyn Blobs, key: &str) -> Option<Vec<u8>> {
    blobs
        .get(key)
        .await
        .unwrap_or_else(|e| panic!("get {key:?}: {e:?}"))
}

async fn head(blobs: &dyn Blobs, key: &str) -> Option<BlobMeta> {
    blobs
        .head(key)
        .await
        .unwrap_or_else(|e| panic!("head {key:?}: {e:?}"))
}

pub async fn put_head_get_delete_round_trip(blobs: &dyn Blobs) {
    let key = "files/file_01/report.pdf";
    let content = b"hello, blob";
    let meta = put(blobs, key, content, "application/pdf").await;
    let want = BlobMeta {
        size: content.len() as u64,
        content_type: "application/pdf".to_string(),
        sha256: sha256_hex(content),
    };
    assert_eq!(meta, want, "put returns size, content type and hex sha256");
    assert_eq!(
        head(blobs, key).await,
        Some(want),
        "head returns the same metadata"
    );
    assert_eq!(
        get(blobs, key).await.as_deref(),
        Some(&content[..]),
        "get returns the bytes"
    );

    blobs
        .delete(key)
        .await
        .unwrap_or_else(|e| panic!("delete: {e:?}"));
    assert_eq!(head(blobs, key).await, None, "head after delete");
    assert_eq!(get(blobs, key).await, None, "get after delete");
    blobs
        .delete(key)
        .await
        .unwrap_or_else(|e| panic!("deleting a missing key is not an error: {e:?}"));
}

pub async fn missing_keys_are_none(blobs: &dyn Blobs) {
    assert_eq!(get(blobs, "files/none").await, None, "get of a missing key");
    assert_eq!(
        head(blobs, "files/none").await,
        None,
        "head of a missing key"
    );
}

pub async fn put_replaces_content_and_metadata(blobs: &dyn Blobs) {
    put(blobs, "avatar", b"first version, longer", "image/png").await;
    let meta = put(blobs, "avatar", b"second", "image/jpeg").await;
    assert_eq!(meta.size, 6);
    assert_eq!(
        head(blobs, "avatar").await,
        Some(meta),
        "the second put wins, metadata too"
    );
    assert_eq!(get(blobs, "avatar").await.as_deref(), Some(&b"second"[..]));
}

pub async fn keys_are_opaque_and_distinct(blobs: &dyn Blobs) {
    // Keys that a naive folder mapping would collide, truncate or escape with.
    let keys = [
        "a/b",
        "a_b",
        "a%2Fb",
        "A/B",
        "../outside",
        "./a/../b",
        "with space and ünïcödé",
        &"k".repeat(600),
    ];
    for (i, key) in keys.iter().enumerate() {
        put(blobs, key, format!("content {i}").as_bytes(), "text/plain").await;
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            get(blobs, key).await,
            Some(format!("content {i}").into_bytes()),
            "key {key:?} keeps its own content"
        );
    }
}

pub async fn empty_and_binary_content_round_trip(blobs: &dyn Blobs) {
    let meta = put(blobs, "empty", b"", "application/octet-stream").await;
    assert_eq!(meta.size, 0);
    assert_eq!(
        meta.sha256, EMPTY_SHA256,
        "lower-case hex sha256 of the content"
    );
    assert_eq!(
        get(blobs, "empty").await,
        Some(vec![]),
        "an empty blob exists"
    );

    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let meta = put(blobs, "bin", &binary, "application/octet-stream").await;
    assert_eq!(meta.size, 70_000);
    assert_eq!(
        get(blobs, "bin").await,
        Some(binary),
        "binary content, newlines included"
    );
}

pub async fn copy_copies_content_and_metadata(blobs: &dyn Blobs) {
    let meta = put(blobs, "uploads/f1", b"checked content", "image/png").await;
    put(
        blobs,
        "files/conversation/old",
        b"to be replaced",
        "text/plain",
    )
    .await;
    for to in ["files/conversation/abc", "files/conversation/old"] {
        let copied = blobs
            .copy("uploads/f1", to)
            .await
            .unwrap_or_else(|e| panic!("copy to {to:?}: {e:?}"));
        assert!(copied, "copy of an existing blob answers true");
        assert_eq!(
            head(blobs, to).await,
            Some(meta.clone()),
            "{to:?}: metadata"
        );
        assert_eq!(
            get(blobs, to).await.as_deref(),
            Some(&b"checked content"[..]),
            "{to:?}: content"
        );
    }
    blobs.delete("uploads/f1").await.expect("delete source");
    assert!(
        get(blobs, "files/conversation/abc").await.is_some(),
        "the copy is independent of its source"
    );
}

pub async fn copy_of_a_missing_source_is_false(blobs: &dyn Blobs) {
    let copied = blobs
        .copy("uploads/none", "files/conversation/x")
        .await
        .unwrap_or_else(|e| panic!("copy of a missing source: {e:?}"));
    assert!(!copied, "copy of a missing source answers false");
    assert_eq!(
        head(blobs, "files/conversation/x").await,
        None,
        "and creates nothing"
    );
}

/// A binding for `body`.
pub fn binding_for(body: &[u8], content_type: &str) -> UploadBinding {
    UploadBinding {
        size: body.len() as u64,
        content_type: content_type.to_string(),
        sha256: sha256_hex(body),
    }
}

/// A pre-signed upload of `body` to `key`, valid for ten minutes.
pub async fn presign(
    blobs: &dyn Blobs,
    key: &str,
    body: &[u8],
    content_type: &str,
) -> PresignedRequest {
    blobs
        .presign_upload(
            key,
            &binding_for(body, content_type),
            Utc::now() + Duration::minutes(10),
        )
        .await
        .unwrap_or_else(|e| panic!("presign_upload {key:?}: {e:?}"))
}

pub async fn presigned_upload_stores_exactly_the_bytes(transfer: &dyn BlobTransfer) {
    let blobs = transfer.blobs();
    let body: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let binding = binding_for(&body, "application/pdf");
    let request = presign(blobs, "uploads/file_contract", &body, "application/pdf").await;
    assert_eq!(request.method, "PUT");
    let checksum = crate::blob_url::checksum_header_value(&binding.sha256).expect("checksum");
    assert_eq!(
        request.headers,
        BTreeMap::from([
            ("content-type".to_string(), "application/pdf".to_string()),
            ("x-amz-checksum-sha256".to_string(), checksum),
        ]),
        "exactly the headers the client must send"
    );
    assert_eq!(
        head(blobs, "uploads/file_contract").await,
        None,
        "presigning stores nothing"
    );

    let (status, text) = transfer.upload(&request, body.clone()).await;
    assert_eq!(status, 200, "the upload is accepted: {text}");
    assert_eq!(
        head(blobs, "uploads/file_contract").await,
        Some(BlobMeta {
            size: binding.size,
            content_type: binding.content_type.clone(),
            sha256: binding.sha256.clone(),
        }),
        "head shows what was uploaded"
    );
    assert_eq!(
        get(blobs, "uploads/file_contract").await,
        Some(body),
        "exactly the bytes"
    );
}

pub async fn presigned_download_serves_the_bytes_as_named(transfer: &dyn BlobTransfer) {
    let blobs = transfer.blobs();
    // Stored as one type, served as the checked one; a name that needs encoding.
    put(
        blobs,
        "files/conversation/dl",
        b"%PDF-1.7 fake",
        "application/octet-stream",
    )
    .await;
    let options = DownloadOptions {
        file_name: "Quote \"Q3\" résumé.pdf".to_string(),
        content_type: "application/pdf".to_string(),
        inline: false,
    };
    let url = blobs
        .presign_download(
            "files/conversation/dl",
            &options,
            Utc::now() + Duration::minutes(10),
        )
        .await
        .unwrap_or_else(|e| panic!("presign_download: {e:?}"));
    let (status, headers, bytes) = transfer.download(&url).await;
    assert_eq!(status, 200, "the download is served: {headers:?}");
    assert_eq!(bytes, b"%PDF-1.7 fake", "the bytes");
    if !transfer.serves_requested_headers() {
        return;
    }
    assert_eq!(
        headers.get("content-type").map(String::as_str),
        Some("application/pdf"),
        "the requested content type"
    );
    assert_eq!(
        headers.get("content-disposition").cloned(),
        Some(crate::blob_url::content_disposition(
            &options.file_name,
            false
        )),
        "an attachment with the file name"
    );
}

pub async fn inline_downloads_say_inline(transfer: &dyn BlobTransfer) {
    let blobs = transfer.blobs();
    put(
        blobs,
        "thumbs/conversation/t.png",
        b"\x89PNG fake",
        "image/png",
    )
    .await;
    let options = DownloadOptions {
        file_name: "t.png".to_string(),
        content_type: "image/png".to_string(),
        inline: true,
    };
    let url = blobs
        .presign_download(
            "thumbs/conversation/t.png",
            &options,
            Utc::now() + Duration::minutes(10),
        )
        .await
        .unwrap_or_else(|e| panic!("presign_download: {e:?}"));
    let (status, headers, bytes) = transfer.download(&url).await;
    assert_eq!(status, 200, "served: {headers:?}");
    assert_eq!(bytes, b"\x89PNG fake");
    if !transfer.serves_requested_headers() {
        return;
    }
    let disposition = headers
        .get("content-disposition")
        .cloned()
        .unwrap_or_default();
    assert!(disposition.starts_with("inline;"), "inline: {disposition}");
}
