//! Where the gateway and the admin CLI keep their state: the one place `chat-local`
//! picks its adapters.
//!
//! - **embedded** (default): SQLite and a blob folder in the data folder, the durable
//!   in-process job queue and its worker.
//! - **aws** (`--backend aws`, `CHAT_BACKEND=aws`): DynamoDB, S3 and SQS — an emulator
//!   at `--aws-endpoint` / `CHAT_AWS_ENDPOINT`, or real AWS with the usual credentials.
//!   Against an emulator, missing resources are created first; against real AWS the
//!   deployed names must be given (`CHAT_TABLE`, `CHAT_JOBS_QUEUE_URL`, …). Jobs are taken from SQS by an in-process
//!   poller, as the event source mapping feeds the worker Lambda on AWS.
//!
//! Either way the gateway plays API Gateway, so pushes go to its own sockets. In the
//! local Lambda mode (AWS backend only: the functions are separate processes and
//! must share the state) the queue's batches go to the worker function instead.
//!
//! The embedded adapters are assembled here and nowhere else: the Lambda functions'
//! wiring (`chat-wiring`) must never link them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use chat_aws::jobs::{Delivery, NOT_BEFORE_ATTRIBUTE};
use chat_core::auth::PasswordHasher;
use chat_core::blob_url::UrlSigner;
use chat_core::ports::{Push, Robots, SystemClock, UlidGen};
use chat_core::{App, Config, Deps};
use chat_embedded::blobs::FolderBlobs;
use chat_embedded::jobs::{self, JobReceiver};
use chat_embedded::sqlite::SqliteStore;
use chat_wiring::{AwsEnv, Backend};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::functions::LambdaInvoker;
use crate::worker;

/// The SQLite file inside a data folder (also holds the durable job queue).
pub const DB_FILE: &str = "chat.db";
/// The blob folder inside a data folder.
pub const BLOB_DIR: &str = "blobs";

/// An app on the embedded adapters in `data_dir`, the receiving end of its durable
/// job queue, and the store (for process-level chores).
async fn embedded_app(
    data_dir: &Path,
    config: Config,
    push: Arc<dyn Push>,
    robots: Arc<dyn Robots>,
    blob_urls: Option<Arc<UrlSigner>>,
) -> anyhow::Result<(Arc<App>, JobReceiver, SqliteStore, Arc<FolderBlobs>)> {
    let where_ = || format!("cannot open storage in {}", data_dir.display());
    let store = SqliteStore::open(&data_dir.join(DB_FILE)).with_context(where_)?;
    let mut blobs = FolderBlobs::new(data_dir.join(BLOB_DIR)).with_context(where_)?;
    if let Some(urls) = blob_urls {
        blobs = blobs.with_urls(urls);
    }
    let blobs = Arc::new(blobs);
    let (job_queue, receiver) = jobs::durable_channel(&store).await.with_context(where_)?;
    let deps = Deps {
        store: Arc::new(store.clone()),
        push,
        jobs: Arc::new(job_queue),
        blobs: Arc::clone(&blobs) as Arc<dyn chat_core::ports::Blobs>,
        robots,
        clock: Arc::new(SystemClock),
        ids: Arc::new(UlidGen),
    };
    let app = App::new(deps, config, PasswordHasher::production())?;
    Ok((Arc::new(app), receiver, store, blobs))
}

/// The backend flags, shared by `serve` and `users`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendChoice {
    pub backend: Backend,
    /// Overrides `CHAT_AWS_ENDPOINT` for the AWS backend.
    pub aws_endpoint: Option<String>,
    /// Names the table `{prefix}`, the queue `{prefix}-jobs` and the bucket
    /// `{prefix}-files` instead of the environment's names: tests give every gateway
    /// its own resources on one shared emulator.
    pub resource_prefix: Option<String>,
}

impl BackendChoice {
    fn aws_env(&self) -> AwsEnv {
        let mut env = AwsEnv::from_env();
        if let Some(endpoint) = &self.aws_endpoint {
            env.target.endpoint = Some(endpoint.trim_end_matches('/').to_string());
        }
        if let Some(prefix) = &self.resource_prefix {
            env.target.table = prefix.clone();
            env.queue_name = format!("{prefix}-jobs");
            env.target.queue_url = String::new();
            env.target.bucket = format!("{prefix}-files");
        }
        env
    }
}

