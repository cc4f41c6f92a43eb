//! `FolderBlobs`: the blobs contract, and the folder-specific promises (keys cannot
//! escape the folder, blobs survive a restart, no temporary files are left behind),
//! its signed URLs as the local gateway serves them, and the sweeper.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use chat_core::blob_url::UrlSigner;
use chat_core::ports::{Blobs, PresignedRequest, UploadBinding};
use chat_core::testkit::contract::blobs::{self, BlobTransfer, error_response};
use chat_core::{CoreResult, ErrorCode};
use chat_embedded::blobs::{FolderBlobs, retention_rules};
use chrono::Utc;
use sha2::{Digest, Sha256};

const BASE: &str = "http://127.0.0.1:1/blobs";

/// The store behind the gateway's `/blobs/{token}` routes, called the way they call it.
struct Gateway(FolderBlobs);

fn token_of(url: &str) -> &str {
    url.strip_prefix(BASE)
        .and_then(|t| t.strip_prefix('/'))
        .unwrap_or_else(|| panic!("not a gateway blob URL: {url}"))
}

#[async_trait]
impl BlobTransfer for Gateway {
    fn blobs(&self) -> &dyn Blobs {
        &self.0
    }

    async fn upload(&self, request: &PresignedRequest, body: Vec<u8>) -> (u16, String) {
        assert_eq!(request.method, "PUT");
        let header = |name: &str| request.headers.get(name).map(String::as_str);
        let result = self
            .0
            .accept_upload(
                token_of(&request.url),
                header("content-type"),
                header("x-amz-checksum-sha256"),
                &body,
                Utc::now(),
            )
            .await;
        match result {
            Ok(()) => (200, String::new()),
            Err(e) => error_response(&e),
        }
    }

