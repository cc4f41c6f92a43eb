//! The `Store` on SQLite: one file, WAL, `synchronous=FULL`, so a committed message
//! survives a crash or power loss and the local gateway loses nothing on restart.
//!
//! - [`schema`]: tables, indexes and migrations (`PRAGMA user_version`).
//! - `codec`: column encodings (time, enums, ids, JSON).
//! - `users`, `rooms`, `messages`, `connections`, `tickets`, `invites`, `audit`, `files`:
//!   one port trait each.
//! - `jobs_table`: the durable queue behind [`crate::jobs::durable_channel`].
//!
//! Concurrency: rusqlite is synchronous, so the one writing `Connection` sits behind a
//! `std::sync::Mutex` and every operation runs on tokio's blocking pool
//! (`spawn_blocking`), holding the lock only inside that closure, never across an
//! `.await`. Within a process the mutex serialises writes; read-modify-write steps
//! (append, guarded addition and removal, issue update, audit append, single-use takes)
//! also run in `BEGIN IMMEDIATE` transactions so they stay atomic against other
//! processes on the same file (the admin CLI next to a running gateway), with
//! `busy_timeout` making writers queue instead of failing.
//!
//! - Message appends go through [`group_commit`]: those waiting are committed together,
//!   one transaction and one fsync per batch.
//! - The reads on the send path (`run_read`: connection, user, room, membership, room
//!   audience, history) use a few read-only connections of their own when the store is
//!   a file, so they do not queue behind a commit's fsync. WAL gives each read the last
//!   committed state, and a write's caller hears back only after its commit, so a read
//!   started after a write returned sees it. An in-memory database has no second
//!   connection; there every operation uses the one.
//! - The short reads of one row or one room's rows (a connection, a user, a room, a
//!   membership, a room's audience) run on the calling thread when a reader is free at
//!   once (`run_point_read`), skipping the pool's thread hand-offs; they never wait
//!   there for a lock.
//! - A room's audience is remembered between messages (`audience_cache`) until a
//!   trigger-kept counter says members, connections or observers changed.

mod audience_cache;
mod audit;
mod checkpoint;
mod codec;
mod connections;
mod files;
mod group_commit;
mod invites;
pub(crate) mod jobs_table;
mod messages;
mod rooms;
pub mod schema;
mod tickets;
mod users;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use chat_core::{CoreError, CoreResult};

use crate::error::EmbeddedError;

/// How long a writer waits for another connection's write lock before the operation
/// fails as `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read-only connections of a file-backed store: one per core is plenty (reads are
/// short; more would only add page caches).
const READERS: usize = 2;

