//! Robot use cases: `robot.list`, `robot.invite`, `robot.remove`, `robot.ask`.
//!
//! A robot is a room member (kind `robot`, id = its name). Asking one stores the
//! employee's request and the robot's empty response together (one atomic append, so
//! no other message lands between them), announces both to employees, and queues the
//! job that fills the response in (`robot_jobs`). Nothing of the exchange is for
//! guests: both messages are `employees`-only, and so is every event about them.

use serde_json::{Map, Value, json};

use crate::error::{CoreError, CoreResult};
use crate::ids::MessageId;
use crate::model::{
    Author, AuthorKind, ContentType, Delivery, Member, Message, MessageStatus, MessageText,
    NewMessage, ParticipantKind, RobotInfo, Room, UserRecord, Visibility,
};
use crate::policy;
use crate::ports::{AppendedAll, Job};
use crate::protocol::actions::{RobotAsk, RobotInvite, RobotList, RobotRemove, RoomRobot};
use crate::protocol::events::ServerEvent;
use crate::protocol::replies::{AskReply, RobotsReply, RoomReply};
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};
use crate::service::fanout::Audience;

impl App {
    pub(crate) fn robot_info(&self, name: &str) -> CoreResult<&RobotInfo> {
        self.deps
            .robots
            .info(name)
            .ok_or_else(|| CoreError::not_found(format!("no robot named {name:?}")))
    }

    pub(crate) async fn robot_list(&self) -> CoreResult<RobotsReply> {
        Ok(RobotsReply {
            robots: self.deps.robots.catalog().to_vec(),
        })
    }

    pub(crate) async fn robot_invite(
        &self,
        actor: &UserRecord,
        req: RoomRobot,
    ) -> CoreResult<RoomReply> {
        let room = self.member_room(&actor.identity, &req.room_id).await?;
        policy::must_be_open(&room)?;
        let info = self.robot_info(&req.robot)?;
        let member = Member {
            id: info.name.clone(),
            kind: ParticipantKind::Robot,
            display_name: info.name.clone(),
            tier: None,
            joined_at: self.deps.clock.now(),
        };
        if self.deps.store.add_member(&room.id, &member).await? == crate::ports::Addition::Added {
            let note = format!("{} invited {}", actor.profile.display_name, info.name);
            self.post_system_for(&room, note, Visibility::Employees)
                .await?;
        }
        let view = self.broadcast_room_updated(&room).await?;
        Ok(RoomReply { room: view })
    }

    pub(crate) async fn robot_remove(
        &self,
        actor: &UserRecord,
        req: RoomRobot,
    ) -> CoreResult<RoomReply> {
        let room = self.member_room(&actor.identity, &req.room_id).await?;
        let is_robot = self
            .deps
            .store
            .members(&room.id)
            .await?
            .iter()
            .any(|m| m.id == req.robot && m.kind == ParticipantKind::Robot);
        if !is_robot {
            return Err(CoreError::not_found("no such robot in this room"));
        }
        // Robots never count for "a guest is never alone", so this cannot strand one.
        self.deps.store.remove_member(&room.id, &req.robot).await?;
        let note = format!("{} removed {}", actor.profile.display_name, req.robot);
        self.post_system_for(&room, note, Visibility::Employees)
            .await?;
        let view = self.broadcast_room_updated(&room).await?;
        Ok(RoomReply { room: view })
    }

