//! Issues: escalation, assignment and tier queues, conclusions (DESIGN §3 "Escalation
//! and conclusion").
//!
//! - `issue.conclude` ends a room with exactly one conclusion (a conditional update, so
//!   two employees concluding at once cannot both win); the issue concludes with its
//!   last open room. A concluded room is read-only.
//! - `issue.escalate` moves the issue one tier up, in the same room or in a new one that
//!   takes the guest and the escalating employee along (the old room concludes
//!   `escalated`, and the guest's access moves with the issue).
//! - Assignment: an online employee of the target tier with the fewest open issues,
//!   under the tier's cap. Nobody available: the room waits in the tier's queue (the
//!   guest is told) and is claimed, first come first served, when a suitable employee
//!   connects or concludes a room. Claims are conditional updates: one winner.

use serde_json::json;
use tracing::{info, warn};

use crate::error::{CoreError, CoreResult};
use crate::ids::{MemberId, RoomId, UserId};
use crate::model::{
    AccountKind, Conclusion, Issue, IssueEvent, IssueStatus, MessageText, ParticipantKind, Room,
    RoomStatus, Tier, UserRecord, Visibility,
};
use crate::policy;
use crate::protocol::actions::{IssueConclude, IssueEscalate};
use crate::protocol::events::ServerEvent;
use crate::protocol::replies::RoomIssueReply;
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};
use crate::service::fanout::Audience;
use crate::service::rooms::member_of;

/// Longest escalation or conclusion note, in bytes.
pub const NOTE_MAX_BYTES: usize = 2000;

/// Open issues one employee may hold at once, per tier (DESIGN §3 defaults 8, 5, 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssueCaps {
    pub t1: u32,
    pub t2: u32,
    pub t3: u32,
}

impl Default for IssueCaps {
    fn default() -> Self {
        IssueCaps {
            t1: 8,
            t2: 5,
            t3: 3,
        }
    }
}

impl IssueCaps {
    pub fn of(&self, tier: Tier) -> u32 {
        match tier {
            Tier::T1 => self.t1,
            Tier::T2 => self.t2,
            Tier::T3 => self.t3,
        }
    }
}

fn note(raw: Option<String>) -> CoreResult<Option<String>> {
    raw.filter(|n| !n.trim().is_empty())
        .map(|n| MessageText::parse_with_limit(n, NOTE_MAX_BYTES).map(MessageText::into_inner))
        .transpose()
}

impl App {
    pub(crate) async fn issue_conclude(
        &self,
        actor: &UserRecord,
        req: IssueConclude,
    ) -> CoreResult<RoomIssueReply> {
        let id = &actor.identity;
        let room = self.member_room(id, &req.room_id).await?;
        let note = note(req.note)?;
        let (room, issue) = self
            .conclude_room(room, req.conclusion, id.user_id.as_str(), note.clone())
            .await?;
        self.audit(
            id.user_id.as_str(),
            "issue.conclude",
            Some(&room.id),
            Some(&issue.id),
            json!({ "conclusion": req.conclusion, "note": note }),
        )
        .await?;
        // A slot may have come free.
        self.assign_waiting_to(actor).await;
        let view = self.room_view(&room).await?;
        Ok(RoomIssueReply { room: view, issue })
    }