/// An app for the gateway plus its running job worker (stopped by `stop`). With
/// `lambda`, queued jobs go to the worker function rather than to this process's app.
/// On the embedded backend, also the blob folder (its URLs signed by `blob_urls`, for
/// the gateway to serve) and its sweeper, stopped by `stop` too.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn open_for_gateway(
    choice: &BackendChoice,
    data_dir: &Path,
    config: Config,
    push: Arc<dyn Push>,
    robots: Arc<dyn Robots>,
    lambda: Option<LambdaInvoker>,
    blob_urls: Arc<UrlSigner>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<(Arc<App>, JoinHandle<()>, Option<Arc<FolderBlobs>>)> {
    // A job is hidden this long once received: a little over the longest it may run,
    // so a gateway killed mid-answer gets the job back soon after it restarts.
    let answer_timeout = config.robots.answer_timeout;
    let job_visibility = answer_timeout + (answer_timeout / 2).max(Duration::from_secs(5));
    match choice.backend {
        Backend::Embedded => {
            anyhow::ensure!(
                lambda.is_none(),
                "the local Lambda mode needs --backend aws: the functions run in other \
                 processes and cannot open this gateway's SQLite file"
            );
            let (app, jobs, store, blobs) =
                embedded_app(data_dir, config, push, robots, Some(blob_urls)).await?;
            crate::blob_routes::spawn_sweeper(Arc::clone(&blobs), stop.clone());
            // Sockets do not survive a restart: rows left by the last run would show
            // users online and waste pushes.
            let stale = store
                .clear_connections()
                .await
                .map_err(|e| anyhow::anyhow!("cannot clear stale connections: {e}"))?;
            if stale > 0 {
                info!(stale, "forgot connections left by the previous run");
            }
            drop(store);
            let worker = tokio::spawn(worker::run(Arc::clone(&app), jobs, stop));
            Ok((app, worker, Some(blobs)))
        }
        Backend::Aws => {
            let clients = chat_wiring::aws::connect_or_provision(&choice.aws_env())
                .await
                .context("cannot prepare the AWS resources")?;
            // Connections a previous run left in the table get `Gone` from this
            // gateway's push on first use and are deleted then (as on AWS).
            let aws = chat_wiring::aws::build(&clients, config, Some(push), robots)?;
            info!(
                endpoint = clients.target.endpoint.as_deref().unwrap_or("AWS"),
                table = %clients.target.table,
                queue = %clients.target.queue_url,
                bucket = %clients.target.bucket,
                "storage on the AWS backend"
            );
            let poller = chat_aws::jobs::SqsJobPoller::from_clients(&clients)
                .with_visibility(job_visibility);
            let worker = match lambda {
                None => tokio::spawn(chat_aws::jobs::run_worker(
                    Arc::clone(&aws.app),
                    poller,
                    stop,
                )),
                // As the event source mapping does: each batch is one invocation.
                Some(invoker) => tokio::spawn(chat_aws::jobs::run_worker_with(
                    poller,
                    stop,
                    move |batch| {
                        let invoker = invoker.clone();
                        async move {
                            let response = invoker.run_jobs(sqs_event(&batch)).await;
                            response
                                .batch_item_failures
                                .into_iter()
                                .map(|f| f.item_identifier)
                                .collect()
                        }
                    },
                )),
            };
            Ok((aws.app, worker, None))
        }
    }
}

/// The event SQS would hand the worker function for `batch`.
fn sqs_event(batch: &[Delivery]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = batch
        .iter()
        .map(|d| {
            let mut record = SqsMessage::default();
            record.message_id = Some(d.message_id.clone());
            record.body = Some(d.body.clone());
            record.event_source = Some("aws:sqs".into());
            record.attributes.insert(
                "ApproximateReceiveCount".into(),
                d.receive_count.to_string(),
            );
            if let Some(ms) = d.not_before_ms {
                let mut attribute = SqsMessageAttribute::default();
                attribute.string_value = Some(ms.to_string());
                attribute.data_type = Some("Number".into());
                record
                    .message_attributes
                    .insert(NOT_BEFORE_ATTRIBUTE.to_string(), attribute);
            }
            record
        })
        .collect();
    event
}

/// An app for one admin command. Jobs it enqueues are left for the gateway's worker.
pub(crate) async fn open_for_admin(
    choice: &BackendChoice,
    data_dir: &Path,
    config: Config,
    push: Arc<dyn Push>,
    robots: Arc<dyn Robots>,
) -> anyhow::Result<Arc<App>> {
    match choice.backend {
        Backend::Embedded => {
            // No URL signer: admin commands hand out no upload or download URLs.
            let (app, jobs, store, _) = embedded_app(data_dir, config, push, robots, None).await?;
            drop(jobs);
            drop(store);
            Ok(app)
        }
        Backend::Aws => {
            let clients = chat_wiring::aws::connect_or_provision(&choice.aws_env())
                .await
                .context("cannot prepare the AWS resources")?;
            // With a deployed WebSocket API named, revoking or disabling closes the
            // user's sockets there; otherwise through the local gateway (if running).
            let push = match clients.target.management_endpoint {
                Some(_) => None,
                None => Some(push),
            };
            Ok(chat_wiring::aws::build(&clients, config, push, robots)?.app)
        }
    }
}
