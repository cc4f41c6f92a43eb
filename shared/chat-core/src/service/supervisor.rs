//! Supervisors: the floor view over HTTP (rooms with live counts, participants,
//! transcripts, issues, queues) and, live, silent observation and break-in.
//!
//! Observing is silent (no membership, no system message) but audited; breaking in
//! makes the supervisor a member of any room, `solo` ones included, with a system
//! message every member sees.

use std::collections::HashMap;

use serde_json::json;

use crate::error::{CoreError, CoreResult};
use crate::ids::{ConnectionId, IssueId, RoomId};
use crate::model::{
    Issue, IssueStatus, ParticipantKind, Room, RoomStatus, RoomView, Tier, UserRecord,
};
use crate::policy;
use crate::ports::PageQuery;
use crate::protocol::actions::{SupervisorBreakIn, SupervisorObserve};
use crate::protocol::http::{
    IssuesResponse, ParticipantsResponse, QueueLength, QueuesResponse, RoomSummary, RoomsResponse,
    TranscriptResponse,
};
use crate::protocol::replies::RoomReply;
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};

impl App {
    async fn existing_room(&self, room_id: &RoomId) -> CoreResult<Room> {
        self.deps
            .store
            .room(room_id)
            .await?
            .ok_or_else(|| CoreError::not_found("no such room"))
    }

    /// Issue tiers by id, read once per distinct issue.
    async fn issue_tiers(&self, rooms: &[Room]) -> CoreResult<HashMap<IssueId, Tier>> {
        let mut tiers = HashMap::new();
        for room in rooms {
            if !tiers.contains_key(&room.issue_id) {
                let tier = self
                    .deps
                    .store
                    .issue(&room.issue_id)
                    .await?
                    .map_or(Tier::T1, |i: Issue| i.tier);
                tiers.insert(room.issue_id.clone(), tier);
            }
        }
        Ok(tiers)
    }

    /// `GET /supervisor/rooms?status=`.
    pub async fn supervisor_rooms(
        &self,
        caller: &UserRecord,
        status: Option<RoomStatus>,
    ) -> CoreResult<RoomsResponse> {
        policy::may_supervise(&caller.identity)?;
        let rooms = self.deps.store.list_rooms(status).await?;
        let tiers = self.issue_tiers(&rooms).await?;
        let mut summaries = Vec::with_capacity(rooms.len());
        for room in &rooms {
            let view = self.room_view(room).await?;
            summaries.push(summary(
                room,
                &view,
                tiers.get(&room.issue_id).copied().unwrap_or(Tier::T1),
            ));
        }
        Ok(RoomsResponse { rooms: summaries })
    }

    /// `GET /supervisor/rooms/{roomId}/participants`.
    pub async fn supervisor_participants(
        &self,
        caller: &UserRecord,
        room_id: &RoomId,
    ) -> CoreResult<ParticipantsResponse> {
        policy::may_supervise(&caller.identity)?;
        let room = self.existing_room(room_id).await?;
        let view = self.room_view(&room).await?;
        Ok(ParticipantsResponse {
            participants: view.members,
        })
    }

    /// `GET /supervisor/rooms/{roomId}/messages?afterSeq=&limit=`: every visibility.
    pub async fn supervisor_transcript(
        &self,
        caller: &UserRecord,
        room_id: &RoomId,
        after_seq: Option<u64>,
        limit: Option<usize>,
    ) -> CoreResult<TranscriptResponse> {
        policy::may_supervise(&caller.identity)?;
        let room = self.existing_room(room_id).await?;
        let limit = limit.unwrap_or(self.config.limits.history_default);
        if limit == 0 || limit > self.config.limits.history_max {
            return Err(CoreError::bad_request(format!(
                "limit must be between 1 and {}",
                self.config.limits.history_max
            )));
        }
        let page = self
            .deps
            .store
            .messages_page(
                &room.id,
                &PageQuery {
                    after_seq: Some(after_seq.unwrap_or(0)),
                    before_seq: None,
                    limit,
                    include_employee_only: policy::may_see(
                        caller.identity.kind,
                        crate::model::Visibility::Employees,
                    ),
                },
            )
            .await?;
        Ok(TranscriptResponse {
            messages: page
                .messages
                .iter()
                .filter_map(|m| policy::message_for(caller.identity.kind, m))
                .collect(),
            has_more: page.has_more,
        })
    }

