//! `FileStore` on the `files` table: the whole record as JSON, and its status again in a
//! column of its own so the conditional update can compare it.
//!
//! Nothing queries files by any other field, so one JSON column keeps the table in step
//! with `FileRecord` without a migration per new field. Each method is one statement,
//! which SQLite runs atomically even against other connections on the file, so no
//! explicit transaction is needed: the `INSERT` is refused by the primary key, and of
//! several `UPDATE … WHERE status = ?` racing for one row exactly one changes it.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use chat_core::ids::FileId;
use chat_core::model::{FileRecord, FileStatus};
use chat_core::ports::FileStore;
use chat_core::{CoreError, CoreResult};

use super::SqliteStore;
use super::codec::{get_json, json, name};
use crate::error::is_unique_violation;

/// What a record is stored as: its id, status name and JSON, encoded before the blocking
/// closure so encoding errors surface as the core's.
struct FileRow {
    id: String,
    status: String,
    record: String,
}

impl FileRow {
    fn new(file: &FileRecord) -> CoreResult<FileRow> {
        Ok(FileRow {
            id: file.id.as_str().to_string(),
            status: name(&file.status)?,
            record: json(file, "file record")?,
        })
    }
}

#[async_trait]
impl FileStore for SqliteStore {
    async fn insert_file(&self, file: &FileRecord) -> CoreResult<()> {
        let row = FileRow::new(file)?;
        self.run("insert file", move |conn| {
            let inserted = conn
                .prepare_cached("INSERT INTO files (id, status, record) VALUES (?1, ?2, ?3)")?
                .execute(params![row.id, row.status, row.record]);
            match inserted {
                Ok(_) => Ok(()),
                Err(e) if is_unique_violation(&e) => {
                    Err(CoreError::conflict("file id is taken").into())
                }
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn file(&self, id: &FileId) -> CoreResult<Option<FileRecord>> {
        let id = id.as_str().to_string();
        self.run("read file", move |conn| {
            Ok(conn
                .prepare_cached("SELECT record FROM files WHERE id = ?1")?
                .query_row([id], |row| get_json(row, 0))
                .optional()?)
        })
        .await
    }

    async fn update_file_if(&self, file: &FileRecord, expected: FileStatus) -> CoreResult<bool> {
        let row = FileRow::new(file)?;
        let expected = name(&expected)?;
        self.run("update file", move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE files SET status = ?2, record = ?3 WHERE id = ?1 AND status = ?4",
                )?
                .execute(params![row.id, row.status, row.record, expected])?;
            Ok(changed == 1)
        })
        .await
    }
}
