//! # chat-wiring — turns configuration into a running [`chat_core::App`]
//!
//! Every binary starts the same way: read settings once, build the adapters once,
//! assemble one `App`. That wiring lives here so it is written once rather than in every
//! `main.rs`. It links only the AWS adapters: the deployed Lambda functions depend on
//! this crate and nothing here may pull in SQLite (a test in `tests/lean_lambdas.rs`
//! keeps it so). The local gateway adds the embedded adapters itself.
//!
//! - [`settings`]: [`Settings`] from named values (environment, or flags then
//!   environment) → [`chat_core::Config`]; every default defined once.
//! - [`aws_env`]: `CHAT_BACKEND`, the AWS resource names, and what a Lambda must be told.
//! - [`aws`]: an `App` on the AWS adapters (DynamoDB, S3, SQS, API Gateway Management),
//!   and provisioning those resources on an emulator.
//! - [`logging`]: the `tracing` subscriber (JSON or text, `RUST_LOG` filter).
//! - [`lambda`]: the Lambda process around a handler (each function's whole `main`).

pub mod aws;
pub mod aws_env;
pub mod lambda;
pub mod logging;
pub mod robot_settings;
pub mod settings;

pub use aws_env::{AwsEnv, Backend, TokenRole};
pub use settings::{ConfigError, Settings};
