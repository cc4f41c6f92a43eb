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
//! Either way the gateway plays API Gateway, so pushes go to its own sockets.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chat_config::{AwsEnv, Backend};
use chat_core::ports::Push;
use chat_core::{App, Config};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::worker;

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

/// An app for the gateway plus its running job worker (stopped by `stop`).
pub(crate) async fn open_for_gateway(
    choice: &BackendChoice,
    data_dir: &Path,
    config: Config,
    push: Arc<dyn Push>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<(Arc<App>, JoinHandle<()>)> {
    match choice.backend {
        Backend::Embedded => {
            let backend = chat_config::embedded::build(data_dir, config, push)
                .await
                .with_context(|| format!("cannot open storage in {}", data_dir.display()))?;
            // Sockets do not survive a restart: rows left by the last run would show
            // users online and waste pushes.
            let stale = backend
                .store
                .clear_connections()
                .await
                .map_err(|e| anyhow::anyhow!("cannot clear stale connections: {e}"))?;
            if stale > 0 {
                info!(stale, "forgot connections left by the previous run");
            }
            drop(backend.store);
            let app = backend.app;
            let worker = tokio::spawn(worker::run(Arc::clone(&app), backend.jobs, stop));
            Ok((app, worker))
        }
        Backend::Aws => {
            let clients = chat_config::aws::connect_or_provision(&choice.aws_env())
                .await
                .context("cannot prepare the AWS resources")?;
            // Connections a previous run left in the table get `Gone` from this
            // gateway's push on first use and are deleted then (as on AWS).
            let aws = chat_config::aws::build(&clients, config, Some(push))?;
            info!(
                endpoint = clients.target.endpoint.as_deref().unwrap_or("AWS"),
                table = %clients.target.table,
                queue = %clients.target.queue_url,
                bucket = %clients.target.bucket,
                "storage on the AWS backend"
            );
            let poller = chat_aws::jobs::SqsJobPoller::from_clients(&clients);
            let worker = tokio::spawn(chat_aws::jobs::run_worker(
                Arc::clone(&aws.app),
                poller,
                stop,
            ));
            Ok((aws.app, worker))
        }
    }
}

/// An app for one admin command. Jobs it enqueues are left for the gateway's worker.
pub(crate) async fn open_for_admin(
    choice: &BackendChoice,
    data_dir: &Path,
    config: Config,
    push: Arc<dyn Push>,
) -> anyhow::Result<Arc<App>> {
    match choice.backend {
        Backend::Embedded => {
            let backend = chat_config::embedded::build(data_dir, config, push)
                .await
                .with_context(|| format!("cannot open storage in {}", data_dir.display()))?;
            drop(backend.jobs);
            drop(backend.store);
            Ok(backend.app)
        }
        Backend::Aws => {
            let clients = chat_config::aws::connect_or_provision(&choice.aws_env())
                .await
                .context("cannot prepare the AWS resources")?;
            // With a deployed WebSocket API named, revoking or disabling closes the
            // user's sockets there; otherwise through the local gateway (if running).
            let push = match clients.target.management_endpoint {
                Some(_) => None,
                None => Some(push),
            };
            Ok(chat_config::aws::build(&clients, config, push)?.app)
        }
    }
}
