//! `Blobs` contract: content round-trips byte for byte with its size, sha256 and content
//! type; missing keys are `None`; keys are opaque strings (S3-like, slashes included).

use std::future::Future;

use crate::ports::{BlobMeta, Blobs};

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
