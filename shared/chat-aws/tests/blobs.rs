//! `S3Blobs` against S3 on a moto server: the `Blobs` contract, pre-signed upload and
//! download over plain HTTP, key checks, request counts and bucket creation.

use std::time::Duration;

use chat_aws::AwsClients;
use chat_aws::blobs::{S3Blobs, ensure_bucket};
use chat_aws::testkit::{clients, unique_target};
use chat_core::CoreError;
use chat_core::ports::Blobs;
use chat_core::testkit::contract::blobs::run_all;
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

#[tokio::test]
async fn a_presigned_put_then_get_round_trips_over_http() {
    let clients = fresh_bucket("blobs-presign").await;
    let blobs = S3Blobs::from_clients(&clients);
    let key = "files/file_01/photo.png";
    let content: Vec<u8> = (0..=255u8).cycle().take(5_000).collect();
    clients.counter.take();

    let put_url = blobs
        .presign_put(key, "image/png", Duration::from_secs(300))
        .await
        .unwrap();
    let get_url = blobs
        .presign_get(key, Duration::from_secs(300))
        .await
        .unwrap();
    // Presigning runs the SDK's pipeline up to signing, which the request counter
    // sees, but sends nothing.
    let counts = clients.counter.take();
    assert!(
        counts
            .keys()
            .all(|k| k == "S3.PutObject" || k == "S3.GetObject"),
        "{counts:?}"
    );
    assert!(
        !put_url.to_ascii_lowercase().contains("x-amz-checksum"),
        "no checksum of an empty body is signed into the upload URL: {put_url}"
    );

    let http = reqwest::Client::new();
    let uploaded = http
        .put(&put_url)
        .header("content-type", "image/png")
        .body(content.clone())
        .send()
        .await
        .unwrap();
    assert!(
        uploaded.status().is_success(),
        "PUT: {}",
        uploaded.text().await.unwrap_or_default()
    );
    let downloaded = http.get(&get_url).send().await.unwrap();
    assert!(
        downloaded.status().is_success(),
        "GET: {}",
        downloaded.status()
    );
    assert_eq!(downloaded.bytes().await.unwrap().as_ref(), &content[..]);

    // Uploaded without our metadata: `head` still reports the content's hash.
    clients.counter.take();
    let meta = blobs.head(key).await.unwrap().expect("the upload is there");
    assert_eq!(meta.size, content.len() as u64);
    assert_eq!(meta.content_type, "image/png");
    assert_eq!(meta.sha256, hex::encode(Sha256::digest(&content)));
    let counts = clients.counter.take();
    assert_eq!(
        counts.values().sum::<u64>(),
        2,
        "a browser upload's head costs a HeadObject and one read: {counts:?}"
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
        let err = blobs
            .presign_put(key, "text/plain", Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(matches!(err, CoreError::BadRequest(_)), "{key:?}: {err:?}");
        let err = blobs
            .presign_get(key, Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(matches!(err, CoreError::BadRequest(_)), "{key:?}: {err:?}");
    }
    assert!(
        blobs
            .presign_get("a..b/c.d", Duration::from_secs(60))
            .await
            .is_ok(),
        "dots inside a segment are fine"
    );
    let err = blobs
        .presign_get("k", Duration::from_secs(8 * 24 * 3600))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::BadRequest(_)),
        "S3 signs for 7 days at most: {err:?}"
    );
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
