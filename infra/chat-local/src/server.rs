//! Starting and stopping the gateway.
//!
//! [`start`] prepares everything that can fail *before* serving — data folder, secrets,
//! listener, TLS files, storage — so that a bad flag is one clear error and no half-up
//! server. [`RunningGateway::shutdown`] stops in the order that loses nothing: stop
//! accepting, close sockets (each runs `$disconnect`), let in-flight handlers finish,
//! stop the worker, and drop the app so the SQLite store closes and checkpoints.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum_server::Handle;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use chat_core::ids::ConnectionId;
use chat_core::{App, CoreError};
use chat_embedded::blobs::FolderBlobs;
use chat_embedded::push::ConnectionHub;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;
use tracing::{info, warn};

use crate::accept::FirstByteAcceptor;
use crate::config::GatewayConfig;
use crate::functions::{Functions, LambdaInvoker};
use crate::http_bridge::{error_response, json_response};
use crate::secrets::{self, GATEWAY_ADDR_FILE, JWT_SIGNING_KEY_FILE, MANAGEMENT_KEY_FILE};
use crate::{api_docs, backend, blob_routes, demo, http_bridge, management, web_ui, ws};

/// How long in-flight HTTP requests and open sockets get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What every route handler shares.
pub(crate) struct Shared {
    /// Who answers the events: the handlers in this process, or Lambda functions.
    pub(crate) functions: Functions,
    pub(crate) hub: Arc<ConnectionHub>,
    pub(crate) management_key: String,
    /// Set at shutdown: new sockets are refused.
    pub(crate) shutting_down: Arc<AtomicBool>,
    pub(crate) tasks: TaskTracker,
}

/// Counts socket tasks: each holds a [`TaskGuard`]; shutdown waits until none is left.
#[derive(Clone)]
pub(crate) struct TaskTracker(mpsc::Sender<()>);

