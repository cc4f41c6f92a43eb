//! WAL checkpoints off the commit path.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1,000
//! pages: that commit copies the WAL into the database file and fsyncs it while every
//! send queued behind it waits, a latency spike every few hundred messages under load.
//! A file-backed store turns that off on its writing connection and runs `PASSIVE`
//! checkpoints from a connection of its own on a background thread instead. A passive
//! checkpoint takes no writer lock, so commits go on meanwhile; durability does not
//! change (a commit is durable once its WAL frames are fsynced, checkpointed or not).

use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Duration;

use rusqlite::Connection;

/// How often the checkpointer copies the WAL back. Often, so each pass is small (a
/// few hundred pages at full load) and the WAL stays short for readers.
const EVERY: Duration = Duration::from_millis(250);

/// Starts the checkpointer for the database at `path`; it stops by itself once
/// `alive` (held by the store's clones) is gone.
pub(crate) fn start(path: &Path, alive: &Arc<()>) -> std::io::Result<()> {
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
                std::thread::sleep(EVERY);
                // With nothing new in the WAL a passive checkpoint is a no-op.
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = %e, "WAL checkpoint failed; retried next time");
                }
            }
        })
        .map(|_| ())
}
