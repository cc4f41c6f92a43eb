//! `MessageStore` on the `messages` table, keyed `(room_id, seq)`.
//!
//! `append_message` is a dedup lookup on the unique `(room_id, author_id,
//! client_msg_id)` index, then `UPDATE rooms SET last_seq = last_seq + 1 … RETURNING
//! last_seq`, then the insert, all inside a `BEGIN IMMEDIATE` transaction that it
//! shares with the other appends waiting at the time (group commit, one savepoint
//! each: `group_commit`). The write lock orders appends, so seqs are gapless and in
//! commit order: no reader can see seq N before every seq below it is committed.
//! `append_messages` does the same for each message of its batch in one savepoint.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use chat_core::ids::{ClientMsgId, MessageId, RoomId};
use chat_core::model::{Author, Message, NewMessage};
use chat_core::ports::{Appended, AppendedAll, MessageStore, Page, PageQuery, batch_room};
use chat_core::{CoreError, CoreResult};

use super::codec::{
    from_name, get_id, get_opt_id, get_opt_json, get_parsed, get_time, get_u64, int, json, name,
    time,
};
use super::{OpError, SqliteStore};

const COLUMNS: &str = "message_id, room_id, seq, client_msg_id, author_id, author_kind, author_name, \
     content_type, delivery, status, visibility, text, data, reply_to, shared_from, created_at, updated_at";

fn read_message(row: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        id: get_id(row, 0)?,
        room_id: get_id(row, 1)?,
        seq: get_u64(row, 2)?,
        client_msg_id: get_opt_id(row, 3)?,
        author: Author {
            id: row.get(4)?,
            kind: get_parsed(row, 5, from_name)?,
            display_name: row.get(6)?,
        },
        content_type: get_parsed(row, 7, from_name)?,
        delivery: get_parsed(row, 8, from_name)?,
        status: get_parsed(row, 9, from_name)?,
        visibility: get_parsed(row, 10, from_name)?,
        text: row.get(11)?,
        data: get_opt_json(row, 12)?,
        reply_to: get_opt_id(row, 13)?,
        shared_from: get_opt_id(row, 14)?,
        created_at: get_time(row, 15)?,
        updated_at: get_time(row, 16)?,
    })
}

/// The wire name of "visible to everyone", the only visibility guests page through.
fn everyone() -> CoreResult<String> {
    name(&chat_core::model::Visibility::Everyone)
}

/// A message's enum and JSON columns, encoded before entering the blocking closure.
struct Encoded {
    author_kind: String,
    content_type: String,
    delivery: String,
    status: String,
    visibility: String,
    data: Option<String>,
}

impl Encoded {
    fn new(m: &NewMessage) -> CoreResult<Self> {
        Ok(Encoded {
            author_kind: name(&m.author.kind)?,
            content_type: name(&m.content_type)?,
            delivery: name(&m.delivery)?,
            status: name(&m.status)?,
            visibility: name(&m.visibility)?,
            data: m
                .data
                .as_ref()
                .map(|d| json(d, "message data"))
                .transpose()?,
        })
    }
}

fn by_client_id(
    conn: &Connection,
    room: &str,
    author: &str,
    client_msg_id: &str,
) -> rusqlite::Result<Option<Message>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE room_id = ?1 AND author_id = ?2 AND client_msg_id = ?3"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![room, author, client_msg_id], read_message)
        .optional()
}

/// Numbers `m` as the room's next seq and inserts it, inside the caller's transaction.
fn insert_next(tx: &Connection, m: &NewMessage, enc: &Encoded) -> Result<Message, OpError> {
    let seq: Option<i64> = tx
        .prepare_cached(
            "UPDATE rooms SET last_seq = last_seq + 1, last_message_at = ?2 \
             WHERE room_id = ?1 RETURNING last_seq",
        )?
        .query_row(params![m.room_id.as_str(), time(&m.created_at)], |row| {
            row.get(0)
        })
        .optional()?;
    let Some(seq) = seq else {
        return Err(CoreError::not_found("no such room").into());
    };
    let seq = u64::try_from(seq).map_err(|_| CoreError::Internal(format!("negative seq {seq}")))?;
    let sql = format!(
        "INSERT INTO messages ({COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)"
    );
    tx.prepare_cached(&sql)?.execute(params![
        m.id.as_str(),
        m.room_id.as_str(),
        int(seq),
        m.client_msg_id.as_ref().map(|c| c.as_str()),
        m.author.id,
        enc.author_kind,
        m.author.display_name,
        enc.content_type,
        enc.delivery,
        enc.status,
        enc.visibility,
        m.text,
        enc.data,
        m.reply_to.as_ref().map(|r| r.as_str()),
        m.shared_from.as_ref().map(|s| s.as_str()),
        time(&m.created_at),
    ])?;
    Ok(m.clone().with_seq(seq))
}

