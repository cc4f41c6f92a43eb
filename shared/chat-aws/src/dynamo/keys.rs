//! The single table's key layout: every item's `pk`/`sk` (and `gsi1pk`/`gsi1sk` where
//! it is listed) is built here and nowhere else. `docs/dynamodb.md` is the reader's
//! version of this file, with the access patterns and their cost.
//!
//! | item | pk | sk | gsi1pk / gsi1sk |
//! |---|---|---|---|
//! | user | `USER#{id}` | `USER` | `USERS` / `{username lower}` |
//! | username claim | `USERNAME#{lower}` | `USERNAME` | |
//! | room (+ `last_seq`, member counts) | `ROOM#{id}` | `ROOM` | `ROOMS#{status}` / `{created}#{id}` |
//! | member of room | `ROOM#{id}` | `MEMBER#{member}` | |
//! | room of member | `MEMBER#{member}` | `ROOM#{created}#{room}` | |
//! | audience entry (a connection that receives the room) | `ROOM#{id}` | `AUDIENCE#{conn}` | |
//! | observer's audience entry | `ROOM#{id}` | `AUDIENCE#{conn}#OBSERVER` | |
//! | message | `ROOM#{id}` | `MSG#{seq:020}` | |
//! | message id → seq | `ROOM#{id}` | `MSGID#{message id}` | |
//! | client message id → seq | `ROOM#{id}` | `CMID#{author}#{client msg id}` | |
//! | issue | `ISSUE#{id}` | `ISSUE` | `ISSUES` / `{created}#{id}` |
//! | connection | `CONN#{id}` | `CONN` | |
//! | connection's audience pointer | `CONN#{id}` | `AUDIENCE#{room}` | |
//! | connection of member | `MEMBER#{user}` | `CONN#{conn}` | |
//! | ticket | `TICKET#{sha256}` | `TICKET` | |
//! | invite | `INVITE#{sha256}` | `INVITE` | |
//! | audit head (`last_seq`) | `AUDIT` | `HEAD` | |
//! | audit entry | `AUDIT` | `ENTRY#{seq:020}` | |
//! | file | `FILE#{id}` | `FILE` | |
//!
//! Why the copies: everything a hot path reads is in the *base table* under one
//! partition key, so it is one strongly consistent `Query` — a room's audience for
//! fan-out, a member's rooms and connections. The global index is eventually
//! consistent and only serves listings (users, rooms by status, issues) where a
//! moment's lag is harmless.
//!
//! Timestamps in sort keys are RFC 3339 UTC with nine fraction digits, so they sort as
//! strings in time order.

use chrono::{DateTime, SecondsFormat, Utc};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
/// Epoch seconds after which DynamoDB's TTL may delete the item.
pub const EXPIRES: &str = "expires";

/// A sortable timestamp: `2026-11-24T19:34:32.123456789Z`.
pub fn ts(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A zero-padded sequence number, so numeric order is string order.
pub fn seq(n: u64) -> String {
    format!("{n:020}")
}

pub fn user(id: &str) -> String {
    format!("USER#{id}")
}
pub const USER_SK: &str = "USER";
pub const USERS_GSI: &str = "USERS";
pub fn username(lower: &str) -> String {
    format!("USERNAME#{lower}")
}
pub const USERNAME_SK: &str = "USERNAME";

pub fn room(id: &str) -> String {
    format!("ROOM#{id}")
}
pub const ROOM_SK: &str = "ROOM";
pub fn rooms_by_status(status: &str) -> String {
    format!("ROOMS#{status}")
}
pub fn created_then_id(created: &DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", ts(created))
}
pub fn member_sk(member: &str) -> String {
    format!("MEMBER#{member}")
}
pub const MEMBER_PREFIX: &str = "MEMBER#";
pub fn member(member: &str) -> String {
    format!("MEMBER#{member}")
}
pub fn room_of_member_sk(room_created: &DateTime<Utc>, room: &str) -> String {
    format!("ROOM#{}#{room}", ts(room_created))
}
pub const ROOM_PREFIX: &str = "ROOM#";
pub fn audience_sk(conn: &str) -> String {
    format!("AUDIENCE#{conn}")
}
pub fn audience_pointer_sk(room: &str) -> String {
    format!("AUDIENCE#{room}")
}
pub const AUDIENCE_PREFIX: &str = "AUDIENCE#";
pub fn message_sk(n: u64) -> String {
    format!("MSG#{}", seq(n))
}
pub const MESSAGE_PREFIX: &str = "MSG#";
pub fn message_id_sk(id: &str) -> String {
    format!("MSGID#{id}")
}
pub fn client_msg_sk(author: &str, client_msg_id: &str) -> String {
    format!("CMID#{author}#{client_msg_id}")
}

pub fn issue(id: &str) -> String {
    format!("ISSUE#{id}")
}
pub const ISSUE_SK: &str = "ISSUE";
pub const ISSUES_GSI: &str = "ISSUES";

pub fn connection(id: &str) -> String {
    format!("CONN#{id}")
}
pub const CONNECTION_SK: &str = "CONN";
pub fn member_connection_sk(conn: &str) -> String {
    format!("CONN#{conn}")
}
pub const CONNECTION_PREFIX: &str = "CONN#";

pub fn ticket(hash: &str) -> String {
    format!("TICKET#{hash}")
}
pub const TICKET_SK: &str = "TICKET";
pub fn invite(hash: &str) -> String {
    format!("INVITE#{hash}")
}
pub const INVITE_SK: &str = "INVITE";

pub const AUDIT_PK: &str = "AUDIT";
pub const AUDIT_HEAD_SK: &str = "HEAD";
pub fn audit_entry_sk(n: u64) -> String {
    format!("ENTRY#{}", seq(n))
}
pub const AUDIT_ENTRY_PREFIX: &str = "ENTRY#";

pub fn file(id: &str) -> String {
    format!("FILE#{id}")
}
pub const FILE_SK: &str = "FILE";

/// A silent observer's audience entry. It sits beside the member entry
/// ([`audience_sk`]) rather than replacing it, so a supervisor who observes a room and
/// also joins it keeps observing after leaving — and `AUDIENCE#` still lists both.
pub fn audience_observer_sk(conn: &str) -> String {
    format!("AUDIENCE#{conn}#OBSERVER")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_and_sequences_sort_as_strings() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + chrono::Duration::nanoseconds(1);
        let c = a + chrono::Duration::days(400);
        assert!(ts(&a) < ts(&b) && ts(&b) < ts(&c));
        assert_eq!(ts(&a), "2026-01-02T03:04:05.000000000Z");
        assert!(seq(9) < seq(10) && seq(99) < seq(100));
        assert!(message_sk(9) < message_sk(10));
    }
}
