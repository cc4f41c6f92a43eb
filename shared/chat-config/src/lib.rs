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
//! - [`aws`]: an `App` on the AWS adapters (DynamoDB, S3, SQS, API Gateway
//!   Management), and provisioning those resources on an emulator.
//! - [`aws_env`]: `CHAT_BACKEND` and the AWS resource names, from the environment.
//!
//! Backend choice: `CHAT_BACKEND` (`embedded` by default, `aws` in the SAM template);
//! [`lambda::run`] and the local gateway read it through [`aws_env::Backend`].

pub mod aws;
pub mod aws_env;
pub mod embedded;
pub mod lambda;
pub mod logging;
pub mod settings;

pub use aws_env::{AwsEnv, Backend};
pub use settings::{ConfigError, Settings};
