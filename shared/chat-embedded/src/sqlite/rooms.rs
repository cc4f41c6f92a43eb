//! `RoomStore` on the `rooms`, `members` and `issues` tables.
//!
//! Issues are stored whole as JSON (their room list and history only grow and are always
//! read together), with tier and status copied into columns for supervisor queries.
//! The guest-never-alone checks of `add_member` and `remove_member` run inside their
//! `BEGIN IMMEDIATE` transactions, using the core's own predicate so the rule is written
//! once: a guest joining and the last employee leaving at the same moment are ordered by
//! the write lock, and whichever comes second is refused.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use chat_core::CoreError;
use chat_core::CoreResult;
use chat_core::ids::{IssueId, RoomId};
use chat_core::model::{
    Conclusion, Issue, IssueEvent, IssueStatus, Member, ParticipantKind, Room, RoomKind,
    RoomStatus, Tier,
};
use chat_core::policy::guest_never_alone;
use chat_core::ports::{Addition, Removal, RoomStore};

use super::codec::{
    get_id, get_json, get_opt_parsed, get_opt_time, get_parsed, get_time, get_u64, int, json, name,
    opt_time, time,
};
use super::{OpError, SqliteStore, immediate};

pub(crate) const ROOM_COLUMNS: &str = "rooms.room_id, rooms.kind, rooms.title, rooms.issue_id, \
     rooms.status, rooms.conclusion, rooms.created_by, rooms.created_at, rooms.last_seq, \
     rooms.last_message_at, rooms.waiting_since";

pub(crate) fn read_room(row: &Row<'_>) -> rusqlite::Result<Room> {
    Ok(Room {
        id: get_id(row, 0)?,
        kind: get_parsed(row, 1, RoomKind::parse)?,
        title: row.get(2)?,
        issue_id: get_id(row, 3)?,
        status: get_parsed(row, 4, RoomStatus::parse)?,
        conclusion: get_opt_parsed(row, 5, Conclusion::parse)?,
        created_by: get_id(row, 6)?,
        created_at: get_time(row, 7)?,
        last_seq: get_u64(row, 8)?,
        last_message_at: get_opt_time(row, 9)?,
        waiting_since: get_opt_time(row, 10)?,
    })
}

const MEMBER_COLUMNS: &str = "member_id, kind, display_name, tier, joined_at";

pub(crate) fn read_member(row: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        id: row.get(0)?,
        kind: get_parsed(row, 1, ParticipantKind::parse)?,
        display_name: row.get(2)?,
        tier: get_opt_parsed(row, 3, Tier::parse)?,
        joined_at: get_time(row, 4)?,
    })
}

/// A room's members in the order they joined.
fn load_members(conn: &Connection, room: &str) -> rusqlite::Result<Vec<Member>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE room_id = ?1 ORDER BY rowid");
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map([room], read_member)?.collect()
}

fn insert_member(conn: &Connection, room: &str, m: &Member) -> rusqlite::Result<bool> {
    let added = conn
        .prepare_cached(
            "INSERT INTO members (room_id, member_id, kind, display_name, tier, joined_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (room_id, member_id) DO NOTHING",
        )?
        .execute(params![
            room,
            m.id,
            m.kind.as_str(),
            m.display_name,
            m.tier.map(Tier::as_str),
            time(&m.joined_at),
        ])?;
    Ok(added == 1)
}

fn room_exists(conn: &Connection, room: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM rooms WHERE room_id = ?1")?
        .exists([room])
}

fn load_issue(conn: &Connection, id: &str) -> rusqlite::Result<Option<Issue>> {
    conn.prepare_cached("SELECT body FROM issues WHERE issue_id = ?1")?
        .query_row([id], |row| get_json(row, 0))
        .optional()
}

/// An issue, encoded for [`write_issue`] before entering the blocking closure.
struct IssueRow {
    issue: Issue,
    status: String,
}

impl IssueRow {
    fn new(issue: &Issue) -> CoreResult<Self> {
        Ok(IssueRow {
            issue: issue.clone(),
            status: name(&issue.status)?,
        })
    }
}

fn write_issue(conn: &Connection, row: &IssueRow) -> Result<(), OpError> {
    let body = json(&row.issue, "issue")?;
    let issue = &row.issue;
    conn.prepare_cached(
        "INSERT INTO issues (issue_id, tier, status, created_at, body) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (issue_id) DO UPDATE SET tier = excluded.tier, status = excluded.status, \
         created_at = excluded.created_at, body = excluded.body",
    )?
    .execute(params![
        issue.id.as_str(),
        issue.tier.as_str(),
        row.status,
        time(&issue.created_at),
        body,
    ])?;
    Ok(())
}

