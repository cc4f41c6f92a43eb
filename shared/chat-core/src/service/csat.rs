//! Satisfaction (CSAT): a guest rates a concluded room once, within
//! [`RATING_WINDOW_MINUTES`] of its conclusion; supervisors read averages per tier and
//! per employee (`GET /supervisor/csat`) and every rating with its issue.

use std::collections::BTreeMap;

use crate::error::{CoreError, CoreResult};
use crate::ids::UserId;
use crate::model::{IssueEvent, ParticipantKind, Rating, RoomStatus, Tier, UserRecord};
use crate::policy;
use crate::protocol::actions::IssueRate;
use crate::protocol::http::{CsatAverage, CsatEmployee, CsatResponse, CsatTier};
use crate::protocol::replies::Empty;
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};

/// How long after a conclusion its guest may rate it.
pub const RATING_WINDOW_MINUTES: i64 = 15;
/// Longest rating comment, in bytes.
pub const COMMENT_MAX_BYTES: usize = 2000;

impl App {
    pub(crate) async fn issue_rate(&self, actor: &UserRecord, req: IssueRate) -> CoreResult<Empty> {
        let id = &actor.identity;
        let room = self.member_room(id, &req.room_id).await?;
        if room.status != RoomStatus::Concluded {
            return Err(CoreError::conflict(
                "a conversation is rated after it has ended",
            ));
        }
        if !(1..=5).contains(&req.rating) {
            return Err(CoreError::bad_request("rating must be 1 to 5"));
        }
        let comment = req
            .comment
            .filter(|c| !c.trim().is_empty())
            .map(|c| crate::model::MessageText::parse_with_limit(c, COMMENT_MAX_BYTES))
            .transpose()?
            .map(|c| c.into_inner());
        let mut issue = self
            .deps
            .store
            .issue(&room.issue_id)
            .await?
            .ok_or_else(|| CoreError::not_found("no such issue"))?;
        if issue.ratings.iter().any(|r| r.room_id == room.id) {
            return Err(CoreError::conflict(
                "this conversation has already been rated",
            ));
        }
        let now = self.deps.clock.now();
        let concluded_at = concluded_at(&issue.history, room.id.as_str())
            .ok_or_else(|| CoreError::conflict("a conversation is rated after it has ended"))?;
        if now - concluded_at > chrono::Duration::minutes(RATING_WINDOW_MINUTES) {
            return Err(CoreError::conflict(
                "the time to rate this conversation has passed",
            ));
        }
        let employees = self
            .deps
            .store
            .members(&room.id)
            .await?
            .into_iter()
            .filter(|m| m.kind == ParticipantKind::Employee)
            .filter_map(|m| UserId::parse(m.id).ok())
            .collect();
        issue.ratings.push(Rating {
            room_id: room.id.clone(),
            guest: id.user_id.clone(),
            rating: req.rating,
            comment,
            tier: issue.tier,
            employees,
            at: now,
        });
        self.deps.store.update_issue(&issue).await?;
        self.record_issue_event(
            &room,
            "rated",
            id.user_id.as_str(),
            Some(format!("{}/5", req.rating)),
        )
        .await?;
        Ok(Empty {})
    }

    /// `GET /supervisor/csat`: averages overall, per tier and per employee.
    pub async fn supervisor_csat(&self, caller: &UserRecord) -> CoreResult<CsatResponse> {
        policy::may_supervise(&caller.identity)?;
        let issues = self.deps.store.list_issues(None, None).await?;
        let mut overall = Tally::default();
        let mut by_tier: BTreeMap<Tier, Tally> = BTreeMap::new();
        let mut by_employee: BTreeMap<UserId, Tally> = BTreeMap::new();
        for rating in issues.iter().flat_map(|i| i.ratings.iter()) {
            overall.add(rating.rating);
            by_tier.entry(rating.tier).or_default().add(rating.rating);
            for employee in &rating.employees {
                by_employee
                    .entry(employee.clone())
                    .or_default()
                    .add(rating.rating);
            }
        }
        let names: BTreeMap<UserId, String> = self
            .deps
            .store
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.identity.user_id, u.profile.display_name))
            .collect();
        Ok(CsatResponse {
            overall: overall.average(),
            by_tier: by_tier
                .into_iter()
                .map(|(tier, t)| CsatTier {
                    tier,
                    average: t.average(),
                })
                .collect(),
            by_employee: by_employee
                .into_iter()
                .map(|(user_id, t)| CsatEmployee {
                    display_name: names.get(&user_id).cloned(),
                    user_id,
                    average: t.average(),
                })
                .collect(),
        })
    }
}

/// When `room` concluded, from the issue's history (`concluded` notes start with the
/// room id).
fn concluded_at(history: &[IssueEvent], room: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    history
        .iter()
        .rev()
        .find(|e| {
            e.event == "concluded"
                && e.note
                    .as_deref()
                    .is_some_and(|n| n.split(' ').next() == Some(room))
        })
        .map(|e| e.at)
}

#[derive(Default)]
struct Tally {
    count: u32,
    sum: u32,
}

impl Tally {
    fn add(&mut self, rating: u8) {
        self.count += 1;
        self.sum += u32::from(rating);
    }

    fn average(&self) -> CsatAverage {
        CsatAverage {
            count: self.count,
            average: (self.count > 0).then(|| f64::from(self.sum) / f64::from(self.count)),
        }
    }
}

impl UseCase for IssueRate {
    type Reply = Empty;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<Empty> {
        app.issue_rate(caller.user(), self).await
    }
}
