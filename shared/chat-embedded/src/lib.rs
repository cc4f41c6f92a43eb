//! # chat-embedded — adapters for one-process installs
//!
//! The local gateway's default backend: nothing to install, everything in one data
//! folder, survives restarts.
//!
//! - [`sqlite`]: the `Store` on SQLite (WAL, one file `chat.db`).
//! - [`blobs`]: `Blobs` in a local folder.
//! - [`jobs`]: `Jobs` as an in-process queue with delays, and the worker loop.
//! - [`push`]: `Push` to sockets held by this process ([`push::ConnectionHub`]), and to a
//!   running gateway's Management API over HTTP ([`push::ManagementApiPush`], used by
//!   the admin CLI).
//! - [`error`]: this crate's error type.

pub mod blobs;
pub mod error;
pub mod jobs;
pub mod push;
pub mod sqlite;

pub use error::EmbeddedError;