/// Held by a running socket task; dropping it (even by panic) checks the task out.
pub(crate) struct TaskGuard(#[allow(dead_code)] mpsc::Sender<()>);

impl TaskTracker {
    fn new() -> (Self, mpsc::Receiver<()>) {
        let (tx, rx) = mpsc::channel(1);
        (TaskTracker(tx), rx)
    }

    pub(crate) fn guard(&self) -> TaskGuard {
        TaskGuard(self.0.clone())
    }
}

/// A gateway serving in this process.
pub struct RunningGateway {
    local_addr: SocketAddr,
    management_key: String,
    data_dir: PathBuf,
    handle: Handle,
    server: JoinHandle<std::io::Result<()>>,
    hub: Arc<ConnectionHub>,
    shutting_down: Arc<AtomicBool>,
    tasks_done: mpsc::Receiver<()>,
    worker: JoinHandle<()>,
    stop_worker: watch::Sender<bool>,
    app: Weak<App>,
}

/// Starts a gateway; returns once it accepts connections.
pub async fn start(config: GatewayConfig) -> anyhow::Result<RunningGateway> {
    let data_dir = config.data_dir.clone();
    prepare_data_dir(&data_dir)?;

    let mut settings = config.settings.clone();
    if settings.signing_key.is_none() {
        let path = secrets::file(&data_dir, JWT_SIGNING_KEY_FILE);
        let key = secrets::signing_key(&path)
            .with_context(|| format!("cannot read or create {}", path.display()))?;
        settings.signing_key = Some(key);
    }
    let management_key = match &config.management_key {
        Some(key) => key.clone(),
        None => {
            let key_path = secrets::file(&data_dir, MANAGEMENT_KEY_FILE);
            secrets::load_or_create(&key_path)
                .with_context(|| format!("cannot read or create {}", key_path.display()))?
        }
    };

    let listener = std::net::TcpListener::bind(config.addr)
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let local_addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    let management_listener = match config.lambda.as_ref().and_then(|l| l.management_addr) {
        Some(addr) => Some(
            std::net::TcpListener::bind(addr)
                .with_context(|| format!("cannot listen on {addr} (--management-addr)"))?,
        ),
        None => None,
    };
    let tls = match &config.tls {
        Some((cert, key)) => Some(load_tls(cert, key).await?),
        None => None,
    };
    let invoker = match &config.lambda {
        Some(lambda) => Some(LambdaInvoker::new(&lambda.endpoint)?),
        None => None,
    };

    let mut origins = config.default_origins(local_addr.port());
    origins.append(&mut settings.allowed_origins);
    // Behind a proxy, the pages this gateway serves come from its public URL.
    if let Some(origin) = config.public_url.as_deref().and_then(origin_of) {
        origins.push(origin);
    }
    let mut seen = std::collections::HashSet::new();
    origins.retain(|o| seen.insert(o.clone()));
    settings.allowed_origins = origins;

    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    // Known only now: the address may have been port 0.
    let public_origin = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{}", reachable(local_addr)));
    let blob_urls = blob_routes::signer(&data_dir, &public_origin)?;

    let hub = Arc::new(ConnectionHub::new());
    let core_config = settings.core_config()?;
    let robots = settings.robots.registry().await?;
    let (stop_worker, stop_rx) = watch::channel(false);
    let (app, worker, blobs) = backend::open_for_gateway(
        &config.backend,
        &data_dir,
        core_config,
        hub.clone(),
        robots,
        invoker.clone(),
        blob_urls,
        stop_rx,
    )
    .await?;
    if config.demo {
        demo::seed(&app)
            .await
            .context("cannot create the demo accounts")?;
    }

    let shutting_down = Arc::new(AtomicBool::new(false));
    let (tasks, tasks_done) = TaskTracker::new();
    let functions = match invoker {
        Some(invoker) => Functions::Lambda(invoker),
        None => Functions::InProcess(Arc::clone(&app)),
    };
    let shared = Arc::new(Shared {
        functions,
        hub: Arc::clone(&hub),
        management_key: management_key.clone(),
        shutting_down: Arc::clone(&shutting_down),
        tasks,
    });
    if let Some(listener) = management_listener {
        serve_management_api(listener, Arc::clone(&shared))?;
    }
    let docs = api_docs::routes(&public_origin)?;
    let make_service =
        router(shared, blobs, docs).into_make_service_with_connect_info::<SocketAddr>();
    let handle = Handle::new();
    // TCP_NODELAY, and a connection must start talking within the header timeout
    // (accept.rs); hyper then times the headers themselves.
    let quiet_clients = FirstByteAcceptor::new(config.header_read_timeout);
    let mut plain = axum_server::from_tcp(listener).handle(handle.clone());
    plain
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    let server = match tls {
        Some(tls) => {
            let acceptor = RustlsAcceptor::new(tls).acceptor(quiet_clients);
            tokio::spawn(plain.acceptor(acceptor).serve(make_service))
        }
        None => tokio::spawn(plain.acceptor(quiet_clients).serve(make_service)),
    };
    if handle.listening().await.is_none() {
        let reason = match server.await {
            Ok(Err(e)) => e.to_string(),
            _ => "unknown error".to_string(),
        };
        anyhow::bail!("cannot serve on {local_addr}: {reason}");
    }

    let addr_file = secrets::file(&data_dir, GATEWAY_ADDR_FILE);
    if let Err(e) = std::fs::write(
        &addr_file,
        format!("{scheme}://{}\n", reachable(local_addr)),
    ) {
        warn!(error = %e, path = %addr_file.display(), "cannot record the gateway address; the admin CLI will not reach this gateway");
    }
    info!(
        addr = %local_addr,
        data_dir = %data_dir.display(),
        tls = config.tls.is_some(),
        demo = config.demo,
        rate_limit = config.settings.rate_limit,
        lambda_endpoint = config.lambda.as_ref().map(|l| l.endpoint.as_str()),
        "chat-local listening on {scheme}://{local_addr} (WebSocket at /ws)"
    );

    Ok(RunningGateway {
        local_addr,
        management_key,
        data_dir,
        handle,
        server,
        hub,
        shutting_down,
        tasks_done,
        worker,
        stop_worker,
        app: Arc::downgrade(&app),
    })
}

impl RunningGateway {
    /// The bound address (the real port when the config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The key the Management API requires (header `x-chat-management-key`).
    pub fn management_key(&self) -> &str {
        &self.management_key
    }

    /// Ids of the sockets open right now, oldest first. Clients never see their
    /// connection id; tests and tools use this with the Management API.
    pub fn connection_ids(&self) -> Vec<ConnectionId> {
        self.hub.ids()
    }

    /// Stops gracefully: no new connections, sockets closed (each gets `$disconnect`),
    /// in-flight handlers finished, storage closed.
    pub async fn shutdown(mut self) {
        info!("shutting down");
        self.shutting_down.store(true, Ordering::SeqCst);
        self.handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
        let closing = self.hub.close_all();
        info!(sockets = closing, "closing sockets");
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(error = %e, "server stopped with an error"),
            Err(e) => warn!(error = %e, "server task failed"),
        }
        // A handshake that was already past the listener may have opened a socket
        // after the first sweep.
        self.hub.close_all();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.tasks_done.recv())
            .await
            .is_err()
        {
            warn!("some sockets did not close in time");
        }
        let _ = self.stop_worker.send(true);
        let _ = self.worker.await;
        let addr_file = secrets::file(&self.data_dir, GATEWAY_ADDR_FILE);
        if let Err(e) = std::fs::remove_file(&addr_file) {
            warn!(error = %e, path = %addr_file.display(), "cannot remove the gateway address file");
        }
        if self.app.upgrade().is_some() {
            warn!("the app is still referenced after shutdown; storage closes when it is released");
        }
        info!("stopped");
    }
}