    /// `GET /supervisor/issues?tier=&status=`.
    pub async fn supervisor_issues(
        &self,
        caller: &UserRecord,
        tier: Option<Tier>,
        status: Option<IssueStatus>,
    ) -> CoreResult<IssuesResponse> {
        policy::may_supervise(&caller.identity)?;
        let issues = self.deps.store.list_issues(tier, status).await?;
        Ok(IssuesResponse { issues })
    }

    /// `GET /supervisor/queues`: per tier, open rooms waiting for an employee.
    pub async fn supervisor_queues(&self, caller: &UserRecord) -> CoreResult<QueuesResponse> {
        policy::may_supervise(&caller.identity)?;
        let waiting: Vec<Room> = self
            .deps
            .store
            .list_rooms(Some(RoomStatus::Open))
            .await?
            .into_iter()
            .filter(|r| r.waiting_since.is_some())
            .collect();
        let tiers = self.issue_tiers(&waiting).await?;
        let queues = [Tier::T1, Tier::T2, Tier::T3]
            .into_iter()
            .map(|tier| QueueLength {
                tier,
                waiting: waiting
                    .iter()
                    .filter(|r| tiers.get(&r.issue_id) == Some(&tier))
                    .count(),
            })
            .collect();
        Ok(QueuesResponse { queues })
    }

    /// `supervisor.observe`: this connection receives the room's events (all
    /// visibilities) without joining it.
    pub(crate) async fn supervisor_observe(
        &self,
        connection: &ConnectionId,
        actor: &UserRecord,
        room_id: &RoomId,
    ) -> CoreResult<RoomReply> {
        let room = self.existing_room(room_id).await?;
        self.deps.store.add_observer(&room.id, connection).await?;
        self.audit(
            actor.identity.user_id.as_str(),
            "supervisor.observe",
            Some(&room.id),
            Some(&room.issue_id),
            json!({ "connectionId": connection }),
        )
        .await?;
        Ok(RoomReply {
            room: self.room_view(&room).await?,
        })
    }

    /// `supervisor.breakIn`: joins any open room, restricted ones included.
    pub(crate) async fn supervisor_break_in(
        &self,
        actor: &UserRecord,
        room_id: &RoomId,
    ) -> CoreResult<RoomReply> {
        let room = self.existing_room(room_id).await?;
        policy::must_be_open(&room)?;
        let announcement = format!("{} (supervisor) joined", actor.profile.display_name);
        let room = self.add_employee_member(room, actor, announcement).await?;
        self.record_issue_event(&room, "breakIn", actor.identity.user_id.as_str(), None)
            .await?;
        self.audit(
            actor.identity.user_id.as_str(),
            "supervisor.break-in",
            Some(&room.id),
            Some(&room.issue_id),
            json!({}),
        )
        .await?;
        let view = self.broadcast_room_updated(&room).await?;
        Ok(RoomReply { room: view })
    }
}

fn summary(room: &Room, view: &RoomView, tier: Tier) -> RoomSummary {
    let count = |kind| view.members.iter().filter(|m| m.kind == kind).count();
    RoomSummary {
        id: room.id.clone(),
        kind: room.kind,
        title: room.title.clone(),
        issue_id: room.issue_id.clone(),
        tier,
        status: room.status,
        member_count: view.member_count,
        online_count: view.online_count,
        guest_count: count(ParticipantKind::Guest),
        employee_count: count(ParticipantKind::Employee),
        robot_count: count(ParticipantKind::Robot),
        created_at: room.created_at,
        last_message_at: room.last_message_at,
        waiting_since: room.waiting_since,
    }
}

impl UseCase for SupervisorObserve {
    type Reply = RoomReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomReply> {
        app.supervisor_observe(caller.connection, caller.user(), &self.0.room_id)
            .await
    }
}

impl UseCase for SupervisorBreakIn {
    type Reply = RoomReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomReply> {
        app.supervisor_break_in(caller.user(), &self.0.room_id)
            .await
    }
}
