//! Writing and reading the audit log.
//!
//! Entries are written after the action succeeded and an audit failure fails the
//! action: a supervisor break-in that cannot be recorded must not look successful.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::error::{CoreError, CoreResult};
use crate::ids::{IssueId, RoomId, UserId};
use crate::model::{NewAuditEntry, UserRecord};
use crate::policy;
use crate::protocol::http::AuditResponse;
use crate::service::App;

/// Who did an administrative action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// The operator at the admin CLI (has the data folder, hence full control).
    Operator,
    User(&'a UserId),
}

impl Actor<'_> {
    pub fn audit_name(&self) -> String {
        match self {
            Actor::Operator => "operator".to_string(),
            Actor::User(id) => id.to_string(),
        }
    }
}

/// Most entries in one audit page.
pub const AUDIT_PAGE_MAX: usize = 500;

impl App {
    pub(crate) async fn audit(
        &self,
        actor: &str,
        action: &str,
        room: Option<&RoomId>,
        issue: Option<&IssueId>,
        detail: Value,
    ) -> CoreResult<()> {
        let entry = NewAuditEntry {
            at: self.deps.clock.now(),
            actor: actor.to_string(),
            action: action.to_string(),
            room_id: room.cloned(),
            issue_id: issue.cloned(),
            detail,
        };
        self.deps.store.append_audit(&entry).await?;
        Ok(())
    }

    /// `GET /supervisor/audit?since=&limit=`: `since` is either the `next` cursor of a
    /// previous page or an RFC 3339 time.
    pub async fn audit_log(
        &self,
        caller: &UserRecord,
        since: Option<&str>,
        limit: Option<usize>,
    ) -> CoreResult<AuditResponse> {
        policy::may_read_audit(&caller.identity)?;
        let limit = limit.unwrap_or(100);
        if limit == 0 || limit > AUDIT_PAGE_MAX {
            return Err(CoreError::bad_request(format!(
                "limit must be between 1 and {AUDIT_PAGE_MAX}"
            )));
        }
        let (after_seq, since_time) = match since.map(str::trim).filter(|s| !s.is_empty()) {
            None => (0, None),
            Some(raw) => match raw.parse::<u64>() {
                Ok(cursor) => (cursor, None),
                Err(_) => {
                    let at = DateTime::parse_from_rfc3339(raw)
                        .map_err(|_| {
                            CoreError::bad_request("since must be a cursor or an RFC 3339 time")
                        })?
                        .with_timezone(&Utc);
                    (0, Some(at))
                }
            },
        };
        let entries = self
            .deps
            .store
            .audit_page(after_seq, since_time, limit)
            .await?;
        let next = (entries.len() == limit)
            .then(|| entries.last().map(|e| e.seq.to_string()))
            .flatten();
        Ok(AuditResponse { entries, next })
    }
}
