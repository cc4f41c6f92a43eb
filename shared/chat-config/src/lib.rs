//! # chat-config — process wiring shared by every binary
//!
//! The Lambda functions and the local gateway start the same way: read configuration
//! once, build the adapters once, assemble one [`chat_core::App`]. That wiring lives here
//! so it is written once rather than in every `main.rs`.
//!
//! - [`settings`]: [`Settings`] from environment variables → [`chat_core::Config`].
//! - [`embedded`]: an `App` on the embedded adapters (SQLite, local folder, in-process
//!   jobs) in a data folder, and the Lambda variant configured from the environment.
//! - [`logging`]: the `tracing` subscriber (JSON or text, `RUST_LOG` filter).
//! - [`lambda`]: the Lambda process around a handler (each function's whole `main`).
//!
//! Backend choice: only the embedded backend exists yet. The AWS adapters (DynamoDB,
//! S3, SQS, API Gateway Management) arrive with the AWS issue, together with the
//! `CHAT_BACKEND` / `CHAT_AWS_ENDPOINT` switch; [`embedded::build`] is the one place a
//! binary picks its adapters, so that switch goes beside it.

pub mod embedded;
pub mod lambda;
pub mod logging;
pub mod settings;

pub use settings::{ConfigError, Settings};
