//! Room use cases: create, list, get, join, leave, invite, remove.
//!
//! Membership changes post a system message (the transcript shows who came and went)
//! and a `room.updated` event to everyone in the room.

use tracing::info;

use crate::error::{CoreError, CoreResult};
use crate::ids::{IssueId, RoomId, UserId};
use crate::model::{
    Identity, Issue, IssueEvent, IssueStatus, Member, ParticipantKind, Room, RoomStatus, Tier,
    Title, UserRecord,
};
use crate::policy;
use crate::ports::{Addition, Removal};
use crate::protocol::actions::{
    RoomCreate, RoomGet, RoomInvite, RoomJoin, RoomLeave, RoomList, RoomRemove,
};
use crate::protocol::events::ServerEvent;
use crate::protocol::replies::{RoomIssueReply, RoomReply, RoomsReply};
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};

/// A user as a room member.
pub fn member_of(user: &UserRecord, at: chrono::DateTime<chrono::Utc>) -> Member {
    Member {
        id: user.identity.user_id.to_string(),
        kind: match user.identity.kind {
            crate::model::AccountKind::Employee => ParticipantKind::Employee,
            crate::model::AccountKind::Guest => ParticipantKind::Guest,
        },
        display_name: user.profile.display_name.clone(),
        tier: user.identity.tier,
        joined_at: at,
    }
}

impl App {
    /// The room if `actor` is a member; `not_found` otherwise (no existence leak).
    pub(crate) async fn member_room(&self, actor: &Identity, room_id: &RoomId) -> CoreResult<Room> {
        policy::within_guest_scope(actor, room_id)?;
        let is_member = self
            .deps
            .store
            .is_member(room_id, actor.user_id.as_str())
            .await?;
        policy::must_be_member(is_member)?;
        self.deps
            .store
            .room(room_id)
            .await?
            .ok_or_else(|| CoreError::not_found("no such room"))
    }

    pub(crate) async fn room_create(
        &self,
        actor: &UserRecord,
        req: RoomCreate,
    ) -> CoreResult<RoomIssueReply> {
        let id = &actor.identity;
        let title = Title::parse(req.title)?.into_inner();
        let now = self.deps.clock.now();
        let room_id = RoomId::parse(self.new_id("room"))?;
        let (issue, new_issue) = match (req.issue_id, req.issue) {
            (Some(_), Some(_)) => {
                return Err(CoreError::bad_request(
                    "give either issueId or issue, not both",
                ));
            }
            (Some(issue_id), None) => {
                let mut issue = self
                    .deps
                    .store
                    .issue(&issue_id)
                    .await?
                    .ok_or_else(|| CoreError::not_found("no such issue"))?;
                if issue.status == IssueStatus::Concluded {
                    return Err(CoreError::conflict("the issue is concluded"));
                }
                issue.room_ids.push(room_id.clone());
                issue.history.push(IssueEvent {
                    at: now,
                    event: "room-added".into(),
                    by: id.user_id.to_string(),
                    note: None,
                });
                (issue, false)
            }
            (None, new) => {
                let (issue_title, customer_name, form_id) = match new {
                    Some(n) => (
                        Title::parse(n.title)?.into_inner(),
                        n.customer_name.filter(|s| !s.trim().is_empty()),
                        n.form_id.filter(|s| !s.trim().is_empty()),
                    ),
                    None => (title.clone(), None, None),
                };
                let issue = Issue {
                    id: IssueId::parse(self.new_id("iss"))?,
                    title: issue_title,
                    customer_name,
                    form_id,
                    // An issue starts at the tier of the employee who opens it.
                    tier: id.tier.unwrap_or(Tier::T1),
                    status: IssueStatus::Open,
                    conclusion: None,
                    room_ids: vec![room_id.clone()],
                    history: vec![IssueEvent {
                        at: now,
                        event: "opened".into(),
                        by: id.user_id.to_string(),
                        note: None,
                    }],
                    created_at: now,
                    ratings: Vec::new(),
                };
                (issue, true)
            }
        };
        let room = Room {
            id: room_id,
            kind: req.kind,
            title,
            issue_id: issue.id.clone(),
            status: RoomStatus::Open,
            conclusion: None,
            created_by: id.user_id.clone(),
            created_at: now,
            last_seq: 0,
            last_message_at: None,
            waiting_since: None,
        };
        let creator = member_of(actor, now);
        if new_issue {
            self.deps
                .store
                .create_room(&room, &creator, Some(&issue))
                .await?;
        } else {
            // create_room appended the room to the issue; the history line is appended
            // on its own, so nothing written meanwhile is lost.
            self.deps.store.create_room(&room, &creator, None).await?;
            if let Some(added) = issue.history.last() {
                self.deps.store.append_issue_event(&issue.id, added).await?;
            }
        }
        info!(room_id = %room.id, issue_id = %issue.id, "room created");
        let view = self.room_view(&room).await?;
        Ok(RoomIssueReply { room: view, issue })
    }

