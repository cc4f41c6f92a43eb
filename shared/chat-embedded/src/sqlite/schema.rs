//! The database schema and its migrations, versioned with `PRAGMA user_version`.
//!
//! Migrations are append-only: entry *n* (1-based) brings a version *n − 1* file to
//! version *n*, inside one transaction together with the version bump, so a crash leaves
//! the file at one version or the next. A file newer than this build is refused rather
//! than written to.
//!
//! Every query in the table modules has an index for its access path; each index below
//! names the queries it serves.

use rusqlite::Connection;

use crate::error::EmbeddedError;

/// Version 1 (issue 3): users, issues, rooms, members, messages, connections, observers, tickets,
/// and the durable job queue.
const V1: &str = r#"
CREATE TABLE users (
    user_id        TEXT PRIMARY KEY,
    username       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    tier           TEXT,
    roles          TEXT NOT NULL,      -- comma-separated Role::as_str, in order
    enabled        INTEGER NOT NULL,
    token_version  INTEGER NOT NULL,
    guest_room     TEXT,
    guest_issue    TEXT,
    display_name   TEXT NOT NULL,
    avatar_file_id TEXT,
    password_hash  TEXT,
    created_at     TEXT NOT NULL
) STRICT;
-- user_by_username, and uniqueness ignoring ASCII case (as the other adapters fold it).
CREATE UNIQUE INDEX users_username ON users (username COLLATE NOCASE);

CREATE TABLE issues (
    issue_id   TEXT PRIMARY KEY,
    tier       TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL           -- the whole Issue as JSON (room_ids, history)
) STRICT;
-- supervisor queries: issues by tier and status.
CREATE INDEX issues_tier_status ON issues (tier, status, created_at);

CREATE TABLE rooms (
    room_id         TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    issue_id        TEXT NOT NULL REFERENCES issues (issue_id),
    status          TEXT NOT NULL,
    conclusion      TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_seq        INTEGER NOT NULL,
    last_message_at TEXT
) STRICT;
-- list_rooms(None) and rooms_of: newest first.
CREATE INDEX rooms_newest ON rooms (created_at DESC, room_id DESC);
-- list_rooms(Some(status)).
CREATE INDEX rooms_status_newest ON rooms (status, created_at DESC, room_id DESC);
CREATE INDEX rooms_issue ON rooms (issue_id);

CREATE TABLE members (
    room_id      TEXT NOT NULL REFERENCES rooms (room_id),
    member_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    tier         TEXT,
    joined_at    TEXT NOT NULL,
    PRIMARY KEY (room_id, member_id)    -- members, is_member, add/remove, room_connections
) STRICT;
-- rooms_of.
CREATE INDEX members_by_member ON members (member_id, room_id);

CREATE TABLE messages (
    room_id       TEXT NOT NULL REFERENCES rooms (room_id),
    seq           INTEGER NOT NULL,
    message_id    TEXT NOT NULL,
    client_msg_id TEXT,
    author_id     TEXT NOT NULL,
    author_kind   TEXT NOT NULL,
    author_name   TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    delivery      TEXT NOT NULL,
    status        TEXT NOT NULL,
    visibility    TEXT NOT NULL,
    text          TEXT NOT NULL,
    data          TEXT,                 -- JSON
    reply_to      TEXT,
    shared_from   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (room_id, seq)          -- messages_page: a range scan in seq order
) STRICT, WITHOUT ROWID;
-- message, update_message.
CREATE UNIQUE INDEX messages_id ON messages (room_id, message_id);
-- idempotent sends: the dedup lookup in append_message, message_by_client_id.
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, author_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;

CREATE TABLE connections (
    connection_id TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    token_version INTEGER NOT NULL,
    connected_at  TEXT NOT NULL
) STRICT;
-- connections_of, online_users, and the members → connections join of room_connections.
CREATE INDEX connections_user ON connections (user_id, connection_id);

CREATE TABLE observers (
    room_id       TEXT NOT NULL,
    connection_id TEXT NOT NULL REFERENCES connections (connection_id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, connection_id) -- room_connections
) STRICT, WITHOUT ROWID;
-- the cascade from delete_connection.
CREATE INDEX observers_connection ON observers (connection_id);

CREATE TABLE tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT;
-- sweeping expired tickets.
CREATE INDEX tickets_expiry ON tickets (expires_at);

CREATE TABLE jobs (
    job_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    due_at   TEXT NOT NULL,
    body     TEXT NOT NULL,             -- the Job as JSON
    attempts INTEGER NOT NULL DEFAULT 0 -- deliveries so far (poison jobs are dropped)
) STRICT;
"#;

