//! Guest disengaged: a guest who leaves, or stays disconnected past
//! `Config::guest_away`, has their room concluded `guest-disengaged` by a delayed job,
//! unless they came back in time.
//!
//! Presence is recorded in the issue's history (`guest-away` when the guest's last
//! socket closes, `guest-back` when one opens again), which also shows supervisors what
//! happened. The job, enqueued at each departure with the timeout as its delay, acts
//! only if the guest's latest presence event is still that departure and the guest is
//! still offline: a guest who came back, or left again later (whose own job is still
//! ahead), is left alone. The job is idempotent: a room already concluded stays as it
//! is. Timers are the queue's: durable locally, SQS delays on AWS, so both survive a
//! restart.

use tracing::{debug, info};

use crate::error::CoreResult;
use crate::ids::{RoomId, UserId};
use crate::model::{Conclusion, IssueEvent, ParticipantKind, RoomStatus, UserRecord};
use crate::ports::Job;
use crate::service::App;
use crate::service::jobs::JobOutcome;

const AWAY: &str = "guest-away";
const BACK: &str = "guest-back";

impl App {
    /// The guest's last socket closed: note it and start the timer.
    pub(crate) async fn guest_went_away(&self, guest: &UserRecord) -> CoreResult<()> {
        self.note_presence(guest, AWAY).await?;
        if let Some(room) = &guest.identity.guest_room {
            self.start_away_timer(room, &guest.identity.user_id, self.config.guest_away)
                .await?;
        }
        Ok(())
    }

    /// The guest connected again: their pending timer will find them back.
    pub(crate) async fn guest_came_back(&self, guest: &UserRecord) -> CoreResult<()> {
        self.note_presence(guest, BACK).await
    }

    pub(crate) async fn start_away_timer(
        &self,
        room: &RoomId,
        guest: &UserId,
        delay: std::time::Duration,
    ) -> CoreResult<()> {
        let job = Job::GuestAwayCheck {
            room_id: room.clone(),
            guest: guest.clone(),
        };
        self.deps.jobs.enqueue(&job, delay).await
    }

    async fn note_presence(&self, guest: &UserRecord, event: &str) -> CoreResult<()> {
        let Some(room_id) = &guest.identity.guest_room else {
            return Ok(());
        };
        let Some(room) = self.deps.store.room(room_id).await? else {
            return Ok(());
        };
        if room.status != RoomStatus::Open {
            return Ok(());
        }
        let Some(issue) = self.deps.store.issue(&room.issue_id).await? else {
            return Ok(());
        };
        if event == BACK
            && latest_presence(&issue.history, &guest.identity.user_id, &room.id) != Some(AWAY)
        {
            // A first connection, not a return.
            return Ok(());
        }
        self.record_issue_event(&room, event, guest.identity.user_id.as_str(), None)
            .await
    }

    /// The `GuestAwayCheck` job.
    pub(crate) async fn run_guest_away(
        &self,
        room_id: &RoomId,
        guest: &UserId,
    ) -> CoreResult<JobOutcome> {
        let Some(room) = self.deps.store.room(room_id).await? else {
            return Ok(JobOutcome::Done);
        };
        if room.status != RoomStatus::Open {
            return Ok(JobOutcome::Done);
        }
        let members = self.deps.store.members(&room.id).await?;
        let still_member = members
            .iter()
            .any(|m| m.id == guest.as_str() && m.kind == ParticipantKind::Guest);
        if still_member {
            let online = self.deps.store.online_users(&[guest.to_string()]).await?;
            if !online.is_empty() {
                debug!(%room_id, "guest is back; nothing to do");
                return Ok(JobOutcome::Done);
            }
            let Some(issue) = self.deps.store.issue(&room.issue_id).await? else {
                return Ok(JobOutcome::Done);
            };
            let last = latest_presence_event(&issue.history, guest, &room.id);
            let away_long_enough = last.is_some_and(|e| {
                e.event == AWAY
                    && self.deps.clock.now() - e.at
                        >= chrono::Duration::from_std(self.config.guest_away)
                            .unwrap_or(chrono::Duration::MAX)
                            - chrono::Duration::seconds(1)
            });
            if !away_long_enough {
                debug!(%room_id, "the guest's latest absence has its own timer");
                return Ok(JobOutcome::Done);
            }
        }
        match self
            .conclude_room(room, Conclusion::GuestDisengaged, "system", None)
            .await
        {
            Ok((room, _)) => {
                info!(room_id = %room.id, "guest disengaged: room concluded");
                for member in members
                    .iter()
                    .filter(|m| m.kind == ParticipantKind::Employee)
                {
                    if let Ok(id) = UserId::parse(member.id.clone()) {
                        if let Some(employee) = self.deps.store.user_by_id(&id).await? {
                            // The employee is free again: a waiting room may be theirs.
                            self.assign_waiting_to(&employee).await;
                        }
                    }
                }
                Ok(JobOutcome::Done)
            }
            // Concluded meanwhile: nothing left to do.
            Err(crate::CoreError::Conflict(_)) => Ok(JobOutcome::Done),
            Err(e) => Err(e),
        }
    }
}

/// The guest's latest `guest-away` / `guest-back` event for `room`.
fn latest_presence_event<'h>(
    history: &'h [IssueEvent],
    guest: &UserId,
    room: &RoomId,
) -> Option<&'h IssueEvent> {
    history.iter().rev().find(|e| {
        (e.event == AWAY || e.event == BACK)
            && e.by == guest.as_str()
            && e.note.as_deref() == Some(room.as_str())
    })
}

fn latest_presence<'h>(
    history: &'h [IssueEvent],
    guest: &UserId,
    room: &RoomId,
) -> Option<&'h str> {
    latest_presence_event(history, guest, room).map(|e| e.event.as_str())
}
