//! WAL checkpoints off the commit path, and a WAL that stays bounded under load.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1,000
//! pages: that commit copies the WAL into the database file and fsyncs it while every
//! send queued behind it waits, a latency spike every few hundred messages under load.
//! A file-backed store turns that off on its writing connection and runs `PASSIVE`
//! checkpoints from a connection of its own on a background thread instead. A passive
//! checkpoint takes no writer lock, so commits go on meanwhile; durability does not
//! change (a commit is durable once its WAL frames are fsynced, checkpointed or not).
//!
//! Passive checkpoints alone let the WAL grow without end under steady load. SQLite
//! starts the WAL over from its first frame only when a write transaction begins while
//! *every* frame has been copied back, and a background pass never gets there: it
//! copies the frames that existed when it started, and the group-commit writer appends
//! more during the pass. Measured: 956 MB of WAL after 30 s at 1,400 messages/s, for a
//! 22 MB database; and each commit then also grows the file.
//!
//! So when the WAL passes [`POLICY`]'s `restart_after` frames, the background thread
//! asks the writer ([`CatchUp`]) to finish the job. Between two batches, holding the only
//! writing connection, the writer runs one more passive checkpoint: nothing can append
//! meanwhile, so it copies the few frames written since the background pass and the
//! WAL is fully copied back. The writer's next transaction then starts the WAL over
//! (unless a reader still reads old frames; then the next request tries again), and
//! the commits after it overwrite blocks the file already has. `journal_size_limit`
//! shrinks the file back after a restart if something (a long reader) let it grow.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use rusqlite::Connection;

/// When the checkpointer runs and when it asks for a restart.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    /// How often the checkpointer copies the WAL back.
    pub(crate) every: Duration,
    /// WAL frames (pages) past which the writer is asked to complete a checkpoint so
    /// the WAL can start over.
    pub(crate) restart_after: i64,
}

/// Passes every 250 ms: each is small (a few hundred pages at full load) and the WAL
/// stays short for readers. A restart past 16 MiB of 4 KiB pages: at full load (about
/// 30 MB of WAL a second) one short stall of the writer every half second or so; below
/// that the background passes catch up on their own whenever the writer pauses.
pub(crate) const POLICY: Policy = Policy {
    every: Duration::from_millis(250),
    restart_after: 4096,
};

/// The WAL file's size after a restart, at most (`PRAGMA journal_size_limit`, bytes).
pub(crate) const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// The background checkpointer's request to the writer: "complete a checkpoint
/// between two batches". Shared by the checkpointer thread and the group commit.
#[derive(Debug, Default)]
pub(crate) struct CatchUp {
    asked: AtomicBool,
}

/// What one `PRAGMA wal_checkpoint` reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pass {
    /// Some reader or checkpointer was in the way, so not every frame was copied.
    pub(crate) busy: bool,
    /// Frames in the WAL.
    pub(crate) frames: i64,
    /// Frames copied back into the database file.
    pub(crate) copied: i64,
}

/// Runs a passive checkpoint on `conn`: copies back what it can without waiting for
/// anyone (no busy handler runs).
pub(crate) fn passive(conn: &Connection) -> rusqlite::Result<Pass> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok(Pass {
            busy: row.get::<_, i64>(0)? != 0,
            frames: row.get(1)?,
            copied: row.get(2)?,
        })
    })
}

impl CatchUp {
    fn ask(&self) {
        self.asked.store(true, Ordering::Relaxed);
    }

    /// Called by the writer between batches, with the writing connection in hand: if
    /// the checkpointer asked, complete a checkpoint now. Failure costs nothing but
    /// the restart; the checkpointer asks again after its next pass.
    pub(crate) fn finish_if_asked(&self, writer: &Connection) {
        if !self.asked.swap(false, Ordering::Relaxed) {
            return;
        }
        match passive(writer) {
            Ok(pass) => tracing::debug!(?pass, "writer completed a WAL checkpoint"),
            Err(e) => tracing::debug!(error = %e, "writer's WAL checkpoint failed"),
        }
    }
}

/// Starts the checkpointer for the database at `path`; it stops by itself once
/// `alive` (held by the store's clones) is gone. It asks `catch_up` for a completing
/// checkpoint whenever the WAL holds `policy.restart_after` frames or more.
pub(crate) fn start(
    path: &Path,
    alive: &Arc<()>,
    catch_up: Arc<CatchUp>,
    policy: Policy,
) -> std::io::Result<()> {
    let path = path.to_path_buf();
    let alive: Weak<()> = Arc::downgrade(alive);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let conn = match Connection::open(&path) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "no WAL checkpointer; SQLite checkpoints in commits");
                    return;
                }
            };
            if let Err(e) = conn.busy_timeout(Duration::from_secs(1)) {
                tracing::warn!(error = %e, "WAL checkpointer: no busy timeout");
            }
            while alive.strong_count() > 0 {
                std::thread::sleep(policy.every);
                // With nothing new in the WAL a passive checkpoint is a no-op.
                match passive(&conn) {
                    Ok(pass) if pass.frames >= policy.restart_after => catch_up.ask(),
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "WAL checkpoint failed; retried next time"),
                }
            }
        })
        .map(|_| ())
}

#[cfg(test)]
#[path = "checkpoint_tests.rs"]
mod tests;
