//! `ConnectionStore` on the single table, and the room audiences fan-out reads.
//!
//! A connection is written as several copies, each under the partition that reads it:
//!
//! - the **connection** (`CONN#{id}` / `CONN`): `connection`, and what
//!   `delete_connection` returns;
//! - the **member's connection** (`MEMBER#{user}` / `CONN#{id}`): `connections_of`,
//!   `online_users`, and what `add_member` copies into a room;
//! - one **audience entry** per room that receives it (`ROOM#{room}` /
//!   `AUDIENCE#{id}`, or `AUDIENCE#{id}#OBSERVER` for a silent observer): so a room's
//!   fan-out is one `Query` on the room's own partition, whatever else exists;
//! - one **audience pointer** per such room (`CONN#{id}` / `AUDIENCE#{room}`), so
//!   `delete_connection` finds every copy with one `Query` on `CONN#{id}`.
//!
//! Every copy carries the whole connection (fan-out needs kind and token version
//! without reading users) and the TTL attribute `expires` = `connected_at` + 3 h: API
//! Gateway closes a WebSocket after 2 h, so TTL only sweeps up after a `$disconnect`
//! that never ran.
//!
//! Audience entries are derived copies, kept by whoever changes one side: a connect
//! copies itself into its user's rooms, a join copies the member's connections into the
//! room. Each side writes its own item first, then reads the other side strongly
//! consistently, then writes the copies, then re-reads its source and withdraws copies
//! it no longer justifies. Why that cannot lose or strand an entry:
//! `docs/dynamodb.md`, "Connections and fan-out".

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Select, WriteRequest};
use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;

use chat_core::ids::{ConnectionId, MemberId, RoomId, UserId};
use chat_core::model::{AccountKind, Connection, RoomConnection};
use chat_core::ports::ConnectionStore;
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{Item, bool as boolean, get_bool, get_id, get_n, get_s, get_time, key, n, s};
use super::keys::{self, EXPIRES, PK, SK};
use super::ops::{self, sdk_error};
use super::requests::{
    TxOutcome, check, delete_request, failed_condition, put, put_request, retry_or_give_up,
    transact,
};
use super::rooms::ROOM_ID;

const CONNECTION_ID: &str = "connection_id";
const USER_ID: &str = "user_id";
const KIND: &str = "kind";
const TOKEN_VERSION: &str = "token_version";
const CONNECTED_AT: &str = "connected_at";
const OBSERVER: &str = "observer";

/// How long after connecting TTL may delete a connection's copies. API Gateway closes
/// every WebSocket after 2 hours; an hour more covers clock skew and late disconnects.
const LIFETIME_HOURS: i64 = 3;

/// Epoch seconds after which TTL may delete a copy of a connection made at `at`.
fn expires(at: &DateTime<Utc>) -> i64 {
    (*at + Duration::hours(LIFETIME_HOURS)).timestamp()
}

/// A copy of `c` under `pk` / `sk`: every field, plus the TTL attribute.
fn connection_copy(pk: String, sk: String, c: &Connection) -> Item {
    let mut item = key(pk, sk);
    item.insert(CONNECTION_ID.into(), s(c.id.as_str()));
    item.insert(USER_ID.into(), s(c.user_id.as_str()));
    item.insert(KIND.into(), s(c.kind.as_str()));
    item.insert(TOKEN_VERSION.into(), n(c.token_version));
    item.insert(CONNECTED_AT.into(), s(keys::ts(&c.connected_at)));
    item.insert(EXPIRES.into(), n(expires(&c.connected_at)));
    item
}

fn read_connection(item: &Item) -> CoreResult<Connection> {
    let kind = get_s(item, KIND)?;
    Ok(Connection {
        id: get_id(item, CONNECTION_ID)?,
        user_id: get_id(item, USER_ID)?,
        kind: AccountKind::parse(kind).ok_or_else(|| {
            CoreError::Internal(format!("stored connection has a bad `{KIND}`: {kind}"))
        })?,
        token_version: get_n(item, TOKEN_VERSION)?,
        connected_at: get_time(item, CONNECTED_AT)?,
    })
}

fn audience_entry(room: &str, c: &Connection, observer: bool) -> Item {
    let sk = if observer {
        keys::audience_observer_sk(c.id.as_str())
    } else {
        keys::audience_sk(c.id.as_str())
    };
    let mut item = connection_copy(keys::room(room), sk, c);
    item.insert(OBSERVER.into(), boolean(observer));
    item
}

