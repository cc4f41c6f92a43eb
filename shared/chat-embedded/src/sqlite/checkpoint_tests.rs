//! The WAL under steady load: it starts over instead of growing with every commit.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chat_core::ports::{MessageStore, RoomStore, Store};
use chat_core::testkit::contract::fixtures::{
    employee_member, message_with_client_id, rid, seed_room,
};

use super::super::SqliteStore;
use super::Policy;

const ROOMS: usize = 4;
const SENDERS: usize = 16;
const PER_SENDER: usize = 300;

fn wal_bytes(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// Sends `SENDERS × PER_SENDER` messages at once (so the group-commit writer never
/// pauses long enough for a background pass to catch up by itself) and returns the
/// largest the WAL file got.
async fn largest_wal_under_load(db: &Path, policy: Policy) -> u64 {
    let store = SqliteStore::open_with(db, policy).unwrap();
    for r in 0..ROOMS {
        seed_room(
            &store as &dyn Store,
            &format!("room_{r}"),
            0,
            &[employee_member("usr_alice")],
        )
        .await;
    }
    let largest = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (largest, done, db) = (Arc::clone(&largest), Arc::clone(&done), db.to_path_buf());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                largest.fetch_max(wal_bytes(&db), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..PER_SENDER {
                    let id = format!("{s}_{i}");
                    let m = message_with_client_id(
                        &format!("room_{}", s % ROOMS),
                        &format!("msg_{id}"),
                        "usr_alice",
                        &format!("c{id}"),
                    );
                    store.append_message(&m).await.unwrap();
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    watcher.join().unwrap();
    largest.fetch_max(wal_bytes(db), Ordering::Relaxed);
    largest.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_starts_over_under_steady_load() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chat.db");
    // A restart is asked for past 64 frames (256 KiB). The checkpointer looks every
    // 250 ms, so the WAL may grow by a quarter second of commits past that; without the
    // writer completing checkpoints it grows with every commit (~50 MB for this run).
    let policy = Policy {
        every: Duration::from_millis(10),
        restart_after: 64,
    };
    let largest = largest_wal_under_load(&db, policy).await;
    assert!(
        largest < 12 * 1024 * 1024,
        "the WAL grew to {largest} bytes: it never started over"
    );
    // Everything is still there, in order.
    let store = SqliteStore::open(&db).unwrap();
    for r in 0..ROOMS {
        let room = rid(&format!("room_{r}"));
        let stored = store.room(&room).await.unwrap().unwrap();
        assert_eq!(stored.last_seq as usize, SENDERS / ROOMS * PER_SENDER);
    }
}