#[async_trait]
impl RoomStore for SqliteStore {
    async fn create_room(
        &self,
        room: &Room,
        first_member: &Member,
        new_issue: Option<&Issue>,
    ) -> CoreResult<()> {
        let room = room.clone();
        let first = first_member.clone();
        let new_issue = new_issue.map(IssueRow::new).transpose()?;
        self.run("create room", move |conn| {
            let tx = immediate(conn)?;
            if room_exists(&tx, room.id.as_str())? {
                return Err(CoreError::conflict("room id is taken").into());
            }
            match new_issue {
                Some(issue) => write_issue(&tx, &issue)?,
                None => {
                    let Some(mut issue) = load_issue(&tx, room.issue_id.as_str())? else {
                        return Err(CoreError::not_found("no such issue").into());
                    };
                    if !issue.room_ids.contains(&room.id) {
                        issue.room_ids.push(room.id.clone());
                    }
                    write_issue(&tx, &IssueRow::new(&issue)?)?;
                }
            }
            tx.prepare_cached(
                "INSERT INTO rooms (room_id, kind, title, issue_id, status, conclusion, created_by, \
                 created_at, last_seq, last_message_at, waiting_since) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                room.id.as_str(),
                room.kind.as_str(),
                room.title,
                room.issue_id.as_str(),
                room.status.as_str(),
                room.conclusion.map(Conclusion::as_str),
                room.created_by.as_str(),
                time(&room.created_at),
                int(room.last_seq),
                opt_time(&room.last_message_at),
                opt_time(&room.waiting_since),
            ])?;
            insert_member(&tx, room.id.as_str(), &first)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn room(&self, id: &RoomId) -> CoreResult<Option<Room>> {
        let id = id.clone();
        self.run_point_read("read room", move |conn| {
            let sql = format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE room_id = ?1");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([id.as_str()], read_room)
                .optional()?)
        })
        .await
    }

    async fn update_room(&self, room: &Room) -> CoreResult<()> {
        let room = room.clone();
        self.run("update room", move |conn| {
            // last_seq / last_message_at belong to append_message: a stale `Room` written
            // back here must not rewind them.
            let changed = conn
                .prepare_cached(
                    "UPDATE rooms SET status = ?2, conclusion = ?3, title = ?4, waiting_since = ?5 \
                     WHERE room_id = ?1",
                )?
                .execute(params![
                    room.id.as_str(),
                    room.status.as_str(),
                    room.conclusion.map(Conclusion::as_str),
                    room.title,
                    opt_time(&room.waiting_since),
                ])?;
            if changed == 0 {
                return Err(CoreError::not_found("no such room").into());
            }
            Ok(())
        })
        .await
    }

    async fn update_room_if(&self, room: &Room, seen: &Room) -> CoreResult<bool> {
        let (room, seen) = (room.clone(), seen.clone());
        self.run("update room if unchanged", move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE rooms SET status = ?2, conclusion = ?3, title = ?4, waiting_since = ?5 \
                     WHERE room_id = ?1 AND status = ?6 AND waiting_since IS ?7",
                )?
                .execute(params![
                    room.id.as_str(),
                    room.status.as_str(),
                    room.conclusion.map(Conclusion::as_str),
                    room.title,
                    opt_time(&room.waiting_since),
                    seen.status.as_str(),
                    opt_time(&seen.waiting_since),
                ])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn rooms_of(&self, member: &str) -> CoreResult<Vec<Room>> {
        let member = member.to_string();
        self.run_read("list rooms of member", move |conn| {
            let sql = format!(
                "SELECT {ROOM_COLUMNS} FROM members JOIN rooms ON rooms.room_id = members.room_id \
                 WHERE members.member_id = ?1 ORDER BY rooms.created_at DESC, rooms.room_id DESC"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rooms = stmt
                .query_map([member], read_room)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rooms)
        })
        .await
    }

    async fn list_rooms(&self, status: Option<RoomStatus>) -> CoreResult<Vec<Room>> {
        self.run("list rooms", move |conn| {
            // Two statements rather than `?1 IS NULL OR status = ?1`, so each uses its index.
            let rooms = match status {
                Some(status) => {
                    let sql = format!(
                        "SELECT {ROOM_COLUMNS} FROM rooms WHERE status = ?1 \
                         ORDER BY created_at DESC, room_id DESC"
                    );
                    let mut stmt = conn.prepare_cached(&sql)?;
                    stmt.query_map([status.as_str()], read_room)?
                        .collect::<Result<Vec<_>, _>>()?
                }
                None => {
                    let sql = format!(
                        "SELECT {ROOM_COLUMNS} FROM rooms ORDER BY created_at DESC, room_id DESC"
                    );
                    let mut stmt = conn.prepare_cached(&sql)?;
                    stmt.query_map([], read_room)?
                        .collect::<Result<Vec<_>, _>>()?
                }
            };
            Ok(rooms)
        })
        .await
    }

    async fn members(&self, room: &RoomId) -> CoreResult<Vec<Member>> {
        let room = room.clone();
        self.run_read("list members", move |conn| {
            Ok(load_members(conn, room.as_str())?)
        })
        .await
    }

    async fn is_member(&self, room: &RoomId, member: &str) -> CoreResult<bool> {
        let room = room.clone();
        let member = member.to_string();
        self.run_point_read("check membership", move |conn| {
            Ok(conn
                .prepare_cached("SELECT 1 FROM members WHERE room_id = ?1 AND member_id = ?2")?
                .exists(params![room.as_str(), member])?)
        })
        .await
    }

    async fn add_member(&self, room: &RoomId, member: &Member) -> CoreResult<Addition> {
        let room = room.clone();
        let member = member.clone();
        self.run("add member", move |conn| {
            // Read, decide and insert under one write lock, like remove_member: a guest
            // cannot slip in just as the last employee leaves.
            let tx = immediate(conn)?;
            if !room_exists(&tx, room.as_str())? {
                return Err(CoreError::not_found("no such room").into());
            }
            let mut members = load_members(&tx, room.as_str())?;
            if members.iter().any(|m| m.id == member.id) {
                return Ok(Addition::AlreadyMember);
            }
            members.push(member.clone());
            if member.kind == ParticipantKind::Guest && !guest_never_alone(&members) {
                return Ok(Addition::GuestWithoutEmployee);
            }
            insert_member(&tx, room.as_str(), &member)?;
            tx.commit()?;
            Ok(Addition::Added)
        })
        .await
    }

    async fn remove_member(&self, room: &RoomId, member: &str) -> CoreResult<Removal> {
        let room = room.clone();
        let member = member.to_string();
        self.run("remove member", move |conn| {
            // Read, decide and delete under one write lock: two employees leaving at once
            // see each other's removal, so exactly one of them stays with the guest.
            let tx = immediate(conn)?;
            let mut members = load_members(&tx, room.as_str())?;
            let Some(pos) = members.iter().position(|m| m.id == member) else {
                return Ok(Removal::NotAMember);
            };
            members.remove(pos);
            if !guest_never_alone(&members) {
                return Ok(Removal::WouldLeaveGuestAlone);
            }
            tx.prepare_cached("DELETE FROM members WHERE room_id = ?1 AND member_id = ?2")?
                .execute(params![room.as_str(), member])?;
            tx.commit()?;
            Ok(Removal::Removed)
        })
        .await
    }

    async fn issue(&self, id: &IssueId) -> CoreResult<Option<Issue>> {
        let id = id.clone();
        self.run("read issue", move |conn| Ok(load_issue(conn, id.as_str())?))
            .await
    }

    async fn save_issue(&self, issue: &Issue) -> CoreResult<()> {
        let row = IssueRow::new(issue)?;
        self.run("save issue", move |conn| write_issue(conn, &row))
            .await
    }

    async fn update_issue(&self, issue: &Issue) -> CoreResult<()> {
        let changed = issue.clone();
        self.run("update issue", move |conn| {
            let tx = immediate(conn)?;
            let mut stored = load_issue(&tx, changed.id.as_str())?
                .ok_or_else(|| CoreError::not_found("no such issue"))?;
            stored.tier = changed.tier;
            stored.status = changed.status;
            stored.conclusion = changed.conclusion;
            stored.ratings = changed.ratings;
            write_issue(&tx, &IssueRow::new(&stored)?)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn append_issue_event(&self, issue: &IssueId, event: &IssueEvent) -> CoreResult<()> {
        let (id, event) = (issue.clone(), event.clone());
        self.run("append issue event", move |conn| {
            let tx = immediate(conn)?;
            let mut stored = load_issue(&tx, id.as_str())?
                .ok_or_else(|| CoreError::not_found("no such issue"))?;
            stored.history.push(event);
            write_issue(&tx, &IssueRow::new(&stored)?)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn list_issues(
        &self,
        tier: Option<Tier>,
        status: Option<IssueStatus>,
    ) -> CoreResult<Vec<Issue>> {
        let status = status.as_ref().map(name).transpose()?;
        self.run("list issues", move |conn| {
            // Only the filters given, so each combination can use its index
            // (issues_tier_status, issues_status_newest).
            let mut clauses = Vec::new();
            let mut args: Vec<&str> = Vec::new();
            if let Some(tier) = tier {
                args.push(tier.as_str());
                clauses.push(format!("tier = ?{}", args.len()));
            }
            if let Some(status) = status.as_deref() {
                args.push(status);
                clauses.push(format!("status = ?{}", args.len()));
            }
            let filter = if clauses.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", clauses.join(" AND "))
            };
            let sql =
                format!("SELECT body FROM issues {filter} ORDER BY created_at DESC, issue_id DESC");
            let mut stmt = conn.prepare_cached(&sql)?;
            let issues = stmt
                .query_map(rusqlite::params_from_iter(args), |row| get_json(row, 0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(issues)
        })
        .await
    }
}