/// The SQLite store. Cheap to clone: clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    group: Arc<group_commit::GroupCommit>,
    readers: Arc<Vec<Mutex<Connection>>>,
    /// Round-robin start for picking a reader.
    next_reader: Arc<AtomicUsize>,
    /// Room audiences between changes (see `audience_cache`).
    audiences: Arc<audience_cache::AudienceCache>,
    /// Keeps the WAL checkpointer thread (file stores) running while a clone lives.
    _checkpointer: Arc<()>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating it and its parent folders if needed) the database file at `path`
    /// and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, EmbeddedError> {
        Self::open_with(path, checkpoint::POLICY)
    }

    /// [`SqliteStore::open`] with another checkpoint policy (tests shrink it).
    fn open_with(path: &Path, policy: checkpoint::Policy) -> Result<SqliteStore, EmbeddedError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| EmbeddedError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| EmbeddedError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        // Wait for other connections' locks first: switching to WAL needs one.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_err)?;
        let wal = mode.eq_ignore_ascii_case("wal");
        if !wal {
            tracing::warn!(%mode, path = %path.display(), "sqlite refused WAL mode");
        }
        let mut store = Self::configure(conn, path)?;
        // Without WAL a reader would block the writer (and vice versa): keep one
        // connection then, and SQLite's own checkpoints.
        if wal {
            // Checkpoints move to a background thread (`checkpoint`), out of commits.
            let started = checkpoint::start(
                path,
                &store._checkpointer,
                Arc::clone(&store.group.wal),
                policy,
            );
            match started {
                Ok(()) => {
                    let conn = store.conn.lock().unwrap_or_else(PoisonError::into_inner);
                    conn.pragma_update(None, "wal_autocheckpoint", 0)
                        .and_then(|()| {
                            conn.pragma_update(
                                None,
                                "journal_size_limit",
                                checkpoint::WAL_SIZE_LIMIT,
                            )
                        })
                        .map_err(|source| EmbeddedError::Open {
                            path: path.to_path_buf(),
                            source,
                        })?;
                }
                Err(e) => tracing::warn!(error = %e, "no WAL checkpointer thread"),
            }
            let readers = (0..READERS)
                .map(|_| Self::open_reader(path).map(Mutex::new))
                .collect::<Result<Vec<_>, _>>()?;
            store.readers = Arc::new(readers);
        }
        Ok(store)
    }

    /// A connection for reads only, opened after the schema is in place.
    fn open_reader(path: &Path) -> Result<Connection, EmbeddedError> {
        let open_err = |source| EmbeddedError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // Opened read-write (a read-only WAL connection has edge cases around the
        // shared-memory file) but refusing writes, so a misrouted write fails loudly.
        conn.pragma_update(None, "query_only", true)
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        Ok(conn)
    }

    /// A private, empty in-memory database (tests, throwaway runs).
    pub fn open_in_memory() -> Result<SqliteStore, EmbeddedError> {
        let conn = Connection::open_in_memory().map_err(|source| EmbeddedError::Open {
            path: ":memory:".into(),
            source,
        })?;
        Self::configure(conn, Path::new(":memory:"))
    }

    fn configure(mut conn: Connection, path: &Path) -> Result<SqliteStore, EmbeddedError> {
        let open_err = |source| EmbeddedError::Open {
            path: path.to_path_buf(),
            source,
        };
        // FULL: a commit is on disk before it returns ("a message is durable before it
        // is pushed", DESIGN §4). NORMAL would risk the last commits on power loss.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            group: Arc::default(),
            readers: Arc::new(Vec::new()),
            next_reader: Arc::new(AtomicUsize::new(0)),
            audiences: Arc::default(),
            _checkpointer: Arc::new(()),
        })
    }

    /// Deletes every stored connection (and observer entry). The local gateway calls it
    /// once at startup: sockets do not survive a restart, and stale rows would show users
    /// online and waste pushes. Not done in `open`, because the admin CLI opens the same
    /// file while the gateway runs. Returns how many were removed.
    pub async fn clear_connections(&self) -> CoreResult<usize> {
        self.run("clear connections", |conn| {
            let tx = immediate(conn)?;
            tx.execute("DELETE FROM observers", [])?;
            let n = tx.execute("DELETE FROM connections", [])?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    /// Runs `op` on the connection on the blocking pool. `op` returns
    /// [`OpError`], so it can use `?` on rusqlite calls and also fail with a
    /// domain error (`NotFound`, `Conflict`); `what` names the operation in errors.
    pub(crate) async fn run<T, F>(&self, what: &'static str, op: F) -> CoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, OpError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let joined = tokio::task::spawn_blocking(move || {
            // A panic in an earlier operation poisons the mutex; the connection itself is
            // fine (rusqlite rolls back a dropped transaction), so keep using it.
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            op(&mut guard)
        })
        .await;
        Self::joined(what, joined)
    }

    /// Like [`SqliteStore::run`] for an operation that only reads: on a reader
    /// connection when there is one (a free one if any, else the next in turn), so it
    /// does not wait for the writer's fsync.
    pub(crate) async fn run_read<T, F>(&self, what: &'static str, op: F) -> CoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, OpError> + Send + 'static,
    {
        if self.readers.is_empty() {
            return self.run(what, op).await;
        }
        let readers = Arc::clone(&self.readers);
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let joined = tokio::task::spawn_blocking(move || {
            let n = readers.len();
            let free = (0..n).find_map(|i| readers[(start + i) % n].try_lock().ok());
            let mut guard = match free {
                Some(guard) => guard,
                None => readers[start % n]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            };
            op(&mut guard)
        })
        .await;
        Self::joined(what, joined)
    }

    /// Like [`SqliteStore::run_read`], for the short reads on every message's path (its
    /// connection, its sender, its room, the membership, the room's audience): when a
    /// reader connection is free at once, `op`
    /// runs right here instead of on the blocking pool. Those reads take microseconds,
    /// while the pool's hop costs a thread wake-up each way (thread wake-ups and sleeps
    /// were a third of the gateway's CPU under load). It never waits on this thread: a
    /// busy reader mutex, or SQLite answering busy (its busy timeout is zero meanwhile),
    /// sends the read to the pool. Only for reads of a few rows of small, hot tables.
    pub(crate) async fn run_point_read<T, F>(&self, what: &'static str, op: F) -> CoreResult<T>
    where
        T: Send + 'static,
        F: Fn(&mut Connection) -> Result<T, OpError> + Send + 'static,
    {
        if let Some(mut reader) = self.readers.iter().find_map(|r| r.try_lock().ok())
            && reader.busy_timeout(Duration::ZERO).is_ok()
        {
            let inline = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(&mut reader)));
            let restored = reader.busy_timeout(BUSY_TIMEOUT);
            drop(reader);
            if let Err(e) = restored {
                tracing::warn!(error = %e, "could not restore a reader's busy timeout");
            }
            match inline {
                Ok(Err(OpError::Sqlite(e))) if is_busy(&e) => {}
                Ok(result) => return Self::joined(what, Ok(result)),
                // As a panic on the blocking pool would: an error, not a dead caller.
                Err(_) => {
                    return Err(CoreError::Internal(format!("{what}: the read panicked")));
                }
            }
        }
        self.run_read(what, op).await
    }

    /// Queues a message append for the next group commit (see [`group_commit`]).
    pub(crate) async fn write_grouped<T, F>(&self, what: &'static str, op: F) -> CoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, OpError> + Send + 'static,
    {
        self.group.write(&self.conn, what, op).await
    }

    fn joined<T>(
        what: &'static str,
        joined: Result<Result<T, OpError>, tokio::task::JoinError>,
    ) -> CoreResult<T> {
        match joined {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(OpError::Core(e))) => Err(e),
            Ok(Err(OpError::Sqlite(e))) => Err(EmbeddedError::sqlite(what, e).into_core()),
            Err(source) => Err(EmbeddedError::Task {
                context: what.to_string(),
                source,
            }
            .into_core()),
        }
    }
}

/// Failure inside an operation: SQLite's, or a domain outcome the port documents.
#[derive(Debug)]
pub(crate) enum OpError {
    Sqlite(rusqlite::Error),
    Core(CoreError),
}

impl From<rusqlite::Error> for OpError {
    fn from(e: rusqlite::Error) -> Self {
        OpError::Sqlite(e)
    }
}

impl From<CoreError> for OpError {
    fn from(e: CoreError) -> Self {
        OpError::Core(e)
    }
}

/// SQLite could not get a lock in time (`SQLITE_BUSY` / `SQLITE_LOCKED`).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// `BEGIN IMMEDIATE`: takes the write lock up front, so a read-then-write step cannot
/// be overtaken by another connection between its read and its write (and never fails
/// half-way with a lock upgrade error).
pub(crate) fn immediate(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}
