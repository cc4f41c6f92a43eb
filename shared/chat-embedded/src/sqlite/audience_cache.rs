//! Room audiences kept between messages.
//!
//! Every message is fanned out to its room's audience, and under load the audience
//! hardly ever changes: the same connections receive message after message. Reading it
//! from SQLite each time (a join of members, connections and observers, 120 rows in the
//! standard load scenario) was a fifth of the local gateway's CPU.
//!
//! Correctness rests on the `audience_version` counter (schema version 4), which
//! triggers move on every change to `members`, `connections` or `observers`, whoever
//! makes it (another process on the same file included). An entry is used only while
//! the counter still has the value it had *before* the entry's rows were read. Reading
//! the counter first means an entry can only be newer than its stamp, never older: a
//! change committed between the two reads leaves the entry stamped with the old value,
//! so the next read sees a different counter and reads the rows again.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use rusqlite::Connection;

use chat_core::ids::RoomId;
use chat_core::model::RoomConnection;

/// Most rooms remembered; past it, entries of older versions go first, then all.
const MAX_ROOMS: usize = 4096;

/// Audiences by room, each stamped with the `audience_version` it was read at.
#[derive(Default)]
pub(crate) struct AudienceCache {
    rooms: Mutex<HashMap<RoomId, Entry>>,
}

struct Entry {
    version: i64,
    audience: Vec<RoomConnection>,
}

impl AudienceCache {
    /// The room's audience if it was read at `version`.
    pub(crate) fn get(&self, room: &RoomId, version: i64) -> Option<Vec<RoomConnection>> {
        let rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        rooms
            .get(room)
            .filter(|entry| entry.version == version)
            .map(|entry| entry.audience.clone())
    }

    /// Remembers `audience`, read after the counter was seen at `version`.
    pub(crate) fn put(&self, room: &RoomId, version: i64, audience: &[RoomConnection]) {
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        if rooms.len() >= MAX_ROOMS && !rooms.contains_key(room) {
            rooms.retain(|_, entry| entry.version >= version);
            if rooms.len() >= MAX_ROOMS {
                rooms.clear();
            }
        }
        // A slower reader of an older version must not replace a newer entry.
        if rooms.get(room).is_some_and(|entry| entry.version > version) {
            return;
        }
        rooms.insert(
            room.clone(),
            Entry {
                version,
                audience: audience.to_vec(),
            },
        );
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rooms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The current `audience_version`.
pub(crate) fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT v FROM audience_version WHERE id = 1")?
        .query_row([], |row| row.get(0))
}

#[cfg(test)]
mod tests {
    use chat_core::model::{AccountKind, Connection as Socket};
    use chat_core::ports::ConnectionStore;
    use chrono::Utc;

    use super::*;
    use crate::sqlite::SqliteStore;

    fn entry(id: &str, room: &str) -> RoomConnection {
        RoomConnection {
            connection: Socket {
                id: chat_core::ids::ConnectionId::parse(id).unwrap(),
                user_id: chat_core::ids::UserId::parse("usr_alice").unwrap(),
                kind: AccountKind::Employee,
                token_version: 1,
                connected_at: Utc::now(),
            },
            room_id: RoomId::parse(room).unwrap(),
            observer: false,
        }
    }

    #[test]
    fn an_entry_is_served_only_at_its_own_version() {
        let cache = AudienceCache::default();
        let room = RoomId::parse("room_1").unwrap();
        assert_eq!(cache.get(&room, 3), None);
        cache.put(&room, 3, &[entry("conn_1", "room_1")]);
        assert_eq!(cache.get(&room, 3).map(|a| a.len()), Some(1));
        assert_eq!(cache.get(&room, 4), None, "a newer counter misses");
        assert_eq!(cache.get(&room, 2), None, "so does an older one");
    }