/// The pointer from a connection to a room whose audience holds it (as member,
/// observer or both): enough for `delete_connection` to name both entries.
fn audience_pointer(room: &str, c: &Connection) -> Item {
    let mut item = key(
        keys::connection(c.id.as_str()),
        keys::audience_pointer_sk(room),
    );
    item.insert(ROOM_ID.into(), s(room));
    item.insert(USER_ID.into(), s(c.user_id.as_str()));
    item.insert(EXPIRES.into(), n(expires(&c.connected_at)));
    item
}

fn member_entry_key(room: &str, conn: &str) -> Item {
    key(keys::room(room), keys::audience_sk(conn))
}

/// The member entries (and their pointers) that put `connections` in `rooms`' audiences.
fn member_entries(rooms: &[String], connections: &[Connection]) -> CoreResult<Vec<WriteRequest>> {
    let mut writes = Vec::with_capacity(rooms.len() * connections.len() * 2);
    for room in rooms {
        for c in connections {
            writes.push(put_request(audience_entry(room, c, false))?);
            writes.push(put_request(audience_pointer(room, c))?);
        }
    }
    Ok(writes)
}

impl DynamoStore {
    /// The rooms `user` is a member of (their room-of-member copies), strongly consistent.
    async fn member_room_ids(&self, user: &str) -> CoreResult<Vec<String>> {
        let copies =
            ops::query_all(self.prefix_query(&keys::member(user), keys::ROOM_PREFIX)).await?;
        copies
            .iter()
            .map(|c| get_s(c, ROOM_ID).map(str::to_string))
            .collect()
    }

    /// `member`'s open connections (their member-side copies), strongly consistent.
    async fn member_connections(&self, member: &str) -> CoreResult<Vec<Connection>> {
        let copies =
            ops::query_all(self.prefix_query(&keys::member(member), keys::CONNECTION_PREFIX))
                .await?;
        copies.iter().map(read_connection).collect()
    }

    async fn delete_member_entries(
        &self,
        room: &str,
        connections: &[Connection],
    ) -> CoreResult<()> {
        // Pointers stay: the connection may still observe the room, and a pointer to
        // an absent entry only costs `delete_connection` one wasted delete.
        let deletes = connections
            .iter()
            .map(|c| delete_request(member_entry_key(room, c.id.as_str())))
            .collect::<CoreResult<Vec<_>>>()?;
        ops::batch_write(&self.client, &self.table, deletes).await
    }

    /// After `member` joined `room`: their open connections join its audience.
    pub(super) async fn join_audience(&self, room: &RoomId, member: &str) -> CoreResult<()> {
        let connections = self.member_connections(member).await?;
        if connections.is_empty() {
            return Ok(());
        }
        let rooms = [room.as_str().to_string()];
        ops::batch_write(
            &self.client,
            &self.table,
            member_entries(&rooms, &connections)?,
        )
        .await?;
        // A removal that committed after our membership may have cleaned up before we
        // wrote: if the member is gone now, withdraw what we just wrote.
        if self.member_item(room, member).await?.is_none() {
            self.delete_member_entries(room.as_str(), &connections)
                .await?;
        }
        Ok(())
    }

    /// After `member` left `room`: their connections leave its audience.
    pub(super) async fn leave_audience(&self, room: &RoomId, member: &str) -> CoreResult<()> {
        let connections = self.member_connections(member).await?;
        if connections.is_empty() {
            return Ok(());
        }
        self.delete_member_entries(room.as_str(), &connections)
            .await
    }
}

#[async_trait]
impl ConnectionStore for DynamoStore {
    async fn put_connection(&self, connection: &Connection) -> CoreResult<()> {
        let c = connection;
        let user = c.user_id.as_str();
        // Our own side first, so a join committing from now on finds this connection.
        let own = vec![
            put_request(connection_copy(
                keys::connection(c.id.as_str()),
                keys::CONNECTION_SK.into(),
                c,
            ))?,
            put_request(connection_copy(
                keys::member(user),
                keys::member_connection_sk(c.id.as_str()),
                c,
            ))?,
        ];
        ops::batch_write(&self.client, &self.table, own).await?;
        // Then every room that committed the user before that.
        let rooms = self.member_room_ids(user).await?;
        if rooms.is_empty() {
            return Ok(());
        }
        let connections = std::slice::from_ref(c);
        ops::batch_write(
            &self.client,
            &self.table,
            member_entries(&rooms, connections)?,
        )
        .await?;
        // A removal that committed after our read may have cleaned up before we wrote:
        // withdraw entries for rooms the user has left meanwhile.
        let still: HashSet<String> = self.member_room_ids(user).await?.into_iter().collect();
        for room in rooms.iter().filter(|r| !still.contains(*r)) {
            self.delete_member_entries(room, connections).await?;
        }
        Ok(())
    }

