//! Use cases. [`App`] holds the ports and configuration; each module adds the methods
//! of one concern:
//!
//! - [`session`]: login, token checks, WebSocket tickets, connect / disconnect.
//! - [`dispatch`]: one WebSocket frame → rate limit → action → exactly one reply; the
//!   dispatch is generated from the action registry (`protocol::registry`), and each
//!   action's request type implements its use case (`dispatch::UseCase`) in the
//!   module of its concern.
//! - [`rooms`]: create, list, get, join, leave, invite, remove.
//! - [`messages`]: send, history, typing.
//! - [`users`]: `/me`, profile, the employee directory.
//! - [`admin`]: the allowed-users list (shared by the admin CLI and admin routes), and
//!   handing rooms over when an employee is cut off.
//! - [`guests`]: invite codes and guest login; [`guest_away`]: concluding rooms whose
//!   guest left or stayed away.
//! - [`jobs`]: what a worker does with a delivered background job.
//! - [`robots`]: robot list, invite, remove, ask; [`robot_jobs`]: the answer job;
//!   [`robot_files`]: files robots are given and answer with, further answers;
//!   [`coalesce`]: cutting streamed text into few deltas.
//! - [`sharing`]: `message.share`, the one way employees-only content reaches guests.
//! - [`supervisor`]: floor views, observe, break-in; [`transcripts`]: a room's or an
//!   issue's conversation as JSON or Markdown.
//! - [`issues`]: escalation, assignment and tier queues, conclusions; [`csat`]: guests'
//!   ratings and their averages.
//! - [`files`]: uploads, their checks and downloads; [`file_checks`]: what the bytes
//!   must be; [`file_jobs`]: image thumbnails and uploads that never completed.
//! - [`audit`]: the append-only audit log.
//! - [`fanout`]: pushing events to the connections allowed to see them.

pub mod admin;
pub mod audit;
pub mod coalesce;
pub mod csat;
pub mod dispatch;
pub mod fanout;
pub mod file_checks;
pub mod file_jobs;
pub mod files;
pub mod guest_away;
pub mod guests;
pub mod issues;
pub mod jobs;
#[cfg(test)]
pub mod made_up;
pub mod messages;
pub mod robot_files;
pub mod robot_jobs;
pub mod robots;
pub mod rooms;
pub mod session;
pub mod sharing;
pub mod supervisor;
pub mod transcripts;
pub mod users;

use std::sync::Arc;

use chrono::Duration;

use crate::auth::throttle::LoginThrottle;
use crate::auth::{PasswordHasher, TokenConfig, TokenSigner};
use crate::error::CoreResult;
use crate::ids::UserId;
use crate::limits::RateLimiter;
use crate::ports::{Blobs, Clock, IdGen, Jobs, Push, Robots, Store};
pub use files::FileSettings;
pub use issues::IssueCaps;
pub use jobs::{Attempt, JobOutcome};
pub use robot_jobs::RobotSettings;

/// Size and rate limits (PROTOCOL §5 defaults).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest WebSocket frame accepted, in bytes.
    pub frame_bytes: usize,
    /// Largest message text, in bytes.
    pub text_bytes: usize,
    /// Sustained actions per second per connection (`0` = off).
    pub actions_per_second: u32,
    /// Bucket size (burst).
    pub burst: u32,
    /// Sustained actions per second per user, across all their connections (`0` =
    /// off); its burst is twice that.
    pub user_actions_per_second: u32,
    /// Open WebSocket connections one user may hold (`0` = no cap).
    pub max_connections_per_user: u32,
    /// Most messages in one history page.
    pub history_max: usize,
    /// Page size when the client does not ask.
    pub history_default: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            frame_bytes: 32 * 1024,
            text_bytes: crate::model::text::MAX_MESSAGE_BYTES,
            actions_per_second: 20,
            burst: 40,
            user_actions_per_second: 40,
            max_connections_per_user: 32,
            history_max: 200,
            history_default: 50,
        }
    }
}

/// Everything read from configuration once at startup.
#[derive(Debug, Clone)]
pub struct Config {
    pub tokens: TokenConfig,
    /// Lifetime of a WebSocket ticket (PROTOCOL: ≤ 60 s).
    pub ticket_ttl: Duration,
    /// Lifetime of a guest invite code.
    pub invite_ttl: Duration,
    /// Browser origins allowed to open a WebSocket. A handshake without an `Origin`
    /// header (non-browser clients) is always allowed; `*` allows every origin.
    pub allowed_origins: Vec<String>,
    pub limits: Limits,
    pub robots: RobotSettings,
    /// Open issues per employee, per tier (assignment on escalation).
    pub issue_caps: IssueCaps,
    /// How long a guest may stay disconnected before their room concludes
    /// `guest-disengaged` (default 10 minutes).
    pub guest_away: std::time::Duration,
    /// Upload and download URL lifetimes.
    pub files: FileSettings,
}

/// The adapters behind the ports.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<dyn Store>,
    pub push: Arc<dyn Push>,
    pub jobs: Arc<dyn Jobs>,
    pub blobs: Arc<dyn Blobs>,
    pub robots: Arc<dyn Robots>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
}

/// The application: ports, configuration and the use cases as methods.
pub struct App {
    pub(crate) deps: Deps,
    pub(crate) config: Config,
    pub(crate) signer: TokenSigner,
    pub(crate) hasher: PasswordHasher,
    pub(crate) rate: RateLimiter,
    /// The per-user budget, checked once the frame's sender is known.
    pub(crate) user_rate: RateLimiter<UserId>,
    /// Failed-login counts (see `auth::throttle`).
    pub(crate) login_throttle: LoginThrottle,
    /// Robot responses a job of this process is answering right now: a retried ask
    /// queues the job again, and two copies must not both answer.
    pub(crate) answering: std::sync::Mutex<std::collections::HashSet<crate::ids::MessageId>>,
}

impl App {
    /// Builds the app; fails on invalid configuration (e.g. a short signing secret).
    pub fn new(deps: Deps, config: Config, hasher: PasswordHasher) -> CoreResult<Self> {
        let signer = TokenSigner::new(config.tokens.clone())?;
        let limits = &config.limits;
        let rate = RateLimiter::new(limits.actions_per_second, limits.burst);
        let user_rate = RateLimiter::new(
            limits.user_actions_per_second,
            limits.user_actions_per_second.saturating_mul(2),
        );
        Ok(App {
            deps,
            config,
            signer,
            hasher,
            rate,
            user_rate,
            login_throttle: LoginThrottle::default(),
            answering: Default::default(),
        })
    }

    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn new_id(&self, prefix: &str) -> String {
        self.deps.ids.new_id(prefix)
    }
}