/// Version 2 (issue 5): rooms waiting for an employee, guest invitations, the audit log.
const V2: &str = r#"
-- Set while a guest's room has lost its last employee; NULL otherwise.
ALTER TABLE rooms ADD COLUMN waiting_since TEXT;

-- list_issues(None, Some(status)): the supervisor queues across tiers, newest first.
-- (Some(tier), _) uses issues_tier_status.
CREATE INDEX issues_status_newest ON issues (status, created_at DESC, issue_id DESC);

CREATE TABLE invites (
    code_hash    TEXT PRIMARY KEY,      -- take_invite; the code itself is never stored
    room_id      TEXT NOT NULL,
    issue_id     TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    display_name TEXT,
    expires_at   TEXT NOT NULL
) STRICT;
-- sweeping expired invites.
CREATE INDEX invites_expiry ON invites (expires_at);

CREATE TABLE audit (
    seq      INTEGER PRIMARY KEY,       -- audit_page(after_seq): a range scan in seq order
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    room_id  TEXT,
    issue_id TEXT,
    detail   TEXT NOT NULL              -- JSON
) STRICT;
-- audit_page(since) far back in a long log: find the first entry at or after `since`.
CREATE INDEX audit_at ON audit (at, seq);
"#;

/// Version 3 (issue 12): uploaded files' records.
const V3: &str = r#"
CREATE TABLE files (
    id     TEXT PRIMARY KEY,            -- file, insert_file, update_file_if
    status TEXT NOT NULL,               -- FileStatus wire name: update_file_if's condition
    record TEXT NOT NULL                -- the whole FileRecord as JSON
) STRICT;
"#;

/// Version 4 (issue 17): a counter of changes to any room's audience.
///
/// Every message is fanned out to its room's audience (members' connections plus
/// observers), a 120-row join under the standard load that was a fifth of the gateway's
/// CPU. The store now keeps audiences in memory (`audience_cache`) and needs to know
/// when one may have changed. Triggers keep the counter, so a write from any process on
/// this file (the admin CLI beside a running gateway) moves it too.
const V4: &str = r#"
CREATE TABLE audience_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    v  INTEGER NOT NULL
) STRICT;
INSERT INTO audience_version (id, v) VALUES (1, 0);
CREATE TRIGGER audience_members_insert AFTER INSERT ON members
    BEGIN UPDATE audience_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER audience_members_update AFTER UPDATE ON members
    BEGIN UPDATE audience_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER audience_members_delete AFTER DELETE ON members
    BEGIN UPDATE audience_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER audience_connections_insert AFTER INSERT ON connections
    BEGIN UPDATE audience_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER audience_connections_update AFTER UPDATE ON connections
    BEGIN UPDATE audience_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER audience_connections_delete AFTER DELETE ON connections
    BEGIN UPDATE audience_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER audience_observers_insert AFTER INSERT ON observers
    BEGIN UPDATE audience_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER audience_observers_update AFTER UPDATE ON observers
    BEGIN UPDATE audience_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER audience_observers_delete AFTER DELETE ON observers
    BEGIN UPDATE audience_version SET v = v + 1 WHERE id = 1; END;
"#;

/// Every migration, oldest first; the schema version is the number applied.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`SCHEMA_VERSION`].
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), EmbeddedError> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Brings the database to `target` (≤ [`SCHEMA_VERSION`]); tests use it to build files as
/// an older build left them.
fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), EmbeddedError> {
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| EmbeddedError::sqlite("read schema version", e))?;
    if found > SCHEMA_VERSION {
        return Err(EmbeddedError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let pending = MIGRATIONS
        .iter()
        .enumerate()
        .take(target.max(0) as usize)
        .skip(found.max(0) as usize);
    for (index, sql) in pending {
        let version = index as i64 + 1;
        let context = format!("migrate schema to version {version}");
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| EmbeddedError::sqlite(context.clone(), e))?;
        // Another process may have migrated while this one waited for the lock.
        let now: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| EmbeddedError::sqlite(context.clone(), e))?;
        if now >= version {
            continue;
        }
        tx.execute_batch(sql)
            .map_err(|e| EmbeddedError::sqlite(context.clone(), e))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(|e| EmbeddedError::sqlite(context.clone(), e))?;
        tx.commit().map_err(|e| EmbeddedError::sqlite(context, e))?;
        tracing::info!(version, "sqlite schema migrated");
    }
    Ok(())
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