/// Rows for one page query, `limit + 1` of them so the caller can tell `has_more`.
fn page_rows(
    conn: &Connection,
    room: &str,
    q: &PageQuery,
    everyone: &str,
) -> rusqlite::Result<Vec<Message>> {
    let after = int(q.after_seq.unwrap_or(0));
    let before = q.before_seq.map_or(i64::MAX, int);
    let fetch = int(u64::try_from(q.limit).unwrap_or(u64::MAX).saturating_add(1));
    // Only `before_seq` → the page just before it: walk backwards, reverse afterwards.
    let order = if q.before_seq.is_some() && q.after_seq.is_none() {
        "DESC"
    } else {
        "ASC"
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM messages \
         WHERE room_id = ?1 AND seq > ?2 AND seq < ?3 AND (?4 OR visibility = ?5) \
         ORDER BY seq {order} LIMIT ?6"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(
        params![
            room,
            after,
            before,
            q.include_employee_only,
            everyone,
            fetch
        ],
        read_message,
    )?
    .collect()
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn append_message(&self, message: &NewMessage) -> CoreResult<Appended> {
        let m = message.clone();
        let enc = Encoded::new(&m)?;
        self.write_grouped("append message", move |tx| {
            if let Some(cid) = &m.client_msg_id {
                if let Some(existing) =
                    by_client_id(tx, m.room_id.as_str(), &m.author.id, cid.as_str())?
                {
                    return Ok(Appended::Existing(existing));
                }
            }
            Ok(Appended::Created(insert_next(tx, &m, &enc)?))
        })
        .await
    }

    async fn append_messages(&self, messages: &[NewMessage]) -> CoreResult<AppendedAll> {
        batch_room(messages)?;
        let batch: Vec<(NewMessage, Encoded)> = messages
            .iter()
            .map(|m| Ok((m.clone(), Encoded::new(m)?)))
            .collect::<CoreResult<_>>()?;
        self.write_grouped("append messages", move |tx| {
            let (first, _) = &batch[0];
            if let Some(cid) = &first.client_msg_id {
                let room = first.room_id.as_str();
                if by_client_id(tx, room, &first.author.id, cid.as_str())?.is_some() {
                    let mut originals = Vec::with_capacity(batch.len());
                    for (m, _) in &batch {
                        let found = match &m.client_msg_id {
                            Some(cid) => by_client_id(tx, room, &m.author.id, cid.as_str())?,
                            None => None,
                        };
                        originals.push(found.ok_or_else(|| {
                            CoreError::Internal("a resent batch is incomplete".into())
                        })?);
                    }
                    return Ok(AppendedAll::Existing(originals));
                }
            }
            let mut committed = Vec::with_capacity(batch.len());
            for (m, enc) in &batch {
                committed.push(insert_next(tx, m, enc)?);
            }
            Ok(AppendedAll::Created(committed))
        })
        .await
    }

    async fn message(&self, room: &RoomId, id: &MessageId) -> CoreResult<Option<Message>> {
        let room = room.clone();
        let id = id.clone();
        self.run_read("read message", move |conn| {
            let sql =
                format!("SELECT {COLUMNS} FROM messages WHERE room_id = ?1 AND message_id = ?2");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row(params![room.as_str(), id.as_str()], read_message)
                .optional()?)
        })
        .await
    }

    async fn update_message(&self, message: &Message) -> CoreResult<()> {
        let m = message.clone();
        let status = name(&m.status)?;
        let data = m
            .data
            .as_ref()
            .map(|d| json(d, "message data"))
            .transpose()?;
        self.run("update message", move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE messages SET status = ?3, text = ?4, data = ?5, updated_at = ?6 \
                     WHERE room_id = ?1 AND message_id = ?2",
                )?
                .execute(params![
                    m.room_id.as_str(),
                    m.id.as_str(),
                    status,
                    m.text,
                    data,
                    time(&m.updated_at),
                ])?;
            if changed == 0 {
                return Err(CoreError::not_found("no such message").into());
            }
            Ok(())
        })
        .await
    }

    async fn messages_page(&self, room: &RoomId, query: &PageQuery) -> CoreResult<Page> {
        let room = room.clone();
        let q = query.clone();
        let everyone = everyone()?;
        self.run_read("read messages page", move |conn| {
            let mut messages = page_rows(conn, room.as_str(), &q, &everyone)?;
            let has_more = messages.len() > q.limit;
            messages.truncate(q.limit);
            if q.before_seq.is_some() && q.after_seq.is_none() {
                messages.reverse();
            }
            Ok(Page { messages, has_more })
        })
        .await
    }

    async fn message_by_client_id(
        &self,
        room: &RoomId,
        author: &str,
        client_msg_id: &ClientMsgId,
    ) -> CoreResult<Option<Message>> {
        let room = room.clone();
        let author = author.to_string();
        let cid = client_msg_id.clone();
        self.run_read("read message by clientMsgId", move |conn| {
            Ok(by_client_id(conn, room.as_str(), &author, cid.as_str())?)
        })
        .await
    }
}
