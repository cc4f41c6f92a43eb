//! This crate's error type, and its one mapping into the core's [`CoreError`].
//!
//! Adapters return `CoreResult` through the ports, so every failure passes through
//! [`EmbeddedError::into_core`]: a busy or locked database is `Unavailable` (the caller
//! may retry), anything else is `Storage` with this error kept as the source for logs.
//! Constructors (`SqliteStore::open`, `FolderBlobs::new`) return `EmbeddedError` so the
//! local gateway can say exactly what is wrong at startup.

use std::path::PathBuf;

use chat_core::CoreError;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// A data folder (or the database's parent folder) could not be created.
    #[error("cannot create folder {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The database file could not be opened or configured.
    #[error("cannot open database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer build; refusing protects its data.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("sqlite: {context}")]
    Sqlite {
        context: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("i/o: {context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// Stored data that does not parse (an unknown enum value, bad JSON or time).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {context}")]
    Task {
        context: String,
        #[source]
        source: tokio::task::JoinError,
    },
}

impl EmbeddedError {
    pub fn sqlite(context: impl Into<String>, source: rusqlite::Error) -> Self {
        EmbeddedError::Sqlite {
            context: context.into(),
            source,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        EmbeddedError::Io {
            context: context.into(),
            source,
        }
    }

    /// Whether SQLite gave up waiting for a lock (busy timeout elapsed).
    pub fn is_busy(&self) -> bool {
        let source = match self {
            EmbeddedError::Sqlite { source, .. } | EmbeddedError::Open { source, .. } => source,
            _ => return false,
        };
        matches!(
            source.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }

    /// The core's view of this failure: `Unavailable` when busy, otherwise `Storage`.
    pub fn into_core(self) -> CoreError {
        if self.is_busy() {
            tracing::warn!(error = %self, "sqlite busy");
            return CoreError::Unavailable("storage is busy; try again".to_string());
        }
        let context = self.to_string();
        CoreError::storage(context, self)
    }
}

impl From<EmbeddedError> for CoreError {
    fn from(e: EmbeddedError) -> Self {
        e.into_core()
    }
}

/// Whether a rusqlite error is a UNIQUE or PRIMARY KEY violation.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => {
            f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::ErrorCode;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn busy_and_locked_are_unavailable() {
        for code in [rusqlite::ffi::SQLITE_BUSY, rusqlite::ffi::SQLITE_LOCKED] {
            let e = EmbeddedError::sqlite("append", failure(code)).into_core();
            assert_eq!(e.code(), ErrorCode::Unavailable, "{code}");
        }
    }

    #[test]
    fn other_failures_are_storage_errors_with_context() {
        let e = EmbeddedError::sqlite("append message", failure(rusqlite::ffi::SQLITE_IOERR));
        let core = e.into_core();
        assert_eq!(core.code(), ErrorCode::Internal);
        assert!(core.to_string().contains("append message"), "{core}");
    }

    #[test]
    fn unique_violations_are_recognised() {
        assert!(is_unique_violation(&failure(
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        )));
        assert!(!is_unique_violation(&failure(
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
        )));
    }
}