    pub(crate) async fn room_list(&self, actor: &Identity) -> CoreResult<RoomsReply> {
        let rooms = self.deps.store.rooms_of(actor.user_id.as_str()).await?;
        let mut views = Vec::with_capacity(rooms.len());
        for room in &rooms {
            views.push(self.room_view(room).await?);
        }
        Ok(RoomsReply { rooms: views })
    }

    pub(crate) async fn room_get(
        &self,
        actor: &Identity,
        room_id: &RoomId,
    ) -> CoreResult<RoomReply> {
        let room = self.member_room(actor, room_id).await?;
        Ok(RoomReply {
            room: self.room_view(&room).await?,
        })
    }

    pub(crate) async fn room_join(
        &self,
        actor: &UserRecord,
        room_id: &RoomId,
    ) -> CoreResult<RoomReply> {
        let room = self
            .deps
            .store
            .room(room_id)
            .await?
            .ok_or_else(|| CoreError::not_found("no such room"))?;
        policy::may_join(&room)?;
        let room = self
            .add_employee_member(
                room,
                actor,
                format!("{} joined", actor.profile.display_name),
            )
            .await?;
        let view = self.broadcast_room_updated(&room).await?;
        Ok(RoomReply { room: view })
    }

    /// Adds an employee (join, invite, break-in), posts `announcement` when they are
    /// new, and ends any wait for an employee to take over. Returns the room as stored.
    pub(crate) async fn add_employee_member(
        &self,
        mut room: Room,
        employee: &UserRecord,
        announcement: String,
    ) -> CoreResult<Room> {
        let now = self.deps.clock.now();
        match self
            .deps
            .store
            .add_member(&room.id, &member_of(employee, now))
            .await?
        {
            Addition::Added => {
                self.post_system(&room, announcement).await?;
                self.record_issue_event(&room, "joined", employee.identity.user_id.as_str(), None)
                    .await?;
            }
            Addition::AlreadyMember => {}
            Addition::GuestWithoutEmployee => {
                return Err(CoreError::Internal(
                    "an employee was refused as a guest".into(),
                ));
            }
        }
        if room.waiting_since.is_some() {
            room.waiting_since = None;
            self.deps.store.update_room(&room).await?;
            self.drop_disabled_members(&room).await?;
        }
        Ok(room)
    }

