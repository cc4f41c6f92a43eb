//! [`TestServer`]: a local gateway started in-process on `127.0.0.1:0` with its own
//! data folder; HTTP helpers, logins, token minting, handshakes and the admin's revoke.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chat_local::backend::BackendChoice;
use chat_local::{GatewayConfig, RunningGateway};
use chat_wiring::Backend;
use serde_json::{Map, Value, json};

use crate::tokens::{decode_claims, sign_claims};
use crate::ws::{Refusal, Ws};
use crate::{TIMEOUT, demo_password};

/// What a test may choose about its gateway; turned into a [`GatewayConfig`] at every
/// (re)start, so a restart reuses the data folder and settings on a fresh port.
#[derive(Debug, Clone)]
pub struct Options {
    pub data_dir: PathBuf,
    /// Create the PROTOCOL §0 demo users if absent (default `true`).
    pub demo: bool,
    /// Actions per second per connection (burst 2N, `0` = off); default 20.
    pub rate_limit: u32,
    /// Browser origins allowed on the WebSocket handshake (default none).
    pub allowed_origins: Vec<String>,
    /// Lifetime of guest invite codes; `None` keeps the gateway's default (24 h).
    pub invite_ttl: Option<Duration>,
    /// Embedded by default; `CHAT_E2E_BACKEND=aws` runs the same tests on the AWS
    /// adapters against a moto server, each gateway with its own table/queue/bucket.
    pub backend: BackendChoice,
    /// Variables the gateway would read from its environment, as `(name, value)`;
    /// only the robot ones (`CHAT_ROBOT_TIMEOUT_SECONDS`, `CHAT_OFFLINE_PACE_MS`, …, see
    /// `chat_wiring::robot_settings`), the issue ones (`CHAT_GUEST_AWAY_SECONDS`,
    /// `CHAT_ISSUE_CAPS`) and the file ones (`CHAT_UPLOAD_URL_SECONDS`, …) are applied.
    /// Empty: the defaults.
    pub env: Vec<(String, String)>,
}

impl Options {
    fn new(data_dir: &Path) -> Options {
        let defaults = GatewayConfig::new(loopback(), data_dir.to_path_buf());
        Options {
            data_dir: data_dir.to_path_buf(),
            demo: true,
            rate_limit: defaults.settings.rate_limit,
            allowed_origins: defaults.settings.allowed_origins,
            invite_ttl: None,
            backend: backend_from_env(data_dir),
            env: Vec::new(),
        }
    }

    fn gateway_config(&self) -> GatewayConfig {
        let mut config = GatewayConfig::new(loopback(), self.data_dir.clone());
        config.demo = self.demo;
        config.settings.rate_limit = self.rate_limit;
        config.settings.allowed_origins = self.allowed_origins.clone();
        if let Some(ttl) = self.invite_ttl {
            config.settings.invite_ttl =
                chrono::Duration::from_std(ttl).expect("an invite lifetime in range");
        }
        config.backend = self.backend.clone();
        if !self.env.is_empty() {
            let lookup = |name: &str| {
                self.env
                    .iter()
                    .rev()
                    .find(|(k, v)| k == name && !v.trim().is_empty())
                    .map(|(_, v)| v.clone())
            };
            config.settings.robots = chat_wiring::robot_settings::RobotSetup::from_lookup(&lookup)
                .unwrap_or_else(|e| panic!("gateway variables {:?}: {e}", self.env));
            // The issue settings too (`CHAT_GUEST_AWAY_SECONDS`, `CHAT_ISSUE_CAPS`).
            let parsed = chat_wiring::Settings::from_lookup(lookup)
                .unwrap_or_else(|e| panic!("gateway variables {:?}: {e}", self.env));
            config.settings.guest_away = parsed.guest_away;
            config.settings.issue_caps = parsed.issue_caps;
            config.settings.files = parsed.files;
        }
        config
    }
}

/// A local gateway running in this process, with its data folder.
pub struct TestServer {
    gateway: Option<RunningGateway>,
    options: Options,
    addr: SocketAddr,
    http: reqwest::Client,
    // Dropped last: the folder outlives the gateway that writes into it.
    _own_dir: Option<tempfile::TempDir>,
}

/// The variable choosing the backend the end-to-end tests run on.
pub const BACKEND_VAR: &str = "CHAT_E2E_BACKEND";

