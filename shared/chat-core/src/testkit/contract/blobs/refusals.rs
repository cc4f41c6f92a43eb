//! Refusals of the stores that sign their own URLs ([`crate::blob_url`]): the memory
//! store and the folder store behind the local gateway. An upload must match its URL's
//! binding exactly, and an expired, tampered or misused URL does nothing.
//!
//! Not run against S3: there S3 itself enforces the signed length, type and checksum
//! and the expiry, and moto (the tests' S3) does not.

use std::future::Future;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};

use super::{BlobTransfer, binding_for, presign};
use crate::ports::{DownloadOptions, PresignedRequest};

/// Runs every refusal check, each on a fresh transfer (and store) from `make`.
pub async fn run_all<T, F, Fut>(make: F)
where
    T: BlobTransfer,
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    macro_rules! check {
        ($name:ident) => {{
            eprintln!(concat!("contract blobs::refusals::", stringify!($name)));
            let transfer = make().await;
            $name(&transfer).await;
        }};
    }
    check!(uploads_that_differ_from_the_binding_are_refused);
    check!(expired_urls_are_refused);
    check!(tampered_urls_are_refused);
    check!(urls_only_do_what_they_were_signed_for);
    check!(downloads_of_missing_blobs_are_not_found);
}

const KEY: &str = "uploads/file_refusals";
const BODY: &[u8] = b"twelve bytes";

fn error_code(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("<not an error body: {text}>"))
}

async fn assert_refused(
    transfer: &dyn BlobTransfer,
    request: &PresignedRequest,
    body: &[u8],
    status: u16,
    mentions: &str,
    what: &str,
) {
    let (got, text) = transfer.upload(request, body.to_vec()).await;
    assert_eq!(got, status, "{what}: status ({text})");
    let want_code = if status == 400 {
        "bad_request"
    } else {
        "forbidden"
    };
    assert_eq!(error_code(&text), want_code, "{what}: error code");
    assert!(
        text.contains(mentions),
        "{what}: the message names the problem ({mentions:?}): {text}"
    );
    assert_eq!(
        transfer.blobs().head(KEY).await.expect("head"),
        None,
        "{what}: nothing is stored"
    );
}

pub async fn uploads_that_differ_from_the_binding_are_refused(transfer: &dyn BlobTransfer) {
    let request = presign(transfer.blobs(), KEY, BODY, "text/plain").await;
    let with_header = |name: &str, value: Option<&str>| {
        let mut r = request.clone();
        match value {
            Some(v) => r.headers.insert(name.to_string(), v.to_string()),
            None => r.headers.remove(name),
        };
        r
    };
    let other_checksum = crate::blob_url::checksum_header_value(&"0".repeat(64)).unwrap();
    let cases: [(&str, PresignedRequest, &[u8], &str); 7] = [
        (
            "a different body",
            request.clone(),
            b"twelve bytez",
            "sha256",
        ),
        (
            "a longer body",
            request.clone(),
            b"twelve bytes!",
            "13 bytes",
        ),
        ("a shorter body", request.clone(), b"ten bytes!", "10 bytes"),
        (
            "another type",
            with_header("content-type", Some("image/png")),
            BODY,
            "image/png",
        ),
        (
            "no type",
            with_header("content-type", None),
            BODY,
            "missing",
        ),
        (
            "another checksum",
            with_header("x-amz-checksum-sha256", Some(&other_checksum)),
            BODY,
            "x-amz-checksum-sha256",
        ),
        (
            "no checksum",
            with_header("x-amz-checksum-sha256", None),
            BODY,
            "x-amz-checksum-sha256",
        ),
    ];
    for (what, request, body, mentions) in cases {
        assert_refused(transfer, &request, body, 400, mentions, what).await;
    }
    // A type that only differs in case or parameters is the same type.
    let request = with_header("content-type", Some("Text/Plain; charset=utf-8"));
    let (status, text) = transfer.upload(&request, BODY.to_vec()).await;
    assert_eq!(
        status, 200,
        "an equivalent content type is accepted: {text}"
    );
}

pub async fn expired_urls_are_refused(transfer: &dyn BlobTransfer) {
    let blobs = transfer.blobs();
    let past = Utc::now() - Duration::seconds(1);
    let request = blobs
        .presign_upload(KEY, &binding_for(BODY, "text/plain"), past)
        .await
        .expect("presign_upload");
    assert_refused(
        transfer,
        &request,
        BODY,
        403,
        "expired",
        "an expired upload URL",
    )
    .await;

    blobs.put(KEY, BODY, "text/plain").await.expect("put");
    let url = blobs
        .presign_download(KEY, &options(), past)
        .await
        .expect("presign_download");
    let (status, _, bytes) = transfer.download(&url).await;
    assert_eq!(status, 403, "an expired download URL");
    assert!(bytes.is_empty() || !bytes.starts_with(BODY), "no content");
}

/// `url` with its claims' `key` replaced, the MAC kept.
fn with_key(url: &str, key: &str) -> String {
    let (base, token) = url.rsplit_once('/').expect("a URL with a token");
    let (payload, mac) = token.split_once('.').expect("payload.mac");
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json");
    claims["key"] = key.into();
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{base}/{payload}.{mac}")
}

pub async fn tampered_urls_are_refused(transfer: &dyn BlobTransfer) {
    let blobs = transfer.blobs();
    let mut request = presign(blobs, "uploads/mine", BODY, "text/plain").await;
    request.url = with_key(&request.url, KEY);
    assert_refused(
        transfer,
        &request,
        BODY,
        403,
        "invalid",
        "another key, same MAC",
    )
    .await;

    let mut request = presign(blobs, KEY, BODY, "text/plain").await;
    request.url.pop();
    assert_refused(transfer, &request, BODY, 403, "invalid", "a truncated MAC").await;

    blobs
        .put("files/secret", BODY, "text/plain")
        .await
        .expect("put");
    let url = blobs
        .presign_download(
            "files/public",
            &options(),
            Utc::now() + Duration::minutes(5),
        )
        .await
        .expect("presign_download");
    let (status, _, bytes) = transfer.download(&with_key(&url, "files/secret")).await;
    assert_eq!(status, 403, "a download URL pointed at another key");
    assert!(!bytes.starts_with(BODY), "no content");
}

pub async fn urls_only_do_what_they_were_signed_for(transfer: &dyn BlobTransfer) {
    let blobs = transfer.blobs();
    blobs.put("files/x", BODY, "text/plain").await.expect("put");
    let download = blobs
        .presign_download("files/x", &options(), Utc::now() + Duration::minutes(5))
        .await
        .expect("presign_download");
    let mut request = presign(blobs, KEY, BODY, "text/plain").await;
    let upload_url = std::mem::replace(&mut request.url, download);
    assert_refused(
        transfer,
        &request,
        BODY,
        403,
        "downloading",
        "a download URL used to upload",
    )
    .await;

    let (status, _, _) = transfer.download(&upload_url).await;
    assert_eq!(status, 403, "an upload URL used to download");
}

pub async fn downloads_of_missing_blobs_are_not_found(transfer: &dyn BlobTransfer) {
    let url = transfer
        .blobs()
        .presign_download("files/gone", &options(), Utc::now() + Duration::minutes(5))
        .await
        .expect("presign_download");
    let (status, _, _) = transfer.download(&url).await;
    assert_eq!(status, 404, "a valid URL for a missing blob");
}

fn options() -> DownloadOptions {
    DownloadOptions {
        file_name: "x.txt".to_string(),
        content_type: "text/plain".to_string(),
        inline: false,
    }
}