    /// Concludes `room` once (conditionally on it still being open), records it on the
    /// issue (which concludes with its last open room), tells the members.
    pub(crate) async fn conclude_room(
        &self,
        seen: Room,
        conclusion: Conclusion,
        by: &str,
        note: Option<String>,
    ) -> CoreResult<(Room, Issue)> {
        policy::must_be_open(&seen)?;
        let mut room = seen.clone();
        room.status = RoomStatus::Concluded;
        room.conclusion = Some(conclusion);
        room.waiting_since = None;
        if !self.deps.store.update_room_if(&room, &seen).await? {
            return Err(CoreError::conflict(
                "the room changed meanwhile (concluded or claimed); reload it",
            ));
        }
        let concluded = match &note {
            Some(n) => format!("{}: {n}", conclusion.as_str()),
            None => conclusion.as_str().to_string(),
        };
        self.record_issue_event(&room, "concluded", by, Some(concluded))
            .await?;
        let mut issue = self.issue_of(&room).await?;
        let mut all_concluded = true;
        for other in issue.room_ids.iter().filter(|r| **r != room.id) {
            let open = self
                .deps
                .store
                .room(other)
                .await?
                .is_some_and(|r| r.status == RoomStatus::Open);
            all_concluded &= !open;
        }
        if all_concluded {
            issue.status = IssueStatus::Concluded;
            issue.conclusion = Some(conclusion);
            self.deps.store.update_issue(&issue).await?;
        }
        let has_guest = self
            .deps
            .store
            .members(&room.id)
            .await?
            .iter()
            .any(|m| m.kind == ParticipantKind::Guest);
        let ask_rating = has_guest && conclusion != Conclusion::Escalated;
        let text = if ask_rating {
            format!(
                "This conversation has ended: {}. How did we do? Rate it from 1 to 5.",
                conclusion.as_str()
            )
        } else {
            format!("This conversation has ended: {}.", conclusion.as_str())
        };
        self.post_system(&room, text).await?;
        self.broadcast_room_updated(&room).await?;
        self.broadcast_issue(&room.id, &issue).await;
        info!(room_id = %room.id, conclusion = conclusion.as_str(), "room concluded");
        Ok((room, issue))
    }

    pub(crate) async fn issue_escalate(
        &self,
        actor: &UserRecord,
        req: IssueEscalate,
    ) -> CoreResult<RoomIssueReply> {
        let id = &actor.identity;
        let room = self.member_room(id, &req.room_id).await?;
        policy::must_be_open(&room)?;
        let note = note(req.note)?;
        let mut issue = self.issue_of(&room).await?;
        if issue.status == IssueStatus::Concluded {
            return Err(CoreError::conflict("the issue is concluded"));
        }
        let target = issue.tier.next().ok_or_else(|| {
            CoreError::conflict(
                "the issue is at T3, the highest tier; it cannot be escalated further",
            )
        })?;
        issue.tier = target;
        self.deps.store.update_issue(&issue).await?;
        let escalated = match &note {
            Some(n) => format!("to {}: {n}", target.as_str()),
            None => format!("to {}", target.as_str()),
        };
        self.record_issue_event(&room, "escalated", id.user_id.as_str(), Some(escalated))
            .await?;
        let members = self.deps.store.members(&room.id).await?;
        let present: Vec<MemberId> = members.iter().map(|m| m.id.clone()).collect();
        let assignee = self.pick_assignee(target, &present).await?;
        let destination = if req.new_room {
            // create_room adds the new room to the issue.
            self.open_escalation_room(&room, actor, &members).await?
        } else {
            room.clone()
        };
        let destination = self
            .assign_or_queue(destination, assignee.as_ref(), target)
            .await?;
        if req.new_room {
            self.conclude_room(
                room.clone(),
                Conclusion::Escalated,
                id.user_id.as_str(),
                note.clone(),
            )
            .await?;
        }
        // Re-read: concluding the old room added to the history.
        let issue = self.issue_of(&destination).await?;
        self.broadcast_room_updated(&destination).await?;
        self.broadcast_issue(&destination.id, &issue).await;
        self.audit(
            id.user_id.as_str(),
            "issue.escalate",
            Some(&room.id),
            Some(&issue.id),
            json!({
                "to": target,
                "newRoom": req.new_room.then(|| destination.id.clone()),
                "assignee": assignee.as_ref().map(|a| a.identity.user_id.clone()),
                "note": note,
            }),
        )
        .await?;
        let view = self.room_view(&destination).await?;
        Ok(RoomIssueReply { room: view, issue })
    }