    async fn download(&self, url: &str) -> (u16, BTreeMap<String, String>, Vec<u8>) {
        match self.0.open_download(token_of(url), Utc::now()).await {
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

fn gateway(dir: std::path::PathBuf) -> Gateway {
    let signer = UrlSigner::new(&[42u8; 32], BASE).unwrap();
    Gateway(FolderBlobs::new(dir).unwrap().with_urls(Arc::new(signer)))
}

#[tokio::test]
async fn folder_blob_urls_meet_the_transfer_contract_and_refuse_bad_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    let make = || {
        let sub = dir.path().join(format!(
            "blobs-{}",
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        async move { gateway(sub) }
    };
    blobs::run_transfers(make).await;
    blobs::refusals::run_all(make).await;
}

#[tokio::test]
async fn without_a_signer_there_are_no_urls() {
    let dir = tempfile::tempdir().unwrap();
    let store = FolderBlobs::new(dir.path()).unwrap();
    let binding = UploadBinding {
        size: 1,
        content_type: "text/plain".into(),
        sha256: hex::encode(Sha256::digest(b"x")),
    };
    let expires = Utc::now() + chrono::Duration::minutes(5);
    let unavailable = |r: CoreResult<()>| r.unwrap_err().code() == ErrorCode::Unavailable;
    assert!(unavailable(
        store.presign_upload("k", &binding, expires).await.map(drop)
    ));
    assert!(unavailable(
        store
            .accept_upload("t.m", None, None, b"x", Utc::now())
            .await
    ));
    assert!(unavailable(
        store.open_download("t.m", Utc::now()).await.map(drop)
    ));
}

/// The file holding `key` (the store's layout: sha256 of the key).
fn file_of(dir: &std::path::Path, key: &str) -> std::path::PathBuf {
    dir.join(format!(
        "{}.blob",
        hex::encode(Sha256::digest(key.as_bytes()))
    ))
}

fn age_file(path: &std::path::Path, by: Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - by).unwrap();
}

#[tokio::test]
async fn the_sweeper_deletes_blobs_past_their_class_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = FolderBlobs::new(dir.path()).unwrap();
    let keys = [
        "uploads/file_1",
        "files/temporary/aa",
        "thumbs/temporary/aa.png",
        "files/conversation/bb",
        "files/archive/cc",
        "avatars/u1",
    ];
    for key in keys {
        store.put(key, b"x", "text/plain").await.unwrap();
    }
    let rules = retention_rules();
    let hours = |h: i64| Utc::now() + chrono::Duration::hours(h);
    let present = async |store: &FolderBlobs| {
        let mut out = Vec::new();
        for key in keys {
            if store.head(key).await.unwrap().is_some() {
                out.push(key);
            }
        }
        out
    };

    assert_eq!(
        store.sweep(Utc::now(), &rules).await.unwrap(),
        0,
        "all fresh"
    );
    assert_eq!(
        store.sweep(hours(3), &rules).await.unwrap(),
        1,
        "an unfinished upload"
    );
    assert!(!present(&store).await.contains(&"uploads/file_1"));
    assert_eq!(
        store.sweep(hours(25), &rules).await.unwrap(),
        2,
        "temporary content and thumbnail"
    );
    assert_eq!(
        store.sweep(hours(24 * 366), &rules).await.unwrap(),
        1,
        "conversation"
    );
    assert_eq!(
        present(&store).await,
        ["files/archive/cc", "avatars/u1"],
        "archive lasts seven years; keys without a rule stay"
    );
    assert_eq!(store.sweep(hours(24 * 365 * 8), &rules).await.unwrap(), 1);
    assert_eq!(present(&store).await, ["avatars/u1"]);
}

#[tokio::test]
async fn a_copy_restarts_retention_and_crash_leftovers_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let store = FolderBlobs::new(dir.path()).unwrap();
    store
        .put("uploads/file_1", b"content", "image/png")
        .await
        .unwrap();
    store
        .put("files/temporary/old", b"old", "text/plain")
        .await
        .unwrap();
    age_file(
        &file_of(dir.path(), "uploads/file_1"),
        Duration::from_secs(3 * 3600),
    );
    age_file(
        &file_of(dir.path(), "files/temporary/old"),
        Duration::from_secs(25 * 3600),
    );
    // Re-uploading the same content copies it over the old key: its clock restarts.
    assert!(
        store
            .copy("uploads/file_1", "files/temporary/old")
            .await
            .unwrap()
    );
    let leftover = dir.path().join(".tmp-1-0");
    std::fs::write(&leftover, b"half a blob").unwrap();
    age_file(&leftover, Duration::from_secs(2 * 3600));

    assert_eq!(
        store.sweep(Utc::now(), &retention_rules()).await.unwrap(),
        1
    );
    assert_eq!(
        store.head("uploads/file_1").await.unwrap(),
        None,
        "the old upload"
    );
    assert_eq!(
        store.get("files/temporary/old").await.unwrap().as_deref(),
        Some(&b"content"[..]),
        "the fresh copy stays"
    );
    assert!(!leftover.exists(), "a crash's temporary file is removed");
}

#[tokio::test]
async fn folder_blobs_meet_the_blobs_contract() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    blobs::run_all(|| {
        let sub = dir.path().join(format!(
            "blobs-{}",
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        async move { FolderBlobs::new(sub).unwrap() }
    })
    .await;
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn hostile_keys_stay_inside_the_folder() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("blobs");
    let store = FolderBlobs::new(&folder).unwrap();
    for key in [
        "../escape",
        "../../etc/passwd",
        "/absolute",
        "a/../../b",
        "nul\0byte",
        ".",
        "",
    ] {
        store.put(key, b"x", "text/plain").await.unwrap();
        assert_eq!(
            store.get(key).await.unwrap().as_deref(),
            Some(&b"x"[..]),
            "{key:?}"
        );
    }
    let files = files_under(root.path());
    assert_eq!(files.len(), 7, "one file per key: {files:?}");
    for f in &files {
        assert_eq!(
            f.parent(),
            Some(folder.as_path()),
            "{f:?} is outside the folder"
        );
        assert!(
            f.extension().is_some_and(|e| e == "blob"),
            "no stray temporary files: {f:?}"
        );
    }
}

#[tokio::test]
async fn blobs_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let meta = FolderBlobs::new(dir.path())
        .unwrap()
        .put("files/f1/a.png", b"\x89PNG\r\n", "image/png")
        .await
        .unwrap();
    let reopened = FolderBlobs::new(dir.path()).unwrap();
    assert_eq!(reopened.head("files/f1/a.png").await.unwrap(), Some(meta));
    assert_eq!(
        reopened.get("files/f1/a.png").await.unwrap().as_deref(),
        Some(&b"\x89PNG\r\n"[..])
    );
}

#[tokio::test]
async fn concurrent_puts_of_one_key_leave_one_whole_blob() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(FolderBlobs::new(dir.path()).unwrap());
    let handles: Vec<_> = (0..8u8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .put("same", &vec![i; 100_000], "application/octet-stream")
                    .await
                    .unwrap()
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    let bytes = store.get("same").await.unwrap().unwrap();
    let meta = store.head("same").await.unwrap().unwrap();
    assert_eq!(bytes.len(), 100_000);
    assert!(
        bytes.iter().all(|b| *b == bytes[0]),
        "one writer's content, not a mix"
    );
    assert_eq!(
        meta.sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        "content and metadata agree"
    );
    assert_eq!(files_under(dir.path()).len(), 1, "no temporary files left");
}
