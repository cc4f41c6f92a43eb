//! An [`App`] on the embedded adapters: SQLite store, local-folder blobs, in-process
//! job queue. The caller chooses `Push`: the local gateway passes its
//! [`ConnectionHub`]; the admin CLI a [`ManagementApiPush`] to the running gateway.
//!
//! Layout of a data folder: `chat.db` (SQLite, WAL; also holds the durable job
//! queue), `blobs/` (file content).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chat_core::auth::PasswordHasher;
use chat_core::ports::{Push, SystemClock, UlidGen};
use chat_core::{App, Config, Deps};
use chat_embedded::blobs::FolderBlobs;
use chat_embedded::jobs::{self, JobReceiver};
use chat_embedded::push::{ConnectionHub, ManagementApiPush};
use chat_embedded::sqlite::SqliteStore;
use tracing::{info, warn};

use crate::settings::{ConfigError, Settings};

/// The SQLite file inside a data folder.
pub const DB_FILE: &str = "chat.db";
/// The blob folder inside a data folder.
pub const BLOB_DIR: &str = "blobs";
/// Lambda's only writable place; the placeholder backend until the AWS issue.
pub const DEFAULT_LAMBDA_DATA_DIR: &str = "/tmp/chat-data";

/// An assembled app, the receiving end of its job queue (run a worker on it, or drop
/// it: queued jobs stay stored), and a handle on the store for process-level chores.
/// Drop every part to close the database.
pub struct EmbeddedApp {
    pub app: Arc<App>,
    pub jobs: JobReceiver,
    pub store: SqliteStore,
}

/// Opens (creating if needed) the data folder's storage and assembles the app. The
/// job queue is the durable one: jobs survive a restart.
pub async fn build(
    data_dir: &Path,
    config: Config,
    push: Arc<dyn Push>,
) -> Result<EmbeddedApp, ConfigError> {
    let store = SqliteStore::open(&data_dir.join(DB_FILE))?;
    let blobs = FolderBlobs::new(data_dir.join(BLOB_DIR))?;
    let (job_queue, receiver) = jobs::durable_channel(&store).await?;
    let deps = Deps {
        store: Arc::new(store.clone()),
        push,
        jobs: Arc::new(job_queue),
        blobs: Arc::new(blobs),
        clock: Arc::new(SystemClock),
        ids: Arc::new(UlidGen),
    };
    let app = App::new(deps, config, PasswordHasher::production())?;
    Ok(EmbeddedApp {
        app: Arc::new(app),
        jobs: receiver,
        store,
    })
}

/// The Lambda functions' app until the AWS adapters exist: embedded storage in
/// `CHAT_DATA_DIR` (default `/tmp/chat-data`), settings from the environment, and
/// pushes through `CHAT_MANAGEMENT_ENDPOINT` (+ `CHAT_MANAGEMENT_KEY`) when set — e.g.
/// a local gateway, so `cargo lambda watch` can share its sockets — otherwise nowhere
/// (every push reports the connection gone).
pub async fn lambda_app_from_env() -> Result<EmbeddedApp, ConfigError> {
    let settings = Settings::from_env()?;
    let data_dir = std::env::var("CHAT_DATA_DIR")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_LAMBDA_DATA_DIR));
    std::fs::create_dir_all(&data_dir).map_err(|e| ConfigError::Invalid {
        name: "CHAT_DATA_DIR",
        reason: format!("cannot create {}: {e}", data_dir.display()),
    })?;
    let push: Arc<dyn Push> = match std::env::var("CHAT_MANAGEMENT_ENDPOINT") {
        Ok(endpoint) if !endpoint.trim().is_empty() => {
            let key = std::env::var("CHAT_MANAGEMENT_KEY")
                .map_err(|_| ConfigError::Missing("CHAT_MANAGEMENT_KEY"))?;
            let push = ManagementApiPush::new(endpoint, key).map_err(|e| ConfigError::Invalid {
                name: "CHAT_MANAGEMENT_ENDPOINT",
                reason: e.to_string(),
            })?;
            Arc::new(push)
        }
        _ => Arc::new(ConnectionHub::new()),
    };
    build(&data_dir, settings.core_config()?, push).await
}

/// Drains a job queue nobody serves yet, logging each job. No job kinds are produced
/// in this version; robot work gets a real worker in a later issue.
pub async fn discard_jobs(mut receiver: JobReceiver) {
    while let Some(job) = receiver.recv().await {
        warn!(?job, "job dropped: no worker handles it in this process");
        receiver.ack().await;
    }
    info!("job queue closed");
}