/// The Management API alone on its own listener (local Lambda mode). It lives as
/// long as the process: it only forwards into the hub, which outlives every socket.
fn serve_management_api(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
) -> anyhow::Result<()> {
    listener
        .set_nonblocking(true)
        .context("cannot configure the management listener")?;
    let addr = listener
        .local_addr()
        .context("management listener address")?;
    let listener =
        tokio::net::TcpListener::from_std(listener).context("cannot serve the Management API")?;
    let app = management_routes(Router::new())
        .layer(TraceLayer::new_for_http())
        .with_state(shared);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            warn!(error = %e, "the Management API listener stopped");
        }
    });
    info!(%addr, "Management API also served on its own address");
    Ok(())
}

fn management_routes(router: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    router.route(
        "/@connections/{id}",
        get(management::get)
            .post(management::post)
            .delete(management::delete),
    )
}

fn router(
    shared: Arc<Shared>,
    blobs: Option<Arc<FolderBlobs>>,
    docs: Router<Arc<Shared>>,
) -> Router {
    let mut routes = management_routes(Router::new())
        .route("/healthz", get(healthz))
        .route("/ws", get(ws::upgrade))
        .merge(docs)
        .merge(web_ui::routes());
    // The folder store's URLs; S3 serves its own.
    if let Some(blobs) = blobs {
        routes = routes.merge(blob_routes::routes(blobs));
    }
    routes
        .fallback(http_bridge::handle)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(TraceLayer::new_for_http())
        .with_state(shared)
}

async fn healthz() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
}

/// Same answer `fn_auth` gives a known path with the wrong method.
async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    error_response(&CoreError::not_found(format!(
        "{method} is not supported on {}",
        uri.path()
    )))
}

/// Creates the data folder and proves it writable, so a bad `--data-dir` fails here
/// with its name rather than later inside SQLite. A folder we create is owner-only
/// (0700): it holds password hashes and the signing key. An existing folder keeps the
/// permissions its operator gave it.
fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create data folder {}", dir.display()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("data folder {} is not writable", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

async fn load_tls(cert: &Path, key: &Path) -> anyhow::Result<RustlsConfig> {
    // Only the ring provider is compiled in; make it the process default explicitly so
    // rustls never has to guess. An error means one is installed already: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    for (what, path) in [("certificate", cert), ("key", key)] {
        std::fs::metadata(path)
            .with_context(|| format!("cannot read TLS {what} {}", path.display()))?;
    }
    RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "invalid TLS certificate {} or key {}",
                cert.display(),
                key.display()
            )
        })
}

/// `scheme://host[:port]` of a URL: what a browser sends as `Origin` for its pages.
fn origin_of(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
}

/// An address a local client can dial: the wildcard becomes loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => info!("SIGINT received"),
        _ = term => info!("SIGTERM received"),
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn a_public_url_gives_its_origin() {
        assert_eq!(
            origin_of("https://chat.example:8443/support").as_deref(),
            Some("https://chat.example:8443")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("not a url"), None);
    }
}
