//! `S3Blobs` against S3 on a moto server: the `Blobs` contract, pre-signed upload and
//! download over plain HTTP, what the URLs sign, key checks, request counts and bucket
//! creation.
//!
//! The refusals of a wrong body or an expired URL are not tested here: real S3 enforces
//! the signed length, type, checksum and expiry, but moto does not.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chat_aws::AwsClients;
use chat_aws::blobs::{S3Blobs, ensure_bucket};
use chat_aws::testkit::{clients, unique_target};
use chat_core::CoreError;
use chat_core::blob_url::content_disposition;
use chat_core::ports::{Blobs, DownloadOptions, PresignedRequest, UploadBinding};
use chat_core::testkit::contract::blobs::{BlobTransfer, run_all, run_transfers};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

async fn fresh_bucket(label: &str) -> AwsClients {
    let clients = clients(unique_target(label)).await;
    let created = ensure_bucket(&clients.s3, &clients.target.bucket)
        .await
        .unwrap_or_else(|e| panic!("ensure_bucket: {e}"));
    assert!(created, "a new bucket is created");
    clients
}

#[tokio::test]
async fn s3_blobs_meet_the_blobs_contract() {
    run_all(|| async { S3Blobs::from_clients(&fresh_bucket("blobs-contract").await) }).await;
}

/// Pre-signed requests sent over HTTP, as a browser sends them.
struct Http {
    blobs: S3Blobs,
    client: reqwest::Client,
}

#[async_trait]
impl BlobTransfer for Http {
    fn blobs(&self) -> &dyn Blobs {
        &self.blobs
    }

