//! `ConnectionStore` on the `connections` and `observers` tables.
//!
//! A room's audience is one query: the room's members joined to their connections, plus
//! the room's observers who are not members. Both halves start from the room's own rows
//! (`members` and `observers` primary keys), so the cost does not grow with other rooms.
//! Observer rows cascade away with their connection. Between changes the result is
//! served from memory (`audience_cache`), after one read of the change counter.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use chat_core::CoreError;
use chat_core::CoreResult;
use chat_core::ids::{ConnectionId, MemberId, RoomId, UserId};
use chat_core::model::{Connection, RoomConnection};
use chat_core::ports::ConnectionStore;

use super::audience_cache::current_version;
use super::codec::{from_name, get_id, get_parsed, get_time, get_u32, json, name, time};
use super::{SqliteStore, immediate};

const COLUMNS: &str = "c.connection_id, c.user_id, c.kind, c.token_version, c.connected_at";

fn read_connection(row: &Row<'_>) -> rusqlite::Result<Connection> {
    Ok(Connection {
        id: get_id(row, 0)?,
        user_id: get_id(row, 1)?,
        kind: get_parsed(row, 2, from_name)?,
        token_version: get_u32(row, 3)?,
        connected_at: get_time(row, 4)?,
    })
}

#[async_trait]
impl ConnectionStore for SqliteStore {
    async fn put_connection(&self, connection: &Connection) -> CoreResult<()> {
        let c = connection.clone();
        let kind = name(&c.kind)?;
        self.run("put connection", move |conn| {
            // An upsert, not INSERT OR REPLACE: REPLACE deletes the old row first, which
            // would fire the observers cascade behind the caller's back.
            conn.prepare_cached(
                "INSERT INTO connections (connection_id, user_id, kind, token_version, connected_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (connection_id) DO UPDATE SET \
                 user_id = excluded.user_id, kind = excluded.kind, \
                 token_version = excluded.token_version, connected_at = excluded.connected_at",
            )?
            .execute(params![
                c.id.as_str(),
                c.user_id.as_str(),
                kind,
                c.token_version,
                time(&c.connected_at),
            ])?;
            Ok(())
        })
        .await
    }

    async fn connection(&self, id: &ConnectionId) -> CoreResult<Option<Connection>> {
        let id = id.clone();
        self.run_point_read("read connection", move |conn| {
            let sql = format!("SELECT {COLUMNS} FROM connections c WHERE c.connection_id = ?1");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([id.as_str()], read_connection)
                .optional()?)
        })
        .await
    }

    async fn delete_connection(&self, id: &ConnectionId) -> CoreResult<Option<Connection>> {
        let id = id.clone();
        self.run("delete connection", move |conn| {
            let tx = immediate(conn)?;
            // Explicit rather than relying on the cascade alone: correct even on a file
            // opened by a tool without `foreign_keys=ON`.
            tx.prepare_cached("DELETE FROM observers WHERE connection_id = ?1")?
                .execute([id.as_str()])?;
            let sql = format!(
                "DELETE FROM connections WHERE connection_id = ?1 RETURNING {}",
                COLUMNS.replace("c.", "")
            );
            let removed = tx
                .prepare_cached(&sql)?
                .query_row([id.as_str()], read_connection)
                .optional()?;
            tx.commit()?;
            Ok(removed)
        })
        .await
    }

    async fn connections_of(&self, user: &UserId) -> CoreResult<Vec<Connection>> {
        let user = user.clone();
        self.run_read("list connections of user", move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM connections c WHERE c.user_id = ?1 ORDER BY c.connection_id"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let list = stmt
                .query_map([user.as_str()], read_connection)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(list)
        })
        .await
    }

    async fn room_connections(&self, room: &RoomId) -> CoreResult<Vec<RoomConnection>> {
        let room = room.clone();
        let cache = Arc::clone(&self.audiences);
        self.run_point_read("list room connections", move |conn| {
            // The counter first, then the rows: see `audience_cache` for why.
            let version = current_version(conn)?;
            if let Some(audience) = cache.get(&room, version) {
                return Ok(audience);
            }
            let sql = format!(
                "SELECT {COLUMNS}, 0 AS observer FROM members m \
                   JOIN connections c ON c.user_id = m.member_id \
                   WHERE m.room_id = ?1 \
                 UNION ALL \
                 SELECT {COLUMNS}, 1 AS observer FROM observers o \
                   JOIN connections c ON c.connection_id = o.connection_id \
                   WHERE o.room_id = ?1 AND NOT EXISTS \
                     (SELECT 1 FROM members m WHERE m.room_id = ?1 AND m.member_id = c.user_id) \
                 ORDER BY 1"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let list = stmt
                .query_map([room.as_str()], |row| {
                    Ok(RoomConnection {
                        connection: read_connection(row)?,
                        room_id: room.clone(),
                        observer: row.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            cache.put(&room, version, &list);
            Ok(list)
        })
        .await
    }

    async fn online_users(&self, users: &[MemberId]) -> CoreResult<HashSet<MemberId>> {
        if users.is_empty() {
            return Ok(HashSet::new());
        }
        // One parameter however many users: the ids travel as a JSON array.
        let ids = json(&users, "user ids")?;
        self.run_read("list online users", move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT c.user_id FROM connections c \
                 WHERE c.user_id IN (SELECT value FROM json_each(?1))",
            )?;
            let online = stmt
                .query_map([ids], |row| row.get::<_, String>(0))?
                .collect::<Result<HashSet<_>, _>>()?;
            Ok(online)
        })
        .await
    }

    async fn add_observer(&self, room: &RoomId, connection: &ConnectionId) -> CoreResult<()> {
        let room = room.clone();
        let connection = connection.clone();
        self.run("add observer", move |conn| {
            let tx = immediate(conn)?;
            let exists = tx
                .prepare_cached("SELECT 1 FROM connections WHERE connection_id = ?1")?
                .exists([connection.as_str()])?;
            if !exists {
                return Err(CoreError::not_found("no such connection").into());
            }
            tx.prepare_cached(
                "INSERT INTO observers (room_id, connection_id) VALUES (?1, ?2) \
                 ON CONFLICT (room_id, connection_id) DO NOTHING",
            )?
            .execute(params![room.as_str(), connection.as_str()])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