/// Whether these tests run on the AWS adapters (moto), where some checks differ: moto
/// does not enforce what a pre-signed URL is bound to, so only `complete` refuses.
pub fn on_aws() -> bool {
    std::env::var(BACKEND_VAR).as_deref() == Ok("aws")
}

/// The backend for a gateway on `data_dir`. On AWS the resources are named after the
/// folder, so a gateway restarted on the same folder finds the same table (as the
/// embedded one finds the same SQLite file) and tests on different folders never share.
fn backend_from_env(data_dir: &Path) -> BackendChoice {
    match std::env::var(BACKEND_VAR).as_deref() {
        Ok("aws") => BackendChoice {
            backend: Backend::Aws,
            aws_endpoint: Some(chat_aws::testkit::endpoint()),
            resource_prefix: Some(format!("e2e-{}", folder_tag(data_dir))),
        },
        Ok("") | Ok("embedded") | Err(_) => BackendChoice::default(),
        Ok(other) => panic!("{BACKEND_VAR}={other:?}: expected `embedded` or `aws`"),
    }
}

/// A short, stable tag for a folder, usable in table, queue and bucket names.
fn folder_tag(dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    format!("{:016x}", h.finish())
}

fn owned_env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

impl TestServer {
    /// A demo gateway (PROTOCOL §0 users) with default limits in a fresh temp folder.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Like [`start`](Self::start), with the configuration adjusted by `tweak`
    /// (e.g. `|c| c.rate_limit = 0`).
    pub async fn start_with(tweak: impl FnOnce(&mut Options)) -> TestServer {
        let dir = tempfile::Builder::new()
            .prefix("chat-e2e-")
            .tempdir()
            .expect("create a temp data folder");
        let mut options = Options::new(dir.path());
        tweak(&mut options);
        let mut server = Self::launch(options).await;
        server._own_dir = Some(dir);
        server
    }

    /// Like [`start`](Self::start), with variables the gateway reads from its
    /// environment (see [`Options::env`]), e.g. `&[("CHAT_OFFLINE_PACE_MS", "5")]`.
    pub async fn start_with_env(vars: &[(&str, &str)]) -> TestServer {
        let env = owned_env(vars);
        Self::start_with(|o| o.env = env).await
    }

    /// A demo gateway on an existing data folder (kept after the test).
    pub async fn start_in(dir: &Path) -> TestServer {
        Self::launch(Options::new(dir)).await
    }

    async fn launch(options: Options) -> TestServer {
        let gateway = tokio::time::timeout(TIMEOUT, chat_local::start(options.gateway_config()))
            .await
            .expect("gateway did not start within the timeout")
            .expect("gateway failed to start");
        let addr = gateway.local_addr();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .expect("build an HTTP client");
        let server = TestServer {
            gateway: Some(gateway),
            options,
            addr,
            http,
            _own_dir: None,
        };
        server.wait_healthy().await;
        server
    }

    async fn wait_healthy(&self) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "/healthz did not answer 200 within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The options the next [`restart`](Self::restart) will use.
    pub fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.options.data_dir
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The running gateway (e.g. for its management key).
    pub fn gateway(&self) -> &RunningGateway {
        self.gateway.as_ref().expect("the gateway is stopped")
    }

    /// Stops the gateway gracefully (open sockets are closed).
    pub async fn stop(&mut self) {
        if let Some(g) = self.gateway.take() {
            tokio::time::timeout(TIMEOUT, g.shutdown())
                .await
                .expect("gateway did not shut down within the timeout");
        }
    }

    /// Shuts the gateway down and starts a new one on the same data folder (and a new
    /// port: callers use [`addr`](Self::addr) / [`ws_url`](Self::ws_url) afterwards).
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut fresh = Self::launch(self.options.clone()).await;
        self.gateway = fresh.gateway.take();
        self.addr = fresh.addr;
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    // ---- HTTP ------------------------------------------------------------------------

