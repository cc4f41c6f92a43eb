//! One WebSocket frame in, exactly one reply out (for frames with a `requestId`), except
//! for a flood: once a connection is over its rate limit *and* has used up its
//! `rate_limited` answers for the second, further frames are dropped unanswered
//! ([`crate::limits::RateVerdict::Drop`]), so garbage cannot buy a push per frame.
//!
//! Order of checks: rate → size → parse → who is asking (re-read from the store) →
//! the action. Every failure becomes a typed error reply; the connection stays open.

use serde_json::{Value, json};
use tracing::{Instrument, info_span, warn};

use crate::error::{CoreError, CoreResult};
use crate::ids::ConnectionId;
use crate::limits::RateVerdict;
use crate::model::UserRecord;
use crate::protocol::events::{FrameError, Reply, ServerEvent, to_frame};
use crate::protocol::{ClientAction, ParsedFrame, parse_frame};
use crate::service::App;

impl App {
    /// `$default` route: handles one frame from `connection`. Replies and events go out
    /// through the `Push` port, exactly as on API Gateway.
    pub async fn handle_frame(&self, connection: &ConnectionId, raw: &str) {
        let span = info_span!("frame", connection_id = %connection, action = tracing::field::Empty);
        async {
            // Before anything else, parsing included: every frame counts (PROTOCOL §6).
            match self.rate.check(connection) {
                RateVerdict::Allow => {}
                RateVerdict::Refuse => {
                    self.refuse_unparsed(connection, raw, &CoreError::RateLimited)
                        .await;
                    return;
                }
                RateVerdict::Drop => {
                    tracing::debug!("frame dropped: over the rate limit and its answers");
                    return;
                }
            }
            if raw.len() > self.config.limits.frame_bytes {
                let err = CoreError::PayloadTooLarge(format!(
                    "frame is {} bytes; the limit is {}",
                    raw.len(),
                    self.config.limits.frame_bytes
                ));
                self.refuse_unparsed(connection, raw, &err).await;
                return;
            }
            let (request_id, action) = match parse_frame(raw) {
                ParsedFrame::Garbage(err) => {
                    self.send_frame(connection, &to_frame(&FrameError::new(&err)))
                        .await;
                    return;
                }
                ParsedFrame::Request { request_id, action } => (request_id, action),
            };
            let outcome = match action {
                Ok(action) => {
                    tracing::Span::current().record("action", action.name());
                    self.run_action(connection, action).await
                }
                Err(e) => Err(e),
            };
            match (request_id, outcome) {
                (Some(id), Ok(data)) => self.reply(connection, Reply::ok(id, data)).await,
                (Some(id), Err(err)) => {
                    log_failure(&err);
                    self.reply(connection, Reply::err(id, &err)).await
                }
                (None, Ok(_)) => {}
                (None, Err(err)) => {
                    log_failure(&err);
                    self.send_frame(connection, &to_frame(&FrameError::new(&err)))
                        .await
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Answers a frame that is refused before parsing (rate limit, size). Its
    /// requestId is recovered only when it sits near the start, which is where clients
    /// put it; otherwise the answer is an error frame.
    async fn refuse_unparsed(&self, connection: &ConnectionId, raw: &str, err: &CoreError) {
        match sniff_request_id(raw) {
            Some(id) => self.reply(connection, Reply::err(id, err)).await,
            None => {
                self.send_frame(connection, &to_frame(&FrameError::new(err)))
                    .await
            }
        }
    }

    async fn reply(&self, connection: &ConnectionId, reply: Reply) {
        self.send_frame(connection, &to_frame(&reply)).await;
    }

    async fn run_action(
        &self,
        connection: &ConnectionId,
        action: ClientAction,
    ) -> CoreResult<Value> {
        if let ClientAction::Ping = action {
            // Keep-alive must stay cheap: no store reads.
            self.send_frame(connection, &to_frame(&ServerEvent::Pong))
                .await;
            return Ok(json!({}));
        }
        // A send may start from the store's hint of who the user is, because its commit
        // compares that with the stored user (`ports::append_checked`); every other
        // action reads the user.
        let is_send = matches!(action, ClientAction::MessageSend(_));
        let sender = self.sender(connection, is_send).await?;
        let actor: &UserRecord = &sender.user;
        let id = &actor.identity;
        // Every socket of one person draws on one budget too.
        if !self.user_rate.allow(&id.user_id) {
            return Err(CoreError::RateLimited);
        }
        match action {
            ClientAction::Ping => Ok(json!({})),
            ClientAction::RoomCreate(req) => self.room_create(actor, req).await,
            ClientAction::RoomList => self.room_list(id).await,
            ClientAction::RoomGet(req) => self.room_get(id, &req.room_id).await,
            ClientAction::RoomJoin(req) => self.room_join(actor, &req.room_id).await,
            ClientAction::RoomLeave(req) => self.room_leave(actor, &req.room_id).await,
            ClientAction::RoomInvite(req) => {
                self.room_invite(actor, &req.room_id, &req.user_id).await
            }
            ClientAction::RoomRemove(req) => {
                self.room_remove(actor, &req.room_id, &req.user_id).await
            }
            ClientAction::MessageSend(req) => self.message_send(&sender, req).await,
            ClientAction::HistoryGet(req) => self.history_get(id, req).await,
            ClientAction::Typing(req) => self.typing(id, &req.room_id).await,
            ClientAction::RoomInviteGuest(req) => self.room_invite_guest(actor, req).await,
            ClientAction::SupervisorObserve(req) => {
                self.supervisor_observe(connection, actor, &req.room_id)
                    .await
            }
            ClientAction::SupervisorBreakIn(req) => {
                self.supervisor_break_in(actor, &req.room_id).await
            }
            ClientAction::RobotList => self.robot_list(actor).await,
            ClientAction::RobotInvite(req) => self.robot_invite(actor, req).await,
            ClientAction::RobotRemove(req) => self.robot_remove(actor, req).await,
            ClientAction::RobotAsk(req) => self.robot_ask(actor, req).await,
            ClientAction::MessageShare(req) => self.message_share(actor, req).await,
            ClientAction::IssueEscalate(req) => self.issue_escalate(actor, req).await,
            ClientAction::IssueConclude(req) => self.issue_conclude(actor, req).await,
            ClientAction::IssueRate(req) => self.issue_rate(actor, req).await,
        }
    }
}

/// Finds `"requestId":"…"` in the first KiB of a frame that is not parsed (oversized,
/// or refused by the rate limiter).
fn sniff_request_id(raw: &str) -> Option<String> {
    let head = raw.get(..raw.len().min(1024)).unwrap_or("");
    let start = head.find("\"requestId\"")? + "\"requestId\"".len();
    let rest = head[start..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let id = &rest[..end];
    (!id.is_empty() && id.len() <= crate::protocol::frame::MAX_REQUEST_ID_LEN && !id.contains('\\'))
        .then(|| id.to_string())
}

fn log_failure(err: &CoreError) {
    match err {
        CoreError::Storage { .. } | CoreError::Internal(_) => {
            warn!(error = %err, source = ?std::error::Error::source(err), "action failed")
        }
        _ => tracing::debug!(error = %err, "action refused"),
    }
}

#[cfg(test)]
mod tests {
    use super::sniff_request_id;

    #[test]
    fn request_id_is_recovered_from_the_head_of_a_big_frame() {
        let big = format!(
            r#"{{"action":"message.send","requestId": "r-9","text":"{}"}}"#,
            "x".repeat(40_000)
        );
        assert_eq!(sniff_request_id(&big).as_deref(), Some("r-9"));
        assert_eq!(sniff_request_id(&"x".repeat(40_000)), None);
    }
}
