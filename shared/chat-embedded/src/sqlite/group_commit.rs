//! Group commit: message appends that queue up while the writer is busy are committed
//! together, in one `BEGIN IMMEDIATE` transaction with one fsync.
//!
//! With `synchronous=FULL` every commit waits for the disk (~1 ms here), so committing
//! each send on its own caps the gateway near a thousand sends a second. Instead:
//!
//! - A caller queues its write and awaits a one-shot answer. If no writer is running,
//!   it starts one on the blocking pool. There is no timer: a lone write is committed
//!   as soon as the writer gets the connection, so low load costs what it did before.
//! - The writer takes the connection's mutex (the store's one writing connection),
//!   then takes *everything* queued, runs each write in its own savepoint inside one
//!   transaction, commits once, releases the connection and only then answers every
//!   caller. Whatever queued during that commit is the next batch.
//! - Seq order: each write numbers its message(s) from `rooms.last_seq` inside the
//!   transaction, in queue order, and the whole batch becomes visible at its one
//!   commit, so seqs are gapless and follow commit order exactly as before.
//! - Durability: no caller hears "done" (so no reply, no fan-out) before the commit
//!   returned, i.e. before the WAL is on disk.
//! - Failures: a write's own refusal (unknown room, a batch resent incompletely) rolls
//!   back its savepoint only, and its caller gets that refusal; the others go on. A
//!   failed `BEGIN`, savepoint or `COMMIT` (I/O, disk full, busy) rolls the whole
//!   transaction back and every caller in the batch gets the same error naming the
//!   batch, so none is half applied and none is reported stored.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;
use tokio::sync::oneshot;

use chat_core::{CoreError, CoreResult};

use super::checkpoint::CatchUp;
use super::{OpError, immediate};
use crate::error::EmbeddedError;

/// The queue of writes waiting for the next batch.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Queue>,
    /// Requests from the WAL checkpointer to complete a checkpoint between batches.
    pub(crate) wal: Arc<CatchUp>,
}

#[derive(Default)]
struct Queue {
    writes: Vec<Box<dyn Write>>,
    /// A writer task is running and will look at the queue again before it stops.
    writing: bool,
}

/// How one write went inside the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Keep its changes.
    Done,
    /// Roll back its savepoint; the batch goes on.
    Refused,
}

/// Why a whole batch was rolled back; handed to every caller in it.
struct BatchFailure {
    size: usize,
    step: &'static str,
    code: Option<rusqlite::ffi::Error>,
    message: String,
}

impl BatchFailure {
    fn new(size: usize, step: &'static str, e: &rusqlite::Error) -> Self {
        let code = match e {
            rusqlite::Error::SqliteFailure(code, _) => Some(*code),
            _ => None,
        };
        BatchFailure {
            size,
            step,
            code,
            message: e.to_string(),
        }
    }

    /// This failure as one caller's error. Rebuilt per caller (rusqlite errors do not
    /// clone), keeping SQLite's code so a busy database still maps to `Unavailable`.
    fn error(&self, what: &str) -> CoreError {
        let code = self
            .code
            .unwrap_or_else(|| rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR));
        let source = rusqlite::Error::SqliteFailure(code, Some(self.message.clone()));
        let context = format!(
            "{what}: the group commit of {} write(s) failed at {}, so none of them was stored",
            self.size, self.step
        );
        EmbeddedError::sqlite(context, source).into_core()
    }
}

/// One queued write: run it inside the batch, then answer its caller.
trait Write: Send {
    fn run(&mut self, conn: &Connection) -> Outcome;
    /// `failure` is `Some` when the batch was rolled back (then `run` may not have run).
    fn answer(self: Box<Self>, failure: Option<&BatchFailure>);
}

struct Pending<T, F> {
    what: &'static str,
    op: Option<F>,
    result: Option<Result<T, OpError>>,
    reply: oneshot::Sender<CoreResult<T>>,
}

impl<T, F> Write for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, OpError> + Send,
{
    fn run(&mut self, conn: &Connection) -> Outcome {
        let Some(op) = self.op.take() else {
            return Outcome::Refused;
        };
        let result = op(conn);
        let outcome = if result.is_ok() {
            Outcome::Done
        } else {
            Outcome::Refused
        };
        self.result = Some(result);
        outcome
    }

    fn answer(self: Box<Self>, failure: Option<&BatchFailure>) {
        let reply = match (failure, self.result) {
            (Some(f), _) => Err(f.error(self.what)),
            (None, Some(Ok(value))) => Ok(value),
            (None, Some(Err(OpError::Core(e)))) => Err(e),
            (None, Some(Err(OpError::Sqlite(e)))) => {
                Err(EmbeddedError::sqlite(self.what, e).into_core())
            }
            (None, None) => Err(CoreError::Internal(format!(
                "{}: the write was never run",
                self.what
            ))),
        };
        // The caller may have stopped waiting; the write's fate is settled either way.
        let _ = self.reply.send(reply);
    }
}

impl GroupCommit {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `op` for the next batch and waits until that batch is committed (or
    /// rolled back). `op` runs inside the batch's transaction, in its own savepoint.
    pub(crate) async fn write<T, F>(
        self: &Arc<Self>,
        conn: &Arc<Mutex<Connection>>,
        what: &'static str,
        op: F,
    ) -> CoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, OpError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let start_writer = {
            let mut queue = self.lock();
            queue.writes.push(Box::new(Pending {
                what,
                op: Some(op),
                result: None,
                reply,
            }));
            !std::mem::replace(&mut queue.writing, true)
        };
        if start_writer {
            let (group, conn) = (Arc::clone(self), Arc::clone(conn));
            tokio::task::spawn_blocking(move || group.drain(&conn));
        }
        answer.await.unwrap_or_else(|_| {
            Err(CoreError::Internal(format!(
                "{what}: the store's writer stopped before answering"
            )))
        })
    }

