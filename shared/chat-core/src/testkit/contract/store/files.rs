//! `FileStore` contract: a file record is created once, read back exactly, and only
//! moves on from the status its writer read, so two `complete` calls (or `complete`
//! racing the upload-expiry job) settle a file exactly once.

use chrono::Duration;
use futures::future::join_all;

use crate::error::ErrorCode;
use crate::ids::FileId;
use crate::model::{DeclaredFile, FileRecord, FileStatus, ImageFacts, StorageClass};
use crate::ports::Store;
use crate::testkit::contract::fixtures::{at, mid, rid};

use super::{expect_code, ok};

pub fn fid(raw: &str) -> FileId {
    FileId::parse(raw).unwrap_or_else(|e| panic!("fixture file id {raw:?}: {e}"))
}

/// A pending upload of a PNG into `room_1`, with the optional fields unset. Times carry
/// nanoseconds (from [`at`]), so adapters must store them exactly.
pub fn file_record(id: &str) -> FileRecord {
    FileRecord {
        id: fid(id),
        room_id: rid("room_1"),
        message_id: mid(&format!("msg_{id}")),
        uploader: "usr_alice".to_string(),
        declared: DeclaredFile {
            name: format!("screenshot {id}.png"),
            content_type: "image/png".to_string(),
            size: 48_213,
            sha256: "0f".repeat(32),
        },
        storage_class: StorageClass::Conversation,
        status: FileStatus::Pending,
        created_at: at(0),
        upload_expires_at: at(900),
        completed_at: None,
        image: None,
    }
}

/// `record` as `complete` leaves it: every optional field set, at `completed_at`.
pub fn completed(record: &FileRecord, completed_at_secs: i64) -> FileRecord {
    FileRecord {
        status: FileStatus::Complete,
        completed_at: Some(at(completed_at_secs) + Duration::nanoseconds(7)),
        image: Some(ImageFacts {
            width: 1920,
            height: 1080,
            thumbnail_width: 320,
            thumbnail_height: 180,
        }),
        ..record.clone()
    }
}

async fn stored(store: &dyn Store, id: &str) -> Option<FileRecord> {
    ok("file", store.file(&fid(id)).await)
}

pub async fn files_round_trip_every_field(store: &dyn Store) {
    let pending = file_record("file_1");
    // Every field different from the first record, optional ones set.
    let mut archived = completed(&file_record("file_2"), 30);
    archived.room_id = rid("room_2");
    archived.uploader = "iStackBuddy.docs.export".to_string();
    archived.storage_class = StorageClass::Archive;
    archived.declared = DeclaredFile {
        name: "résumé export (2).zip".to_string(),
        content_type: "application/zip".to_string(),
        size: 100 * 1024 * 1024,
        sha256: "a1".repeat(32),
    };
    archived.created_at = at(-60) + Duration::nanoseconds(1);
    archived.upload_expires_at = at(840) + Duration::nanoseconds(999_999_999);
    ok("insert pending", store.insert_file(&pending).await);
    ok("insert archived", store.insert_file(&archived).await);
    assert_eq!(
        stored(store, "file_1").await,
        Some(pending),
        "a record with no completion or image facts reads back equal"
    );
    assert_eq!(
        stored(store, "file_2").await,
        Some(archived),
        "every field, to the nanosecond"
    );
    assert_eq!(stored(store, "file_unknown").await, None);
}

pub async fn inserting_a_taken_id_is_a_conflict(store: &dyn Store) {
    let original = file_record("file_1");
    ok("insert", store.insert_file(&original).await);
    let mut other = completed(&file_record("file_1"), 10);
    other.uploader = "usr_mallory".to_string();
    expect_code(
        "insert the same id again",
        store.insert_file(&other).await,
        ErrorCode::Conflict,
    );
    assert_eq!(
        stored(store, "file_1").await,
        Some(original),
        "a refused insert leaves the stored record as it was"
    );
}

pub async fn update_file_if_replaces_only_from_the_expected_status(store: &dyn Store) {
    let pending = file_record("file_1");
    ok("insert", store.insert_file(&pending).await);
    let mut done = completed(&pending, 60);
    // The whole record is replaced, not only the status.
    done.upload_expires_at = at(1800);
    done.declared.size += 1;
    assert!(
        !ok(
            "update expecting complete",
            store.update_file_if(&done, FileStatus::Complete).await
        ),
        "the stored status is pending, not complete"
    );
    assert_eq!(
        stored(store, "file_1").await,
        Some(pending.clone()),
        "a refused update changes nothing"
    );
    assert!(
        ok(
            "update expecting pending",
            store.update_file_if(&done, FileStatus::Pending).await
        ),
        "the stored status is the expected one"
    );
    assert_eq!(stored(store, "file_1").await, Some(done.clone()));
    let failed = FileRecord {
        status: FileStatus::Failed,
        ..pending.clone()
    };
    assert!(
        !ok(
            "second update expecting pending",
            store.update_file_if(&failed, FileStatus::Pending).await
        ),
        "the status has moved on"
    );
    assert_eq!(stored(store, "file_1").await, Some(done));
    let ghost = file_record("file_missing");
    assert!(
        !ok(
            "update unknown",
            store.update_file_if(&ghost, FileStatus::Pending).await
        ),
        "an unknown id is not updated"
    );
    assert_eq!(
        stored(store, "file_missing").await,
        None,
        "and not created either"
    );
}

pub async fn files_are_independent(store: &dyn Store) {
    let first = file_record("file_1");
    let second = file_record("file_2");
    ok("insert first", store.insert_file(&first).await);
    ok("insert second", store.insert_file(&second).await);
    let done = completed(&first, 5);
    assert!(ok(
        "complete first",
        store.update_file_if(&done, FileStatus::Pending).await
    ));
    expect_code(
        "insert first again",
        store.insert_file(&first).await,
        ErrorCode::Conflict,
    );
    assert_eq!(stored(store, "file_1").await, Some(done));
    assert_eq!(
        stored(store, "file_2").await,
        Some(second.clone()),
        "another file's update and conflict leave this one alone"
    );
    let second_done = completed(&second, 9);
    assert!(
        ok(
            "complete second",
            store
                .update_file_if(&second_done, FileStatus::Pending)
                .await
        ),
        "the other file is still pending"
    );
    assert_eq!(stored(store, "file_2").await, Some(second_done));
}

/// Eight completions of one pending file from every handle at once: exactly one wins,
/// and the stored record is the winner's.
pub async fn concurrent_completions_have_one_winner(stores: &[&dyn Store]) {
    let first = *stores
        .first()
        .unwrap_or_else(|| panic!("pass at least one store handle"));
    for round in 0..5 {
        let id = format!("file_race_{round}");
        ok("insert", first.insert_file(&file_record(&id)).await);
        let attempts: Vec<FileRecord> = (0..8)
            .map(|i| completed(&file_record(&id), 100 + i))
            .collect();
        let results = join_all(attempts.iter().enumerate().map(|(i, attempt)| {
            let store = stores[i % stores.len()];
            async move {
                ok(
                    "concurrent update",
                    store.update_file_if(attempt, FileStatus::Pending).await,
                )
            }
        }))
        .await;
        let winners: Vec<usize> = results
            .iter()
            .enumerate()
            .filter_map(|(i, won)| won.then_some(i))
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one concurrent update wins, got {results:?}"
        );
        assert_eq!(
            stored(first, &id).await.as_ref(),
            Some(&attempts[winners[0]]),
            "round {round}: the stored record is the winner's"
        );
    }
}
