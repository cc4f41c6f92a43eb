//! The robot answer job: fill in the response a `robot.ask` left `pending` or
//! `streaming`.
//!
//! - **Idempotent.** A response that is already `complete` or `failed` is left alone, so
//!   a redelivered job never doubles or rewrites an answer. A job cut short (a worker
//!   killed mid-answer) runs again from the start: its deltas restart at index 0, which
//!   clients read as "start over", and only the final text is stored.
//! - **Bounded.** The robot gets `RobotSettings::answer_timeout`; past it, or on the
//!   robot's own failure, the response ends `failed` with the reason as its text.
//! - **Never stuck.** A store or push outage fails the job so the queue retries it; on
//!   the last attempt the response is marked `failed` first (the queue then keeps the
//!   job in its dead-letter queue), and a job delivered past its last attempt only
//!   marks the response failed.
//! - **Private.** The robot gets the request, its arguments and the issue's metadata;
//!   every delta and update goes to employees only.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::error::{CoreError, CoreResult};
use crate::ids::{MessageId, RoomId};
use crate::model::{
    AccountKind, ContentType, FORMS_DIAGNOSTICS_ROBOT, IssueBrief, Message, MessageStatus,
    RobotAnswer, RobotChunk, RobotRequest, RoomConnection,
};
use crate::policy;
use crate::ports::PageQuery;
use crate::protocol::events::{ServerEvent, to_frame};
use crate::service::App;
use crate::service::coalesce::{Coalescer, DeltaPolicy};
use crate::service::fanout::{Audience, PUSH_CONCURRENCY};
use crate::service::jobs::{Attempt, JobOutcome};

/// How often a streaming answer re-reads who is in the room, so an employee who joins
/// mid-answer gets the rest of the deltas.
const AUDIENCE_REFRESH: Duration = Duration::from_secs(1);

/// Robot answers: time limit, delta cutting, and how often a job is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RobotSettings {
    /// How long a robot may take for one answer (default 60 s).
    pub answer_timeout: Duration,
    pub deltas: DeltaPolicy,
}

impl Default for RobotSettings {
    fn default() -> Self {
        RobotSettings {
            answer_timeout: Duration::from_secs(60),
            deltas: DeltaPolicy::default(),
        }
    }
}

/// How a robot's run ended, before it is stored.
/// This process's claim on answering one response; released when dropped.
struct AnswerClaim<'a> {
    app: &'a App,
    response: MessageId,
}

impl<'a> AnswerClaim<'a> {
    fn take(app: &'a App, response: &MessageId) -> Option<Self> {
        let mut answering = app.answering.lock().unwrap_or_else(|p| p.into_inner());
        answering.insert(response.clone()).then(|| AnswerClaim {
            app,
            response: response.clone(),
        })
    }
}

impl Drop for AnswerClaim<'_> {
    fn drop(&mut self) {
        let mut answering = self.app.answering.lock().unwrap_or_else(|p| p.into_inner());
        answering.remove(&self.response);
    }
}

enum Ending {
    /// The first answer, and any further ones in order.
    Answered(RobotAnswer, Vec<RobotAnswer>),
    Failed(String),
}

impl App {
    pub(crate) async fn run_robot_answer(
        &self,
        room_id: &RoomId,
        request_id: &MessageId,
        response_id: &MessageId,
        attempt: Attempt,
    ) -> CoreResult<JobOutcome> {
        // A retried ask queues its job again. While one copy answers here, another is
        // done at once: the first finishes the answer (or fails and is redelivered).
        let Some(_claim) = AnswerClaim::take(self, response_id) else {
            info!(%response_id, "robot job already being answered in this process");
            return Ok(JobOutcome::Done);
        };
        self.run_claimed_answer(room_id, request_id, response_id, attempt)
            .await
    }

