//! An [`App`] on in-memory adapters, driven frame by frame like a WebSocket client.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::auth::{PasswordHasher, TokenConfig};
use crate::ids::ConnectionId;
use crate::model::{Role, Tier, UserRecord};
use crate::ports::Store;
use crate::service::admin::NewEmployee;
use crate::service::session::Handshake;
use crate::service::{App, Config, Deps, Limits};
use crate::testkit::memory::{
    CountingIds, ManualClock, MemoryBlobs, MemoryJobs, MemoryStore, RecordingPush,
};
use crate::testkit::robots::ScriptedRobots;

/// A configuration for tests, with a fresh signing key.
pub fn test_config() -> Config {
    Config {
        tokens: TokenConfig {
            issuer: "istackbuddy-test".into(),
            audience: "istackbuddy-chat".into(),
            signing: Some(
                crate::auth::SigningKey::generate()
                    .unwrap_or_else(|e| panic!("test signing key: {e}")),
            ),
            verifying: Vec::new(),
            ttl: Duration::hours(1),
        },
        ticket_ttl: Duration::seconds(60),
        invite_ttl: Duration::hours(24),
        allowed_origins: vec!["http://localhost:8080".into()],
        limits: Limits::default(),
        robots: crate::RobotSettings::default(),
        issue_caps: crate::service::IssueCaps::default(),
        guest_away: std::time::Duration::from_secs(600),
        files: crate::FileSettings::default(),
    }
}

pub struct TestApp {
    pub app: Arc<App>,
    pub store: Arc<dyn Store>,
    pub push: Arc<RecordingPush>,
    pub jobs: Arc<MemoryJobs>,
    pub clock: Arc<ManualClock>,
    pub blobs: Arc<MemoryBlobs>,
    next_conn: std::sync::atomic::AtomicU64,
}

impl TestApp {
    pub fn new() -> Self {
        Self::with_config(test_config())
    }

    pub fn with_config(config: Config) -> Self {
        Self::with_store(Arc::new(MemoryStore::new()), config)
    }

