//! An [`App`] on the AWS adapters: DynamoDB store, S3 blobs, SQS jobs, and pushes
//! through the API Gateway Management API (or, in the local gateway, its own sockets).
//!
//! Lambda functions name deployed resources ([`lambda_app_from_env`]); the local
//! gateway against an emulator creates them first ([`provision`]).

use std::sync::Arc;

use chat_aws::AwsClients;
use chat_aws::blobs::S3Blobs;
use chat_aws::dynamo::DynamoStore;
use chat_aws::dynamo::schema::ensure_table;
use chat_aws::jobs::{SqsJobs, ensure_queue};
use chat_aws::push::ApiGatewayPush;
use chat_core::auth::PasswordHasher;
use chat_core::ports::{Push, Robots, SystemClock, UlidGen};
use chat_core::{App, Config, Deps};
use tracing::info;

use crate::aws_env::{AwsEnv, TokenRole, check_lambda_env};
use crate::settings::{ConfigError, Settings};

/// An assembled app and the clients it was built on (for a job poller, or to count
/// requests).
pub struct AwsApp {
    pub app: Arc<App>,
    pub clients: AwsClients,
}

fn aws_failure(what: &'static str, err: chat_aws::AwsError) -> ConfigError {
    ConfigError::Invalid {
        name: what,
        reason: err.to_string(),
    }
}

/// Creates the table, the jobs queue (with its dead-letter queue) and the bucket if
/// they are absent, and returns clients whose target names the queue's URL. For
/// emulators and first local runs; on AWS the SAM template owns these resources.
pub async fn provision(env: &AwsEnv) -> Result<AwsClients, ConfigError> {
    let mut clients = AwsClients::connect(env.target.clone()).await;
    if ensure_table(&clients.dynamodb, &clients.target.table)
        .await
        .map_err(|e| aws_failure("CHAT_TABLE", e))?
    {
        info!(table = %clients.target.table, "created the DynamoDB table");
    }
    clients.target.queue_url = ensure_queue(&clients.sqs, &env.queue_name)
        .await
        .map_err(|e| aws_failure("CHAT_JOBS_QUEUE", e))?;
    chat_aws::blobs::ensure_bucket(&clients.s3, &clients.target.bucket)
        .await
        .map_err(|e| aws_failure("CHAT_BUCKET", e))?;
    Ok(clients)
}

/// Clients for the environment's resources: against an emulator (an endpoint is
/// set) missing resources are created first ([`provision`]); against real AWS nothing
/// is created — the deployed names must all be given.
pub async fn connect_or_provision(env: &AwsEnv) -> Result<AwsClients, ConfigError> {
    if env.target.endpoint.is_some() {
        provision(env).await
    } else {
        env.require_deployed()?;
        Ok(AwsClients::connect(env.target.clone()).await)
    }
}

/// Assembles the app on `clients`. `push` overrides the Management API push (the local
/// gateway passes its own sockets); without it the target must name the management
/// endpoint.
pub fn build(
    clients: &AwsClients,
    config: Config,
    push: Option<Arc<dyn Push>>,
    robots: Arc<dyn Robots>,
) -> Result<AwsApp, ConfigError> {
    let push = match push {
        Some(push) => push,
        None => Arc::new(
            ApiGatewayPush::from_clients(clients)
                .ok_or(ConfigError::Missing("CHAT_WS_MANAGEMENT_ENDPOINT"))?,
        ),
    };
    let deps = Deps {
        store: Arc::new(DynamoStore::from_clients(clients)),
        push,
        jobs: Arc::new(SqsJobs::from_clients(clients)),
        blobs: Arc::new(S3Blobs::from_clients(clients)),
        robots,
        clock: Arc::new(SystemClock),
        ids: Arc::new(UlidGen),
    };
    let app = App::new(deps, config, PasswordHasher::production())?;
    Ok(AwsApp {
        app: Arc::new(app),
        clients: clients.clone(),
    })
}

/// The Lambda functions' app, configured from the environment.
///
/// [`check_lambda_env`] runs first, so a function missing any variable refuses to
/// start and names it. On AWS nothing is created; against an emulator
/// (`CHAT_AWS_ENDPOINT`, the local Lambda mode under `cargo lambda watch`) missing
/// resources are created, as the local gateway does.
pub async fn lambda_app_from_env(role: TokenRole) -> Result<AwsApp, ConfigError> {
    lambda_app_from_lookup(&|name| std::env::var(name).ok(), role).await
}

/// [`lambda_app_from_env`] with variables read through `lookup`.
pub async fn lambda_app_from_lookup(
    lookup: &impl Fn(&str) -> Option<String>,
    role: TokenRole,
) -> Result<AwsApp, ConfigError> {
    check_lambda_env(lookup, role)?;
    let settings = Settings::from_lookup(lookup)?;
    let clients = connect_or_provision(&AwsEnv::from_lookup(lookup)).await?;
    let robots = settings.robots.registry().await?;
    build(&clients, settings.core_config()?, None, robots)
}