    async fn connection(&self, id: &ConnectionId) -> CoreResult<Option<Connection>> {
        let key = key(keys::connection(id.as_str()), keys::CONNECTION_SK);
        ops::get_item(&self.client, &self.table, key)
            .await?
            .as_ref()
            .map(read_connection)
            .transpose()
    }

    async fn delete_connection(&self, id: &ConnectionId) -> CoreResult<Option<Connection>> {
        // The connection and its audience pointers share one partition: one query finds
        // every copy to delete.
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(keys::connection(id.as_str())))
            .consistent_read(true);
        let items = ops::query_all(query).await?;
        let mut removed = None;
        let mut users = HashSet::new();
        let mut entries = Vec::new();
        let mut own = Vec::new();
        for item in &items {
            let sk = get_s(item, SK)?;
            if sk == keys::CONNECTION_SK {
                let c = read_connection(item)?;
                users.insert(c.user_id.as_str().to_string());
                removed = Some(c);
            } else {
                let room = keys::room(get_s(item, ROOM_ID)?);
                users.insert(get_s(item, USER_ID)?.to_string());
                entries.push(key(room.clone(), keys::audience_sk(id.as_str())));
                entries.push(key(room, keys::audience_observer_sk(id.as_str())));
            }
            own.push(key(get_s(item, PK)?, sk));
        }
        if items.is_empty() {
            return Ok(None);
        }
        // Derived copies first, the pointers and the connection last: if this fails
        // half-way, a retry (or the next 410 Gone) still finds what is left.
        let member_copies = users
            .iter()
            .map(|u| key(keys::member(u), keys::member_connection_sk(id.as_str())));
        let deletes = entries
            .into_iter()
            .chain(member_copies)
            .chain(own)
            .map(delete_request)
            .collect::<CoreResult<Vec<_>>>()?;
        ops::batch_write(&self.client, &self.table, deletes).await?;
        Ok(removed)
    }

    async fn connections_of(&self, user: &UserId) -> CoreResult<Vec<Connection>> {
        // Sorted by sort key, i.e. by connection id.
        self.member_connections(user.as_str()).await
    }

    async fn room_connections(&self, room: &RoomId) -> CoreResult<Vec<RoomConnection>> {
        let items =
            ops::query_all(self.prefix_query(&keys::room(room.as_str()), keys::AUDIENCE_PREFIX))
                .await?;
        // A connection can hold both a member and an observer entry: it is listed once,
        // as a member.
        let mut by_id: BTreeMap<String, RoomConnection> = BTreeMap::new();
        for item in &items {
            let connection = read_connection(item)?;
            let observer = get_bool(item, OBSERVER)?;
            let entry = by_id
                .entry(connection.id.as_str().to_string())
                .or_insert_with(|| RoomConnection {
                    connection,
                    room_id: room.clone(),
                    observer,
                });
            entry.observer &= observer;
        }
        Ok(by_id.into_values().collect())
    }

    async fn online_users(&self, users: &[MemberId]) -> CoreResult<HashSet<MemberId>> {
        // One `Limit 1` count query per distinct user, all in flight at once: the cost is
        // one read per user, however many connections each has.
        let distinct: HashSet<&MemberId> = users.iter().collect();
        let checks = distinct.into_iter().map(|user| async move {
            let out = self
                .prefix_query(&keys::member(user), keys::CONNECTION_PREFIX)
                .limit(1)
                .select(Select::Count)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            Ok::<_, CoreError>((out.count() > 0).then(|| user.clone()))
        });
        let mut online = HashSet::new();
        for result in join_all(checks).await {
            online.extend(result?);
        }
        Ok(online)
    }

    async fn add_observer(&self, room: &RoomId, connection: &ConnectionId) -> CoreResult<()> {
        let c = self
            .connection(connection)
            .await?
            .ok_or_else(|| CoreError::not_found("no such connection"))?;
        let conn_key = key(keys::connection(c.id.as_str()), keys::CONNECTION_SK);
        let items = vec![
            put(&self.table, audience_entry(room.as_str(), &c, true), None)?,
            put(&self.table, audience_pointer(room.as_str(), &c), None)?,
            // A disconnect between our read and this write must not leave an entry
            // behind for a connection that no longer exists.
            check(&self.table, conn_key, "attribute_exists(#pk)")?,
        ];
        for attempt in 1.. {
            match transact(self, items.clone()).await? {
                TxOutcome::Committed => return Ok(()),
                TxOutcome::Cancelled { codes, .. } if failed_condition(&codes, 2) => {
                    return Err(CoreError::not_found("no such connection"));
                }
                TxOutcome::Cancelled { codes, .. } => {
                    retry_or_give_up("add_observer", &codes, attempt).await?
                }
            }
        }
        unreachable!("the retry loop returns")
    }
}