    /// The same harness over another store adapter (e.g. SQLite in benchmarks).
    pub fn with_store(store: Arc<dyn Store>, config: Config) -> Self {
        let push = Arc::new(RecordingPush::new());
        let jobs = Arc::new(MemoryJobs::new());
        let blobs = Arc::new(MemoryBlobs::new());
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
                .single()
                .unwrap_or_else(Utc::now),
        ));
        let deps = Deps {
            store: store.clone(),
            push: push.clone(),
            jobs: jobs.clone(),
            blobs: blobs.clone(),
            robots: Arc::new(ScriptedRobots::new(std::time::Duration::ZERO)),
            clock: clock.clone(),
            ids: Arc::new(CountingIds::default()),
        };
        let app = App::new(deps, config, PasswordHasher::with_cost(8, 1))
            .unwrap_or_else(|e| panic!("test app: {e}"));
        TestApp {
            app: Arc::new(app),
            store,
            push,
            jobs,
            clock,
            blobs,
            next_conn: Default::default(),
        }
    }

    /// Adds an employee whose password is `<username>-pass`.
    pub async fn employee(&self, username: &str, tier: Tier, roles: &[Role]) -> UserRecord {
        self.app
            .add_employee(
                crate::service::audit::Actor::Operator,
                NewEmployee {
                    username: username.into(),
                    password: format!("{username}-pass"),
                    tier,
                    roles: roles.to_vec(),
                    display_name: username.to_uppercase(),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("add {username}: {e}"))
    }

    /// Logs in and opens a connection; returns its id.
    pub async fn connect(&self, user: &UserRecord) -> ConnectionId {
        self.try_connect(user)
            .await
            .unwrap_or_else(|e| panic!("connect: {e}"))
    }

    /// Like [`connect`](Self::connect), returning a refused handshake's error.
    pub async fn try_connect(&self, user: &UserRecord) -> crate::CoreResult<ConnectionId> {
        let token = self
            .app
            .token_for(user)
            .unwrap_or_else(|e| panic!("token: {e}"))
            .token;
        let n = self
            .next_conn
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let id = ConnectionId::parse(format!("conn-{n}")).unwrap_or_else(|e| panic!("{e}"));
        self.app
            .connect(&Handshake {
                connection_id: Some(id.clone()),
                authorization: Some(format!("Bearer {token}")),
                ..Default::default()
            })
            .await?;
        Ok(id)
    }

    /// Sends `action` with `fields` and returns the reply frame.
    pub async fn call(&self, conn: &ConnectionId, action: &str, fields: Value) -> Value {
        let mut frame = json!({ "action": action, "requestId": "req" });
        if let (Some(obj), Value::Object(extra)) = (frame.as_object_mut(), fields) {
            obj.extend(extra);
        }
        self.app.handle_frame(conn, &frame.to_string()).await;
        let frames = self.push.take(conn);
        let (replies, others): (Vec<Value>, Vec<Value>) =
            frames.into_iter().partition(|f| f["type"] == "reply");
        // Put events back so tests can still read them.
        for f in others {
            self.push.push_back(conn, f);
        }
        replies
            .into_iter()
            .last()
            .unwrap_or_else(|| panic!("no reply to {action}"))
    }

    /// `data` of a successful reply.
    pub async fn ok(&self, conn: &ConnectionId, action: &str, fields: Value) -> Value {
        let reply = self.call(conn, action, fields).await;
        assert_eq!(reply["ok"], true, "{action} failed: {reply}");
        reply["data"].clone()
    }

    /// The error code of a refused request.
    pub async fn refused(&self, conn: &ConnectionId, action: &str, fields: Value) -> String {
        let reply = self.call(conn, action, fields).await;
        assert_eq!(reply["ok"], false, "{action} should be refused: {reply}");
        reply["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Redeems an invite code as a guest and opens a connection for them.
    pub async fn guest_joins(&self, code: &str, name: &str) -> (UserRecord, ConnectionId) {
        let resp = self
            .app
            .guest_login(&crate::protocol::http::GuestLoginRequest {
                invite_code: code.to_string(),
                display_name: name.to_string(),
            })
            .await
            .unwrap_or_else(|e| panic!("guest login: {e}"));
        let user = self
            .store
            .user_by_id(&resp.identity.user_id)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("guest not stored"));
        let conn = self.connect(&user).await;
        (user, conn)
    }

    /// A T1 employee `employee` in a new solo room about `customer`'s issue, with
    /// `customer` joined as its guest; every event so far is read away.
    pub async fn solo_room_with_guest(&self, employee: &str, customer: &str) -> GuestRoom {
        let staff = self.employee(employee, T1, &[]).await;
        let staff_conn = self.connect(&staff).await;
        let issue = json!({"title": format!("{customer}'s form"), "customerName": customer});
        let created = self
            .ok(
                &staff_conn,
                "room.create",
                json!({"kind": "solo", "title": format!("{customer}'s form"), "issue": issue}),
            )
            .await;
        let room = created["room"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let invited = self
            .ok(&staff_conn, "room.inviteGuest", json!({"roomId": room}))
            .await;
        let code = invited["inviteCode"].as_str().unwrap_or_default();
        let (guest, guest_conn) = self.guest_joins(code, customer).await;
        self.events(&staff_conn);
        self.events(&guest_conn);
        GuestRoom {
            employee: staff,
            employee_conn: staff_conn,
            guest,
            guest_conn,
            room,
        }
    }

    /// Runs every queued job once, as a worker would on its first delivery; returns
    /// how many ran. Jobs they enqueue wait for the next call.
    pub async fn run_jobs(&self) -> usize {
        let jobs = self.jobs.drain();
        for (job, _) in &jobs {
            self.app
                .run_job(job, crate::service::Attempt::new(1, 5))
                .await
                .unwrap_or_else(|e| panic!("job {job:?}: {e}"));
        }
        jobs.len()
    }

    /// Events (non-reply frames) received by `conn` since the last look.
    pub fn events(&self, conn: &ConnectionId) -> Vec<Value> {
        self.push.take(conn)
    }
}

impl Default for TestApp {
    fn default() -> Self {
        Self::new()
    }
}

/// Tier shorthand for tests.
pub const T1: Tier = Tier::T1;
pub const T2: Tier = Tier::T2;
pub const T3: Tier = Tier::T3;

/// What [`TestApp::solo_room_with_guest`] sets up.
pub struct GuestRoom {
    pub employee: UserRecord,
    pub employee_conn: ConnectionId,
    pub guest: UserRecord,
    pub guest_conn: ConnectionId,
    pub room: String,
}
