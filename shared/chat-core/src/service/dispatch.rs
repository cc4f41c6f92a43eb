//! One WebSocket frame in, exactly one reply out (for frames with a `requestId`), except
//! for a flood: once a connection is over its rate limit *and* has used up its
//! `rate_limited` answers for the second, further frames are dropped unanswered
//! ([`crate::limits::RateVerdict::Drop`]), so garbage cannot buy a push per frame.
//!
//! Order of checks: connection rate (every frame, before parsing) → size → parse →
//! who is asking (re-read from the store) → the user's budget → the registry's
//! `callers` → the use case. Every failure becomes a typed error reply; the connection
//! stays open.
//!
//! The dispatch itself is generated from the action registry
//! ([`crate::protocol::registry`]): each request type implements [`UseCase`] (or, for
//! the keep-alive, [`ConnectionUseCase`]) in its own service module.

use tracing::{Instrument, info_span, warn};

use crate::error::{CoreError, CoreResult};
use crate::ids::ConnectionId;
use crate::limits::RateVerdict;
use crate::model::{Identity, UserRecord};
use crate::policy;
use crate::protocol::actions::Ping;
use crate::protocol::events::{FrameError, Reply, ServerEvent, to_frame};
use crate::protocol::registry::{ActionReply, Callers, action_table};
use crate::protocol::replies::Empty;
use crate::protocol::{ClientAction, ParsedFrame, parse_frame};
use crate::service::App;
use crate::service::session::Sender;

/// Who sent the frame: their connection and their user, as [`App::sender`] found them.
pub(crate) struct Caller<'a> {
    pub connection: &'a ConnectionId,
    pub sender: &'a Sender,
}

impl Caller<'_> {
    pub fn user(&self) -> &UserRecord {
        &self.sender.user
    }

    pub fn identity(&self) -> &Identity {
        &self.sender.user.identity
    }
}

/// An action's use case: its request type runs it for a caller the registry admitted,
/// and answers with the reply type the registry names for it.
pub(crate) trait UseCase: Sized {
    type Reply;

    /// The use case may start from the store's hint of who the user is, because it
    /// checks the hint against the stored user itself (`message.send`, see
    /// `ports::append_checked`). Only honoured for actions open to `Anyone`: a
    /// `callers` check must never rest on a hint.
    const TRUSTS_HINT: bool = false;

    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<Self::Reply>;
}

/// A use case answered from the connection alone (no store read, no user budget): the
/// registry's `rate_limited: false` actions, open to anyone.
pub(crate) trait ConnectionUseCase: Sized {
    type Reply;

    async fn run(self, app: &App, connection: &ConnectionId) -> CoreResult<Self::Reply>;
}

impl ConnectionUseCase for Ping {
    type Reply = Empty;

    async fn run(self, app: &App, connection: &ConnectionId) -> CoreResult<Empty> {
        // Keep-alive must stay cheap: no store reads.
        app.send_frame(connection, &to_frame(&ServerEvent::Pong))
            .await;
        Ok(Empty {})
    }
}

/// One match arm: `rate_limited` decides which kind of use case the action has.
macro_rules! dispatch_arm {
    (true, $app:ident, $connection:ident, $request:ident, $callers:ident, $name:literal) => {
        $app.run_use_case($connection, $request, Callers::$callers, $name)
            .await
    };
    (false, $app:ident, $connection:ident, $request:ident, Anyone, $name:literal) => {
        ConnectionUseCase::run($request, $app, $connection).await
    };
}

/// Generates [`App::run_action`] from the registry's table.
macro_rules! dispatch {
    ($(
        $(#[$meta:meta])*
        $name:literal => $variant:ident($request:ident) -> $reply:ident {
            callers: $callers:ident, rate_limited: $rate_limited:tt, $($rest:tt)*
        }
    ),* $(,)?) => {
        impl App {
            async fn run_action(
                &self,
                connection: &ConnectionId,
                action: ClientAction,
            ) -> CoreResult<ActionReply> {
                match action {
                    $(
                        $(#[$meta])*
                        ClientAction::$variant(request) => {
                            dispatch_arm!($rate_limited, self, connection, request, $callers, $name)
                                .map(ActionReply::$variant)
                        }
                    )*
                }
            }
        }
    };
}

action_table!(dispatch);

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

    /// Reads who is asking, charges their budget, checks the registry's `callers`,
    /// then runs the use case.
    async fn run_use_case<U: UseCase>(
        &self,
        connection: &ConnectionId,
        request: U,
        callers: Callers,
        action: &'static str,
    ) -> CoreResult<U::Reply> {
        let trusts_hint = U::TRUSTS_HINT && callers == Callers::Anyone;
        let sender = self.sender(connection, trusts_hint).await?;
        // Every socket of one person draws on one budget too.
        if !self.user_rate.allow(&sender.user.identity.user_id) {
            return Err(CoreError::RateLimited);
        }
        policy::may_call(&sender.user.identity, callers, action)?;
        let caller = Caller {
            connection,
            sender: &sender,
        };
        request.run(self, &caller).await
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
