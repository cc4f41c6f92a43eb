//! `FolderBlobs`: the blobs contract, and the folder-specific promises (keys cannot
//! escape the folder, blobs survive a restart, no temporary files are left behind).

use chat_core::ports::Blobs;
use chat_core::testkit::contract::blobs;
use chat_embedded::blobs::FolderBlobs;

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