    /// Removes disabled employees kept in a room only so its guest was not alone; once
    /// an active employee has arrived they no longer count (see `admin::hand_over`).
    async fn drop_disabled_members(&self, room: &Room) -> CoreResult<()> {
        for member in self.deps.store.members(&room.id).await? {
            if member.kind != ParticipantKind::Employee {
                continue;
            }
            let Ok(user_id) = UserId::parse(member.id.clone()) else {
                continue;
            };
            let disabled = self
                .deps
                .store
                .user_by_id(&user_id)
                .await?
                .is_none_or(|u| !u.identity.enabled);
            if disabled {
                self.deps.store.remove_member(&room.id, &member.id).await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn room_leave(
        &self,
        actor: &UserRecord,
        room_id: &RoomId,
    ) -> CoreResult<RoomReply> {
        let room = self.member_room(&actor.identity, room_id).await?;
        self.remove_guarded(&room, &actor.identity.user_id).await?;
        self.post_system(&room, format!("{} left", actor.profile.display_name))
            .await?;
        let view = self.broadcast_room_updated(&room).await?;
        if actor.identity.is_guest() && room.status == crate::model::RoomStatus::Open {
            // The guest left: the room concludes `guest-disengaged` (through the same
            // job as a guest who stays away, so it happens once).
            self.start_away_timer(&room.id, &actor.identity.user_id, std::time::Duration::ZERO)
                .await?;
        }
        Ok(RoomReply { room: view })
    }

    pub(crate) async fn room_invite(
        &self,
        actor: &UserRecord,
        room_id: &RoomId,
        target: &UserId,
    ) -> CoreResult<RoomReply> {
        let room = self.member_room(&actor.identity, room_id).await?;
        policy::must_be_open(&room)?;
        let invited = self
            .deps
            .store
            .user_by_id(target)
            .await?
            .ok_or_else(|| CoreError::not_found("no such user"))?;
        policy::may_be_invited(&invited.identity)?;
        let announcement = format!(
            "{} invited {}",
            actor.profile.display_name, invited.profile.display_name
        );
        let room = self
            .add_employee_member(room, &invited, announcement)
            .await?;
        let view = self.broadcast_room_updated(&room).await?;
        Ok(RoomReply { room: view })
    }

    pub(crate) async fn room_remove(
        &self,
        actor: &UserRecord,
        room_id: &RoomId,
        target: &UserId,
    ) -> CoreResult<RoomReply> {
        let room = self.member_room(&actor.identity, room_id).await?;
        let members = self.deps.store.members(room_id).await?;
        let removed = members
            .iter()
            .find(|m| m.id == target.as_str() && m.kind != ParticipantKind::Robot)
            .ok_or_else(|| CoreError::not_found("no such member"))?
            .clone();
        self.remove_guarded(&room, target).await?;
        self.post_system(
            &room,
            format!(
                "{} removed {}",
                actor.profile.display_name, removed.display_name
            ),
        )
        .await?;
        let view = self.broadcast_room_updated(&room).await?;
        // The removed member no longer receives room events; tell them directly.
        self.send_to_user(target, &ServerEvent::RoomUpdated { room: view.clone() })
            .await;
        Ok(RoomReply { room: view })
    }

    /// Removes a member under the guest-never-alone rule (checked atomically by the
    /// store).
    async fn remove_guarded(&self, room: &Room, member: &UserId) -> CoreResult<()> {
        match self
            .deps
            .store
            .remove_member(&room.id, member.as_str())
            .await?
        {
            Removal::Removed => Ok(()),
            Removal::NotAMember => Err(CoreError::not_found("no such member")),
            Removal::WouldLeaveGuestAlone => Err(CoreError::GuestAlone),
        }
    }
}

impl UseCase for RoomCreate {
    type Reply = RoomIssueReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomIssueReply> {
        app.room_create(caller.user(), self).await
    }
}

impl UseCase for RoomList {
    type Reply = RoomsReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomsReply> {
        app.room_list(caller.identity()).await
    }
}

impl UseCase for RoomGet {
    type Reply = RoomReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomReply> {
        app.room_get(caller.identity(), &self.0.room_id).await
    }
}

impl UseCase for RoomJoin {
    type Reply = RoomReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomReply> {
        app.room_join(caller.user(), &self.0.room_id).await
    }
}

impl UseCase for RoomLeave {
    type Reply = RoomReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomReply> {
        app.room_leave(caller.user(), &self.0.room_id).await
    }
}

impl UseCase for RoomInvite {
    type Reply = RoomReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomReply> {
        app.room_invite(caller.user(), &self.0.room_id, &self.0.user_id)
            .await
    }
}

impl UseCase for RoomRemove {
    type Reply = RoomReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomReply> {
        app.room_remove(caller.user(), &self.0.room_id, &self.0.user_id)
            .await
    }
}