    async fn run_claimed_answer(
        &self,
        room_id: &RoomId,
        request_id: &MessageId,
        response_id: &MessageId,
        attempt: Attempt,
    ) -> CoreResult<JobOutcome> {
        let Some(response) = self.deps.store.message(room_id, response_id).await? else {
            warn!(%room_id, %response_id, "robot job for a response that does not exist");
            return Ok(JobOutcome::Done);
        };
        if !is_unfinished(&response) {
            info!(%response_id, "robot job redelivered after its answer was stored; nothing to do");
            return Ok(JobOutcome::Done);
        }
        if attempt.is_past_last() {
            let reason = format!("the robot's job failed {} times; ask again", attempt.max);
            self.finish_failed(response, &reason).await?;
            return Ok(JobOutcome::Done);
        }
        match self.answer(room_id, request_id, &response).await {
            Ok(Ending::Answered(answer, more)) => {
                // Another process's copy of this job may have finished meanwhile.
                if self.finished_elsewhere(room_id, response_id).await? {
                    return Ok(JobOutcome::Done);
                }
                // Further answers first: a finished response then means every answer
                // is stored, so a redelivered job that finds it finished loses nothing.
                self.post_more_answers(&response, request_id, more).await?;
                self.finish_answered(response, answer).await?;
                Ok(JobOutcome::Done)
            }
            Ok(Ending::Failed(reason)) => {
                self.finish_failed(response, &reason).await?;
                Ok(JobOutcome::Done)
            }
            Err(e) if attempt.is_last() => {
                let reason = "the robot's job kept failing; an operator has been alerted";
                if let Err(mark) = self.finish_failed(response, reason).await {
                    warn!(error = %mark, "could not mark a robot answer failed");
                }
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the response was finished since this job read it.
    async fn finished_elsewhere(
        &self,
        room_id: &RoomId,
        response_id: &MessageId,
    ) -> CoreResult<bool> {
        let now = self.deps.store.message(room_id, response_id).await?;
        Ok(now.is_none_or(|m| !is_unfinished(&m)))
    }

    /// Runs the robot: `Err` only for our own outages (worth a retry).
    async fn answer(
        &self,
        room_id: &RoomId,
        request_id: &MessageId,
        response: &Message,
    ) -> CoreResult<Ending> {
        let Some(request) = self.deps.store.message(room_id, request_id).await? else {
            return Ok(Ending::Failed("the request was not found".into()));
        };
        let robot = response.author.id.clone();
        if self.deps.robots.info(&robot).is_none() {
            return Ok(Ending::Failed(format!("{robot} is no longer available")));
        }
        let room = self
            .deps
            .store
            .room(room_id)
            .await?
            .ok_or_else(|| CoreError::not_found("no such room"))?;
        let issue = self
            .deps
            .store
            .issue(&room.issue_id)
            .await?
            .ok_or_else(|| CoreError::not_found("no such issue"))?;
        let attachment = match self.robot_input(&request).await? {
            Ok(input) => input,
            Err(reason) => return Ok(Ending::Failed(reason)),
        };
        let args = request
            .data
            .as_ref()
            .and_then(|d| d.get("args"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let robot_request = RobotRequest {
            robot: robot.clone(),
            text: request.text.clone(),
            args,
            issue: IssueBrief {
                id: issue.id.clone(),
                title: issue.title.clone(),
                customer_name: issue.customer_name.clone(),
                form_id: issue.form_id.clone(),
                tier: issue.tier,
                observations: self.latest_observations(&issue.room_ids).await?,
            },
            attachment,
        };
        let limit = self.config.robots.answer_timeout;
        match tokio::time::timeout(limit, self.stream_answer(robot_request, response)).await {
            Ok(ending) => ending,
            Err(_) => Ok(Ending::Failed(format!(
                "{robot} did not answer within {} s",
                limit.as_secs_f32()
            ))),
        }
    }

    /// The observations of the newest completed forms-diagnostics answer in the issue's
    /// rooms (newest room first, its last page of messages): what the robots know of
    /// the form without seeing the conversation.
    async fn latest_observations(&self, rooms: &[RoomId]) -> CoreResult<Option<Vec<String>>> {
        for room in rooms.iter().rev() {
            let page = self
                .deps
                .store
                .messages_page(
                    room,
                    &PageQuery {
                        after_seq: None,
                        before_seq: Some(u64::MAX),
                        limit: self.config.limits.history_max,
                        include_employee_only: true,
                    },
                )
                .await?;
            let found = page.messages.iter().rev().find_map(|m| {
                let diagnostics =
                    m.author.id == FORMS_DIAGNOSTICS_ROBOT && m.status == MessageStatus::Complete;
                diagnostics
                    .then(|| m.data.as_ref()?.get("observations")?.as_array().cloned())
                    .flatten()
            });
            if let Some(items) = found {
                let texts = items
                    .iter()
                    .filter_map(|o| match o {
                        Value::String(s) => Some(s.clone()),
                        other => other
                            .get("message")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    })
                    .collect();
                return Ok(Some(texts));
            }
        }
        Ok(None)
    }

    /// Consumes the robot's stream, pushing coalesced deltas to the room's employees.
    async fn stream_answer(&self, request: RobotRequest, response: &Message) -> CoreResult<Ending> {
        let mut stream = self.deps.robots.answer(request);
        let mut coalescer = Coalescer::new(self.config.robots.deltas);
        let mut audience = DeltaAudience::default();
        let mut last: Option<RobotAnswer> = None;
        let mut more: Vec<RobotAnswer> = Vec::new();
        loop {
            let flush_at = coalescer.flush_at();
            let delta = tokio::select! {
                item = stream.next() => match item {
                    Some(Ok(RobotChunk::Text(text))) => coalescer.push(&text, Instant::now()),
                    Some(Ok(RobotChunk::Final(answer))) => {
                        last = Some(answer);
                        None
                    }
                    Some(Ok(RobotChunk::More(answer))) => {
                        more.push(answer);
                        None
                    }
                    Some(Err(failure)) => return Ok(Ending::Failed(failure.0)),
                    None => break,
                },
                () = sleep_until(flush_at), if flush_at.is_some() => {
                    coalescer.take_if_due(Instant::now())
                }
            };
            if let Some(text) = delta {
                let index = coalescer.deltas() - 1;
                self.push_delta(&mut audience, response, index, text).await;
            }
        }
        if last.is_none() {
            if let Some(tail) = coalescer.finish() {
                let index = coalescer.deltas() - 1;
                self.push_delta(&mut audience, response, index, tail).await;
            }
        }
        let answer = match last {
            Some(answer) => answer,
            None => RobotAnswer::new(response.content_type, coalescer.into_text(), None),
        };
        if answer.text.trim().is_empty() && answer.data.is_none() {
            return Ok(Ending::Failed("the robot gave an empty answer".into()));
        }
        Ok(Ending::Answered(answer, more))
    }

    async fn push_delta(
        &self,
        audience: &mut DeltaAudience,
        response: &Message,
        index: u32,
        text: String,
    ) {
        let event = ServerEvent::MessageDelta {
            room_id: response.room_id.clone(),
            message_id: response.id.clone(),
            index,
            text,
            visibility: response.visibility,
        };
        // Deltas are employees-only like their message; the frame is the same for all
        // who may receive it.
        let Some(frame) = event
            .for_viewer(AccountKind::Employee)
            .map(|e| to_frame(e.as_ref()))
        else {
            return;
        };
        let connections = audience.current(self, &response.room_id).await;
        let targets = connections
            .iter()
            .filter(|rc| policy::may_see(rc.connection.kind, response.visibility));
        futures::stream::iter(targets)
            .for_each_concurrent(PUSH_CONCURRENCY, |rc| {
                let frame = &frame;
                async move { self.send_frame(&rc.connection.id, frame).await }
            })
            .await;
    }

    async fn finish_answered(&self, mut response: Message, answer: RobotAnswer) -> CoreResult<()> {
        response.status = MessageStatus::Complete;
        response.content_type = answer.content_type;
        response.text = clip(answer.text, self.config.limits.text_bytes);
        response.data = answer.data;
        self.store_and_announce(response).await
    }

    /// Ends `response` failed with `reason` as its text (what the employee reads).
    pub(crate) async fn finish_failed(
        &self,
        mut response: Message,
        reason: &str,
    ) -> CoreResult<Message> {
        response.status = MessageStatus::Failed;
        response.content_type = ContentType::Chat;
        response.text = reason.to_string();
        response.data = Some(json!({ "failure": reason }));
        self.store_and_announce(response.clone()).await?;
        Ok(response)
    }

    /// Stores a changed message and pushes `message.updated` to whoever may see it.
    pub(crate) async fn store_and_announce(&self, mut message: Message) -> CoreResult<()> {
        message.updated_at = self.deps.clock.now();
        self.deps.store.update_message(&message).await?;
        let room_id = message.room_id.clone();
        let event = ServerEvent::MessageUpdated {
            room_id: room_id.clone(),
            message,
        };
        self.broadcast(&room_id, &event, Audience::Room).await;
        Ok(())
    }
}

fn is_unfinished(m: &Message) -> bool {
    matches!(m.status, MessageStatus::Pending | MessageStatus::Streaming)
}

/// At most `limit` bytes, cut at a character boundary.
fn clip(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}

/// The room's connections for one streaming answer, re-read at most every
/// [`AUDIENCE_REFRESH`] instead of once per delta.
#[derive(Default)]
struct DeltaAudience {
    connections: Vec<RoomConnection>,
    read_at: Option<Instant>,
}

impl DeltaAudience {
    async fn current(&mut self, app: &App, room: &RoomId) -> &[RoomConnection] {
        let stale = self
            .read_at
            .is_none_or(|at| at.elapsed() >= AUDIENCE_REFRESH);
        if stale {
            match app.deps.store.room_connections(room).await {
                Ok(c) => {
                    self.connections = c;
                    self.read_at = Some(Instant::now());
                }
                Err(e) => {
                    warn!(room_id = %room, error = %e, "deltas go to the last known audience")
                }
            }
        }
        &self.connections
    }
}