    pub(crate) async fn robot_ask(
        &self,
        actor: &UserRecord,
        req: RobotAsk,
    ) -> CoreResult<AskReply> {
        let id = &actor.identity;
        let room = self.member_room(id, &req.room_id).await?;
        policy::must_be_open(&room)?;
        let info = self.robot_info(&req.robot)?.clone();
        if !self.deps.store.is_member(&room.id, &info.name).await? {
            return Err(CoreError::conflict(format!(
                "{} is not in this room; invite it first",
                info.name
            )));
        }
        let text = MessageText::parse_with_limit(req.text, self.config.limits.text_bytes)?;
        let args = req.args.unwrap_or_default();
        check_args(&info, &args)?;
        self.check_robot_file_arg(&room.id, id.kind, &args).await?;
        let now = self.deps.clock.now();
        let request_id = MessageId::parse(self.new_id("msg"))?;
        let request = NewMessage {
            id: request_id.clone(),
            room_id: room.id.clone(),
            client_msg_id: req.client_msg_id.clone(),
            author: Author {
                id: id.user_id.to_string(),
                kind: AuthorKind::Employee,
                display_name: actor.profile.display_name.clone(),
            },
            content_type: ContentType::Chat,
            delivery: Delivery::Streaming,
            status: MessageStatus::Complete,
            visibility: Visibility::Employees,
            text: text.into_inner(),
            // The worker reads the arguments from here: the job itself stays small.
            data: Some(json!({ "robot": info.name, "args": args })),
            reply_to: None,
            shared_from: None,
            created_at: now,
        };
        let response = NewMessage {
            id: MessageId::parse(self.new_id("msg"))?,
            room_id: room.id.clone(),
            client_msg_id: req.client_msg_id,
            author: robot_author(&info.name),
            content_type: info.content_type,
            delivery: info.delivery,
            status: match info.delivery {
                Delivery::Streaming => MessageStatus::Streaming,
                Delivery::BatchDelay => MessageStatus::Pending,
            },
            visibility: Visibility::Employees,
            text: String::new(),
            data: None,
            reply_to: Some(request_id),
            shared_from: None,
            created_at: now,
        };
        let (request, response) = match self
            .deps
            .store
            .append_messages(&[request, response])
            .await?
        {
            AppendedAll::Created(pair) => {
                let (request, response) = into_pair(pair)?;
                for m in [&request, &response] {
                    let event = ServerEvent::MessageCreated {
                        room_id: room.id.clone(),
                        message: m.clone(),
                    };
                    self.broadcast(&room.id, &event, Audience::Room).await;
                }
                (request, response)
            }
            // A retried ask: the first exchange. Its job is queued again when the answer
            // is not in yet (the first enqueue may be what failed); jobs are idempotent.
            AppendedAll::Existing(pair) => into_pair(pair)?,
        };
        let response = self
            .queue_answer(&room, &request, response, &info.name)
            .await?;
        Ok(AskReply { request, response })
    }

    /// Queues the job for an unfinished response. When the queue refuses, the response
    /// ends `failed` at once rather than waiting forever for a job that does not exist.
    async fn queue_answer(
        &self,
        room: &Room,
        request: &Message,
        response: Message,
        robot: &str,
    ) -> CoreResult<Message> {
        if !matches!(
            response.status,
            MessageStatus::Pending | MessageStatus::Streaming
        ) {
            return Ok(response);
        }
        let job = Job::RobotAnswer {
            room_id: room.id.clone(),
            request_id: request.id.clone(),
            response_id: response.id.clone(),
            robot: robot.to_string(),
        };
        match self
            .deps
            .jobs
            .enqueue(&job, std::time::Duration::ZERO)
            .await
        {
            Ok(()) => Ok(response),
            Err(e) => {
                tracing::warn!(error = %e, "a robot job could not be queued");
                self.finish_failed(
                    response,
                    "the robot could not be reached (the job queue refused the work); ask again",
                )
                .await
            }
        }
    }
}

pub(crate) fn robot_author(name: &str) -> Author {
    Author {
        id: name.to_string(),
        kind: AuthorKind::Robot,
        display_name: name.to_string(),
    }
}

fn into_pair(pair: Vec<Message>) -> CoreResult<(Message, Message)> {
    let mut it = pair.into_iter();
    match (it.next(), it.next()) {
        (Some(request), Some(response)) => Ok((request, response)),
        _ => Err(CoreError::Internal(
            "a robot exchange was stored without both messages".into(),
        )),
    }
}

/// `args` against the robot's card: every required argument present, nothing unknown.
fn check_args(info: &RobotInfo, args: &Map<String, Value>) -> CoreResult<()> {
    if let Some(unknown) = args
        .keys()
        .find(|k| !info.args.iter().any(|a| &a.name == *k))
    {
        return Err(CoreError::bad_request(format!(
            "{} takes no argument {unknown:?}",
            info.name
        )));
    }
    if let Some(missing) = info
        .args
        .iter()
        .find(|a| a.required && !args.contains_key(&a.name))
    {
        return Err(CoreError::bad_request(format!(
            "{} needs the argument {:?}",
            info.name, missing.name
        )));
    }
    Ok(())
}

impl UseCase for RobotList {
    type Reply = RobotsReply;
    async fn run(self, app: &App, _: &Caller<'_>) -> CoreResult<RobotsReply> {
        app.robot_list().await
    }
}

impl UseCase for RobotInvite {
    type Reply = RoomReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomReply> {
        app.robot_invite(caller.user(), self.0).await
    }
}

impl UseCase for RobotRemove {
    type Reply = RoomReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<RoomReply> {
        app.robot_remove(caller.user(), self.0).await
    }
}

impl UseCase for RobotAsk {
    type Reply = AskReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<AskReply> {
        app.robot_ask(caller.user(), self).await
    }
}