    #[test]
    fn a_slow_reader_of_an_older_version_does_not_replace_a_newer_entry() {
        let cache = AudienceCache::default();
        let room = RoomId::parse("room_1").unwrap();
        cache.put(&room, 5, &[entry("conn_new", "room_1")]);
        cache.put(&room, 4, &[]);
        assert_eq!(cache.get(&room, 5).map(|a| a.len()), Some(1));
        cache.put(&room, 6, &[]);
        assert_eq!(cache.get(&room, 6), Some(Vec::new()), "a newer one does");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = AudienceCache::default();
        for i in 0..MAX_ROOMS {
            cache.put(&RoomId::parse(format!("room_{i}")).unwrap(), 1, &[]);
        }
        assert_eq!(cache.len(), MAX_ROOMS);
        // A newer version drops every older entry to make room.
        cache.put(&RoomId::parse("room_new").unwrap(), 2, &[]);
        assert_eq!(cache.len(), 1);

        let cache = AudienceCache::default();
        for i in 0..MAX_ROOMS {
            cache.put(&RoomId::parse(format!("room_{i}")).unwrap(), 2, &[]);
        }
        // All at the same version: it starts over rather than grow.
        cache.put(&RoomId::parse("room_more").unwrap(), 2, &[]);
        assert_eq!(cache.len(), 1);
    }

    /// Every kind of write to the three tables an audience is made of moves the counter,
    /// whoever writes: here raw SQL on a connection of its own, as another process.
    #[test]
    fn every_write_to_an_audience_table_moves_the_counter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.db");
        drop(SqliteStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        let writes = [
            "INSERT INTO issues (issue_id, tier, status, created_at, body) VALUES ('iss_1', 't1', 'open', 'x', '{}')",
            "INSERT INTO rooms (room_id, kind, title, issue_id, status, created_by, created_at, last_seq) \
             VALUES ('room_1', 'group', 't', 'iss_1', 'open', 'usr_alice', 'x', 0)",
            "INSERT INTO members (room_id, member_id, kind, display_name, joined_at) VALUES ('room_1', 'usr_alice', 'employee', 'A', 'x')",
            "UPDATE members SET display_name = 'Alice'",
            "INSERT INTO connections (connection_id, user_id, kind, token_version, connected_at) VALUES ('conn_1', 'usr_alice', 'employee', 1, 'x')",
            "UPDATE connections SET token_version = 2",
            "INSERT INTO observers (room_id, connection_id) VALUES ('room_1', 'conn_1')",
            "UPDATE observers SET room_id = 'room_2'",
            "DELETE FROM observers",
            "DELETE FROM connections",
            "DELETE FROM members",
        ];
        let mut last = current_version(&conn).unwrap();
        for (i, sql) in writes.iter().enumerate() {
            conn.execute(sql, []).unwrap();
            let now = current_version(&conn).unwrap();
            // The first two rows are not audience tables.
            if i < 2 {
                assert_eq!(now, last, "{sql} is not an audience change");
            } else {
                assert!(now > last, "{sql} must move the counter");
            }
            last = now;
        }
    }

    /// The store's cached audience after a change made behind its back on the same file.
    #[tokio::test]
    async fn a_change_from_another_process_is_seen_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.db");
        let store = SqliteStore::open(&path).unwrap();
        let other = Connection::open(&path).unwrap();
        other
            .execute_batch(
                "INSERT INTO issues (issue_id, tier, status, created_at, body) VALUES ('iss_1', 't1', 'open', 'x', '{}');
                 INSERT INTO rooms (room_id, kind, title, issue_id, status, created_by, created_at, last_seq)
                   VALUES ('room_1', 'group', 't', 'iss_1', 'open', 'usr_alice', 'x', 0);
                 INSERT INTO members (room_id, member_id, kind, display_name, joined_at)
                   VALUES ('room_1', 'usr_alice', 'employee', 'A', '2026-01-01T00:00:00Z');",
            )
            .unwrap();
        let room = RoomId::parse("room_1").unwrap();
        assert!(store.room_connections(&room).await.unwrap().is_empty());
        other
            .execute(
                "INSERT INTO connections (connection_id, user_id, kind, token_version, connected_at) \
                 VALUES ('conn_1', 'usr_alice', 'employee', 1, '2026-01-01T00:00:00Z')",
                [],
            )
            .unwrap();
        let audience = store.room_connections(&room).await.unwrap();
        assert_eq!(audience.len(), 1, "the new connection is in the audience");
        other.execute("DELETE FROM connections", []).unwrap();
        assert!(
            store.room_connections(&room).await.unwrap().is_empty(),
            "and gone again once deleted elsewhere"
        );
    }
}