    async fn upload(&self, request: &PresignedRequest, body: Vec<u8>) -> (u16, String) {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap();
        let mut builder = self.client.request(method, &request.url).body(body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    async fn download(&self, url: &str) -> (u16, BTreeMap<String, String>, Vec<u8>) {
        let response = self.client.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    /// moto ignores `response-content-type` and `response-content-disposition`;
    /// [`download_urls_override_type_disposition_and_caching`] checks the URL asks.
    fn serves_requested_headers(&self) -> bool {
        false
    }
}

#[tokio::test]
async fn s3_blob_urls_meet_the_transfer_contract_over_http() {
    run_transfers(|| async {
        Http {
            blobs: S3Blobs::from_clients(&fresh_bucket("blobs-transfer").await),
            client: reqwest::Client::new(),
        }
    })
    .await;
}

fn in_ten_minutes() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::minutes(10)
}

/// The query parameter `name` of `url`, decoded.
fn query_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn upload_urls_sign_length_type_and_checksum() {
    let clients = fresh_bucket("blobs-signed").await;
    let blobs = S3Blobs::from_clients(&clients);
    clients.counter.take();
    let body = b"signed content";
    let binding = UploadBinding {
        size: body.len() as u64,
        content_type: "text/plain".into(),
        sha256: hex::encode(Sha256::digest(body)),
    };
    let request = blobs
        .presign_upload("uploads/file_1", &binding, in_ten_minutes())
        .await
        .unwrap();
    // What S3 checks is what was signed: with these in the signature, S3 refuses a
    // body of another length, type or content (moto does not enforce it).
    let signed = query_param(&request.url, "X-Amz-SignedHeaders").expect("a SigV4 URL");
    // Exactly these: any other signed header would be one the client does not know
    // to send, and S3 would refuse the upload.
    assert_eq!(
        signed, "content-length;content-type;host;x-amz-checksum-sha256",
        "length, type and checksum are signed"
    );
    let expires: i64 = query_param(&request.url, "X-Amz-Expires")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (598..=600).contains(&expires),
        "valid until the given time: {expires}"
    );
    let counts = clients.counter.take();
    assert!(
        counts.keys().all(|k| k == "S3.PutObject"),
        "nothing is sent: {counts:?}"
    );

    // An uploaded object has S3's checksum, not our metadata: `head` reads it in the
    // same request; `copy` writes our metadata onto the copy.
    let (status, text) = Http {
        blobs: blobs.clone(),
        client: reqwest::Client::new(),
    }
    .upload(&request, body.to_vec())
    .await;
    assert_eq!(status, 200, "{text}");
    clients.counter.take();
    let meta = blobs.head("uploads/file_1").await.unwrap().unwrap();
    assert_eq!(meta.sha256, binding.sha256);
    assert_eq!(meta.content_type, "text/plain");
    let head_cost = clients.counter.take().values().sum::<u64>();
    assert!(
        head_cost <= 2,
        "a HeadObject, and a read only without S3's checksum"
    );

    assert!(
        blobs
            .copy("uploads/file_1", "files/temporary/x y ü")
            .await
            .unwrap()
    );
    clients.counter.take();
    assert_eq!(
        blobs.head("files/temporary/x y ü").await.unwrap(),
        Some(meta)
    );
    assert_eq!(
        clients.counter.take().values().sum::<u64>(),
        1,
        "a copy heads in one request"
    );
    assert!(
        !blobs
            .copy("uploads/none", "files/temporary/z")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn download_urls_override_type_disposition_and_caching() {
    let clients = fresh_bucket("blobs-download").await;
    let blobs = S3Blobs::from_clients(&clients);
    let options = DownloadOptions {
        file_name: "rapport été.pdf".into(),
        content_type: "application/pdf".into(),
        inline: false,
    };
    let url = blobs
        .presign_download("files/conversation/k", &options, in_ten_minutes())
        .await
        .unwrap();
    assert_eq!(
        query_param(&url, "response-content-disposition"),
        Some(content_disposition("rapport été.pdf", false))
    );
    assert_eq!(
        query_param(&url, "response-content-type").as_deref(),
        Some("application/pdf")
    );
    assert_eq!(
        query_param(&url, "response-cache-control").as_deref(),
        Some("private, no-store")
    );
}

#[tokio::test]
async fn each_operation_is_one_request() {
    let clients = fresh_bucket("blobs-count").await;
    let blobs = S3Blobs::from_clients(&clients);
    clients.counter.take();
    blobs.put("k", b"v", "text/plain").await.unwrap();
    blobs.head("k").await.unwrap();
    blobs.get("k").await.unwrap();
    blobs.delete("k").await.unwrap();
    blobs.get("k").await.unwrap();
    blobs.head("k").await.unwrap();
    let counts = clients.counter.take();
    let count = |op: &str| counts.get(&format!("S3.{op}")).copied().unwrap_or(0);
    assert_eq!(
        (
            count("PutObject"),
            count("HeadObject"),
            count("GetObject"),
            count("DeleteObject")
        ),
        (1, 2, 2, 1),
        "{counts:?}"
    );
}

#[tokio::test]
async fn keys_s3_cannot_hold_are_bad_requests() {
    let clients = fresh_bucket("blobs-keys").await;
    let blobs = S3Blobs::from_clients(&clients);
    clients.counter.take();
    let too_long = "k".repeat(1025);
    for key in ["", too_long.as_str(), "line\nbreak"] {
        let err = blobs.put(key, b"x", "text/plain").await.unwrap_err();
        assert!(matches!(err, CoreError::BadRequest(_)), "{key:?}: {err:?}");
        let err = blobs.get(key).await.unwrap_err();
        assert!(matches!(err, CoreError::BadRequest(_)), "{key:?}: {err:?}");
    }
    assert!(
        clients.counter.take().is_empty(),
        "refused before any request"
    );
}

#[tokio::test]
async fn dot_segments_cannot_be_presigned() {
    let clients = fresh_bucket("blobs-dots").await;
    let blobs = S3Blobs::from_clients(&clients);
    for key in ["../outside", "a/../b", "./a", "a/."] {
        let binding = UploadBinding {
            size: 1,
            content_type: "text/plain".into(),
            sha256: hex::encode(Sha256::digest(b"x")),
        };
        let err = blobs
            .presign_upload(key, &binding, in_ten_minutes())
            .await
            .unwrap_err();
        assert!(matches!(err, CoreError::BadRequest(_)), "{key:?}: {err:?}");
        let err = blobs
            .presign_download(key, &options(), in_ten_minutes())
            .await
            .unwrap_err();
        assert!(matches!(err, CoreError::BadRequest(_)), "{key:?}: {err:?}");
    }
    assert!(
        blobs
            .presign_download("a..b/c.d", &options(), in_ten_minutes())
            .await
            .is_ok(),
        "dots inside a segment are fine"
    );
    let err = blobs
        .presign_download("k", &options(), Utc::now() + chrono::Duration::days(8))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::BadRequest(_)),
        "S3 signs for 7 days at most: {err:?}"
    );
}

fn options() -> DownloadOptions {
    DownloadOptions {
        file_name: "x.txt".into(),
        content_type: "text/plain".into(),
        inline: false,
    }
}

#[tokio::test]
async fn ensure_bucket_leaves_an_existing_bucket_alone() {
    let clients = fresh_bucket("blobs-ensure").await;
    let blobs = S3Blobs::from_clients(&clients);
    blobs.put("keep", b"me", "text/plain").await.unwrap();
    clients.counter.take();
    let created = ensure_bucket(&clients.s3, &clients.target.bucket)
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(
        clients.counter.take().values().sum::<u64>(),
        1,
        "one HeadBucket"
    );
    assert_eq!(
        blobs.get("keep").await.unwrap().as_deref(),
        Some(&b"me"[..])
    );
}