    /// The writer: commits batches until the queue is empty.
    fn drain(&self, conn: &Mutex<Connection>) {
        // If a write panics, the writes still queued are dropped (their callers get an
        // error instead of waiting forever) and the next write starts a fresh writer.
        let _stop = StopWriting(self);
        loop {
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            // Between two batches nothing can append: the moment to let the WAL start
            // over (see `checkpoint`). Writes queued meanwhile join the next batch.
            self.wal.finish_if_asked(&guard);
            // Taken after the connection is ours, so writes that queued while another
            // operation held it join this batch.
            let writes = {
                let mut queue = self.lock();
                if queue.writes.is_empty() {
                    queue.writing = false;
                    return;
                }
                std::mem::take(&mut queue.writes)
            };
            let (writes, failure) = commit_batch(&mut guard, writes);
            drop(guard);
            for w in writes {
                w.answer(failure.as_ref());
            }
        }
    }
}

/// Marks the writer stopped however `drain` ends.
struct StopWriting<'a>(&'a GroupCommit);

impl Drop for StopWriting<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = self.0.lock();
            queue.writes.clear();
            queue.writing = false;
        }
    }
}

/// Runs every write in one transaction, each in a savepoint, and commits once.
/// Returns the writes (to be answered) and the batch's failure, if it failed.
fn commit_batch(
    conn: &mut Connection,
    mut writes: Vec<Box<dyn Write>>,
) -> (Vec<Box<dyn Write>>, Option<BatchFailure>) {
    let size = writes.len();
    let tx = match immediate(conn) {
        Ok(tx) => tx,
        Err(e) => return (writes, Some(BatchFailure::new(size, "BEGIN", &e))),
    };
    for w in &mut writes {
        if let Err(e) = tx.execute_batch("SAVEPOINT group_write") {
            return (writes, Some(BatchFailure::new(size, "SAVEPOINT", &e)));
        }
        let step = match w.run(&tx) {
            Outcome::Done => tx.execute_batch("RELEASE group_write"),
            Outcome::Refused => tx.execute_batch("ROLLBACK TO group_write; RELEASE group_write"),
        };
        // A savepoint that cannot be released or rolled back means the transaction
        // itself is gone (SQLite rolls back on some I/O errors): fail the batch.
        if let Err(e) = step {
            return (writes, Some(BatchFailure::new(size, "savepoint end", &e)));
        }
    }
    match tx.commit() {
        Ok(()) => (writes, None),
        Err(e) => (writes, Some(BatchFailure::new(size, "COMMIT", &e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (Arc<GroupCommit>, Arc<Mutex<Connection>>) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            .unwrap();
        (Arc::default(), Arc::new(Mutex::new(conn)))
    }

    fn count(conn: &Mutex<Connection>) -> i64 {
        conn.lock()
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_all_commit_and_a_refusal_stays_alone() {
        let (group, conn) = store();
        let mut tasks = Vec::new();
        for k in 0..200i64 {
            let (group, conn) = (Arc::clone(&group), Arc::clone(&conn));
            tasks.push(tokio::spawn(async move {
                group
                    .write(&conn, "test write", move |c| {
                        c.execute("INSERT INTO t (k, v) VALUES (?1, 'x')", [k])?;
                        if k % 10 == 0 {
                            // Written, then refused: its savepoint must undo the insert.
                            return Err(CoreError::not_found("refused").into());
                        }
                        Ok(k)
                    })
                    .await
            }));
        }
        let mut ok = 0;
        for (k, t) in tasks.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok(v) => {
                    assert_eq!(v, k as i64);
                    ok += 1;
                }
                Err(e) => assert!(matches!(e, CoreError::NotFound(_)), "{e:?}"),
            }
        }
        assert_eq!(ok, 180);
        assert_eq!(count(&conn), 180);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_commit_fails_every_write_in_the_batch() {
        let (group, conn) = store();
        // A deferred foreign key makes COMMIT itself fail, after both writes ran.
        conn.lock()
            .unwrap()
            .execute_batch(
                "PRAGMA foreign_keys = ON;
                 CREATE TABLE p (id INTEGER PRIMARY KEY);
                 CREATE TABLE c (pid INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);",
            )
            .unwrap();
        let guard = conn.lock().unwrap();
        let first = {
            let (group, conn) = (Arc::clone(&group), Arc::clone(&conn));
            tokio::spawn(async move {
                group
                    .write(&conn, "good write", |c| {
                        c.execute("INSERT INTO t (k, v) VALUES (1, 'x')", [])?;
                        Ok(())
                    })
                    .await
            })
        };
        let second = {
            let (group, conn) = (Arc::clone(&group), Arc::clone(&conn));
            tokio::spawn(async move {
                group
                    .write(&conn, "dangling write", |c| {
                        c.execute("INSERT INTO c (pid) VALUES (42)", [])?;
                        Ok(())
                    })
                    .await
            })
        };
        // Both are queued while the connection is held, so they share one batch. (A
        // blocking wait: the guard must not be held across an `.await`.)
        while group.lock().writes.len() < 2 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        drop(guard);
        for (t, what) in [(first, "good write"), (second, "dangling write")] {
            let err = t.await.unwrap().unwrap_err().to_string();
            assert!(err.contains(what), "{err}");
            assert!(
                err.contains("group commit of 2 write(s) failed at COMMIT"),
                "{err}"
            );
        }
        assert_eq!(count(&conn), 0, "nothing of the failed batch is stored");
    }
}