    /// Sends a JSON request; returns the status and the JSON body (`{"_raw": text}` when
    /// the body is not JSON, `{}` when empty).
    pub async fn http(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (u16, Value) {
        let raw = body.map(|b| b.to_string());
        self.http_raw(method, path, raw.as_deref(), token).await
    }

    /// Like [`http`](Self::http) with a literal body (for malformed JSON).
    pub async fn http_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        token: Option<&str>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("HTTP request failed");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("read the HTTP body");
        let json = if text.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| json!({ "_raw": text }))
        };
        (status, json)
    }

    /// Logs a demo user in with their demo password; returns the token.
    pub async fn login(&self, user: &str) -> String {
        let (status, body) = self
            .http(
                "POST",
                "/auth/login",
                Some(json!({"username": user, "password": demo_password(user)})),
                None,
            )
            .await;
        assert_eq!(status, 200, "login {user}: {body}");
        body["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login {user}: no token in {body}"))
            .to_string()
    }

    /// The user id behind a token (`GET /me`).
    pub async fn user_id(&self, token: &str) -> String {
        let (status, me) = self.http("GET", "/me", None, Some(token)).await;
        assert_eq!(status, 200, "/me: {me}");
        me["identity"]["userId"]
            .as_str()
            .unwrap_or_else(|| panic!("/me without identity.userId: {me}"))
            .to_string()
    }

    /// Logs in and opens a socket: `(token, user id, connection)`.
    pub async fn user(&self, name: &str) -> (String, String, Ws) {
        let token = self.login(name).await;
        let id = self.user_id(&token).await;
        let ws = self.ws(&token).await;
        (token, id, ws)
    }

    /// `POST /auth/guest {inviteCode, displayName}`: the status and the body.
    pub async fn guest_login(&self, invite_code: &str, display_name: &str) -> (u16, Value) {
        self.http(
            "POST",
            "/auth/guest",
            Some(json!({"inviteCode": invite_code, "displayName": display_name})),
            None,
        )
        .await
    }

    /// Redeems an invite code and opens the guest's socket: `(token, user id, room id,
    /// connection)`; panics unless the code is accepted.
    pub async fn guest(
        &self,
        invite_code: &str,
        display_name: &str,
    ) -> (String, String, String, Ws) {
        let (status, body) = self.guest_login(invite_code, display_name).await;
        assert_eq!(status, 200, "POST /auth/guest: {body}");
        let field = |v: &Value| {
            v.as_str()
                .unwrap_or_else(|| panic!("POST /auth/guest: incomplete answer {body}"))
                .to_string()
        };
        let token = field(&body["token"]);
        let id = field(&body["identity"]["userId"]);
        let room = field(&body["roomId"]);
        let ws = self.ws(&token).await;
        (token, id, room, ws)
    }

    // ---- WebSocket -------------------------------------------------------------------

    /// Opens a socket with `Authorization: Bearer <token>`; panics if refused.
    pub async fn ws(&self, token: &str) -> Ws {
        match self
            .try_ws(None, &[("authorization", &format!("Bearer {token}"))])
            .await
        {
            Ok(ws) => ws,
            Err(r) => panic!("handshake refused: {} {}", r.status, r.body),
        }
    }

    /// Attempts a handshake to `/ws` (plus `query`, e.g. `"ticket=…"`) with extra headers.
    pub async fn try_ws(
        &self,
        query: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Ws, Refusal> {
        let url = match query {
            Some(q) => format!("{}?{q}", self.ws_url()),
            None => self.ws_url(),
        };
        Ws::connect_to(&url, headers).await
    }

    // ---- administration --------------------------------------------------------------

    /// Revokes every token of `username` the way an admin does (`chat-local users
    /// revoke`: the admin path on this data folder, which reaches the running gateway
    /// through its Management API); the gateway must close the user's open sockets.
    pub async fn revoke_tokens(&self, username: &str) {
        let command = chat_local::admin_cli::UsersCommand::Revoke {
            user: username.to_string(),
        };
        let mut out = Vec::new();
        let mut no_input = std::io::empty();
        let run = chat_local::admin_cli::run_users(
            self.data_dir(),
            &self.options.backend,
            command,
            &mut no_input,
            &mut out,
        );
        tokio::time::timeout(TIMEOUT, run)
            .await
            .expect("users revoke did not finish within the timeout")
            .unwrap_or_else(|e| panic!("users revoke {username}: {e:#}"));
    }

    // ---- tokens ----------------------------------------------------------------------

    /// The key the gateway signs tokens with: `CHAT_JWT_SIGNING_KEY` if set, else the
    /// one kept in `<data_dir>/jwt-signing.key`.
    pub fn signing_key(&self) -> chat_core::auth::SigningKey {
        let encoded = match std::env::var("CHAT_JWT_SIGNING_KEY") {
            Ok(s) => s,
            Err(_) => {
                let path = self.data_dir().join("jwt-signing.key");
                std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
            }
        };
        chat_core::auth::SigningKey::from_base64(&encoded).expect("the gateway's signing key")
    }

    /// Mints a token signed with the gateway's own key, starting from the claims of
    /// `real_token` (decoded without verification) changed by `edit`. This is how tests
    /// make tokens that are valid in every respect but one.
    pub fn mint(&self, real_token: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut claims = decode_claims(real_token);
        edit(&mut claims);
        sign_claims(&claims, &self.signing_key())
    }
}