    /// The room an escalation continues in: same kind and title, the escalating
    /// employee first (so a guest is never alone), then the guests, whose access moves
    /// here; it opens pointing at the previous room's transcript.
    async fn open_escalation_room(
        &self,
        old: &Room,
        actor: &UserRecord,
        members: &[crate::model::Member],
    ) -> CoreResult<Room> {
        let now = self.deps.clock.now();
        let room = Room {
            id: RoomId::parse(self.new_id("room"))?,
            kind: old.kind,
            title: old.title.clone(),
            issue_id: old.issue_id.clone(),
            status: RoomStatus::Open,
            conclusion: None,
            created_by: actor.identity.user_id.clone(),
            created_at: now,
            last_seq: 0,
            last_message_at: None,
            waiting_since: None,
        };
        self.deps
            .store
            .create_room(&room, &member_of(actor, now), None)
            .await?;
        for guest in members.iter().filter(|m| m.kind == ParticipantKind::Guest) {
            self.move_guest(guest, &room).await?;
        }
        let text = format!(
            "This conversation continues from \"{}\" (escalated).",
            old.title
        );
        self.post_system(&room, text).await?;
        // Where to read the earlier conversation is for the staff: the path is a
        // supervisor route, which a guest could not open anyway.
        let note = format!(
            "Earlier conversation: /supervisor/rooms/{}/transcript",
            old.id
        );
        self.post_system_for(&room, note, Visibility::Employees)
            .await?;
        Ok(room)
    }

    /// Adds a guest to `room` and points their token's scope at it: the same session
    /// reaches the new room, and no other.
    async fn move_guest(&self, guest: &crate::model::Member, room: &Room) -> CoreResult<()> {
        let mut member = guest.clone();
        member.joined_at = self.deps.clock.now();
        self.deps.store.add_member(&room.id, &member).await?;
        let Ok(user_id) = UserId::parse(guest.id.clone()) else {
            return Ok(());
        };
        if let Some(mut user) = self.deps.store.user_by_id(&user_id).await? {
            user.identity.guest_room = Some(room.id.clone());
            self.deps
                .store
                .update_identity(&user.identity, user.password_hash.as_deref())
                .await?;
        }
        Ok(())
    }

    /// Invites `assignee` into `room`, or puts the room in `tier`'s queue and tells
    /// everyone in it (the guest included) that it waits.
    async fn assign_or_queue(
        &self,
        room: Room,
        assignee: Option<&UserRecord>,
        tier: Tier,
    ) -> CoreResult<Room> {
        match assignee {
            Some(employee) => {
                let text = format!(
                    "{} ({}) joined to help",
                    employee.profile.display_name,
                    tier.as_str()
                );
                let room = self.add_employee_member(room, employee, text).await?;
                self.record_assignment(&room, employee).await?;
                Ok(room)
            }
            None => {
                let mut waiting = room.clone();
                waiting.waiting_since = Some(self.deps.clock.now());
                self.deps.store.update_room(&waiting).await?;
                self.post_system(
                    &waiting,
                    format!(
                        "This conversation was escalated to {}. Every {} specialist is busy; you are in the queue and one will join you shortly.",
                        tier.as_str(),
                        tier.as_str()
                    ),
                )
                .await?;
                Ok(waiting)
            }
        }
    }

    /// Notes who was assigned, on a fresh read of the issue (the join itself was just
    /// recorded by `add_employee_member`; writing back an older copy would lose it).
    async fn record_assignment(&self, room: &Room, employee: &UserRecord) -> CoreResult<()> {
        self.record_issue_event(
            room,
            "assigned",
            "system",
            Some(employee.identity.user_id.to_string()),
        )
        .await
    }