// ---- a gateway in a child process (for SIGKILL) --------------------------------------

/// The data folder the child gateway binary (`chat-e2e-child-gateway`) serves (see
/// [`TestServer::start_child`]).
pub const CHILD_DIR_VAR: &str = "CHAT_E2E_CHILD_DATA_DIR";

/// A gateway running in a child process: the only way to crash a gateway for real
/// (SIGKILL), with no graceful shutdown, no flushing and no acknowledgements. Dropping
/// it kills the process too.
pub struct ChildGateway {
    child: std::process::Child,
}

impl ChildGateway {
    /// SIGKILL (on Unix, `Child::kill` sends it), then reaps the process.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildGateway {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

impl TestServer {
    /// Starts a demo gateway in a child process on a fresh data folder: `child_exe` is
    /// this package's `chat-e2e-child-gateway` binary (a test passes
    /// `env!("CARGO_BIN_EXE_chat-e2e-child-gateway")`), whose body is [`serve_child`].
    /// `vars` are given to the child gateway as with
    /// [`start_with_env`](Self::start_with_env). The returned server talks to the child;
    /// after [`ChildGateway::kill_hard`], [`restart`](Self::restart) starts a gateway in
    /// this process on the same folder (and, on AWS, the same resources and emulator).
    pub async fn start_child(child_exe: &str, vars: &[(&str, &str)]) -> (TestServer, ChildGateway) {
        let dir = tempfile::Builder::new()
            .prefix("chat-e2e-")
            .tempdir()
            .expect("create a temp data folder");
        let mut options = Options::new(dir.path());
        options.env = owned_env(vars);
        let mut command = std::process::Command::new(child_exe);
        command
            .env(CHILD_DIR_VAR, dir.path())
            // The child exits when this pipe closes: a parent that dies takes it along.
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null());
        for (k, v) in vars {
            command.env(k, v);
        }
        if let Some(endpoint) = &options.backend.aws_endpoint {
            // The same emulator as this process (not one of its own that dies with it).
            command.env(chat_aws::testkit::ENDPOINT_VAR, endpoint);
        }
        let child = ChildGateway {
            child: command.spawn().expect("start the child gateway"),
        };
        let addr_file = dir.path().join(chat_local::secrets::GATEWAY_ADDR_FILE);
        let deadline = tokio::time::Instant::now() + TIMEOUT * 3;
        let addr = loop {
            let text = std::fs::read_to_string(&addr_file).unwrap_or_default();
            if let Some(addr) = text
                .trim()
                .strip_prefix("http://")
                .and_then(|a| a.parse::<SocketAddr>().ok())
            {
                break addr;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the child gateway did not write {} in time",
                addr_file.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .expect("build an HTTP client");
        let server = TestServer {
            gateway: None,
            options,
            addr,
            http,
            _own_dir: Some(dir),
        };
        server.wait_healthy().await;
        (server, child)
    }
}

/// The body of the `chat-e2e-child-gateway` binary [`TestServer::start_child`] runs:
/// serves a demo gateway on `dir` until killed (or until the parent's pipe closes).
pub async fn serve_child(dir: &Path) {
    std::thread::spawn(|| {
        use std::io::Read;
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
    let mut options = Options::new(dir);
    options.env = std::env::vars()
        .filter(|(k, _)| k.starts_with("CHAT_"))
        .collect();
    let _server = TestServer::launch(options).await;
    std::future::pending::<()>().await;
}