    /// An online, enabled employee of `tier`, not already in the room, with the fewest
    /// open issues and under the tier's cap (ties: the username, for determinism).
    async fn pick_assignee(
        &self,
        tier: Tier,
        present: &[MemberId],
    ) -> CoreResult<Option<UserRecord>> {
        let candidates: Vec<UserRecord> = self
            .deps
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| {
                let i = &u.identity;
                i.kind == AccountKind::Employee
                    && i.enabled
                    && i.tier == Some(tier)
                    && !present.contains(&i.user_id.to_string())
            })
            .collect();
        let ids: Vec<MemberId> = candidates
            .iter()
            .map(|u| u.identity.user_id.to_string())
            .collect();
        let online = self.deps.store.online_users(&ids).await?;
        let cap = self.config.issue_caps.of(tier);
        let mut best: Option<(usize, UserRecord)> = None;
        for user in candidates
            .into_iter()
            .filter(|u| online.contains(u.identity.user_id.as_str()))
        {
            let load = self.open_issue_count(&user.identity.user_id).await?;
            if load >= cap as usize {
                continue;
            }
            let better = match &best {
                None => true,
                Some((l, b)) => (load, &user.identity.username) < (*l, &b.identity.username),
            };
            if better {
                best = Some((load, user));
            }
        }
        Ok(best.map(|(_, u)| u))
    }

    /// Distinct issues of the open rooms `user` is in.
    async fn open_issue_count(&self, user: &UserId) -> CoreResult<usize> {
        let rooms = self.deps.store.rooms_of(user.as_str()).await?;
        let mut issues: Vec<_> = rooms
            .iter()
            .filter(|r| r.status == RoomStatus::Open)
            .map(|r| r.issue_id.clone())
            .collect();
        issues.sort();
        issues.dedup();
        Ok(issues.len())
    }

    /// Gives `employee` the longest-waiting rooms of their tier while they are under
    /// its cap (called when they connect or conclude a room). Each room is claimed with
    /// a conditional update, so two employees arriving at once never both get it.
    /// Never fails the caller: a room not claimed now is claimed by the next arrival.
    pub(crate) async fn assign_waiting_to(&self, employee: &UserRecord) {
        if let Err(e) = self.try_assign_waiting(employee).await {
            warn!(user_id = %employee.identity.user_id, error = %e, "waiting rooms not assigned");
        }
    }

    async fn try_assign_waiting(&self, employee: &UserRecord) -> CoreResult<()> {
        let id = &employee.identity;
        let (AccountKind::Employee, Some(tier), true) = (id.kind, id.tier, id.enabled) else {
            return Ok(());
        };
        let mut waiting: Vec<Room> = self
            .deps
            .store
            .list_rooms(Some(RoomStatus::Open))
            .await?
            .into_iter()
            .filter(|r| r.waiting_since.is_some())
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        waiting.sort_by_key(|r| r.waiting_since);
        let cap = self.config.issue_caps.of(tier) as usize;
        for seen in waiting {
            if self.open_issue_count(&id.user_id).await? >= cap {
                break;
            }
            let issue = self.issue_of(&seen).await?;
            if issue.tier != tier
                || self
                    .deps
                    .store
                    .is_member(&seen.id, id.user_id.as_str())
                    .await?
            {
                continue;
            }
            let mut claimed = seen.clone();
            claimed.waiting_since = None;
            if !self.deps.store.update_room_if(&claimed, &seen).await? {
                continue; // someone else took it
            }
            let text = format!(
                "{} ({}) joined to help",
                employee.profile.display_name,
                tier.as_str()
            );
            let room = self.add_employee_member(claimed, employee, text).await?;
            self.record_assignment(&room, employee).await?;
            self.broadcast_room_updated(&room).await?;
            let issue = self.issue_of(&room).await?;
            self.broadcast_issue(&room.id, &issue).await;
            info!(room_id = %room.id, user_id = %id.user_id, "waiting room assigned");
        }
        Ok(())
    }

    /// Appends one line to the history of `room`'s issue (the room id leads the note).
    pub(crate) async fn record_issue_event(
        &self,
        room: &Room,
        event: &str,
        by: &str,
        note: Option<String>,
    ) -> CoreResult<()> {
        let line = IssueEvent {
            at: self.deps.clock.now(),
            event: event.to_string(),
            by: by.to_string(),
            note: Some(match note {
                Some(n) => format!("{} {n}", room.id),
                None => room.id.to_string(),
            }),
        };
        self.deps
            .store
            .append_issue_event(&room.issue_id, &line)
            .await
    }

    async fn issue_of(&self, room: &Room) -> CoreResult<Issue> {
        self.deps
            .store
            .issue(&room.issue_id)
            .await?
            .ok_or_else(|| CoreError::Internal(format!("room {} names a missing issue", room.id)))
    }

    async fn broadcast_issue(&self, room: &RoomId, issue: &Issue) {
        let event = ServerEvent::IssueUpdated {
            issue: issue.clone(),
        };
        self.broadcast(room, &event, Audience::Room).await;
    }
}

impl UseCase for IssueConclude {
    type Reply = RoomIssueReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomIssueReply> {
        app.issue_conclude(caller.user(), self).await
    }
}

impl UseCase for IssueEscalate {
    type Reply = RoomIssueReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomIssueReply> {
        app.issue_escalate(caller.user(), self).await
    }
}
