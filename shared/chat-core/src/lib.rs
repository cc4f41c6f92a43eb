//! # chat-core — the iStackBuddy Chat domain
//!
//! Everything the product *decides* lives here; everything it *touches* (databases,
//! queues, sockets) sits behind the traits in [`ports`]. No AWS SDK and no runtime of
//! its own (tokio timers only, on the caller's runtime): the same code runs under
//! Lambda, in the local gateway and in tests.
//!
//! - [`error`]: the one error enum and its mapping to protocol codes / HTTP status.
//! - [`ids`]: validated id newtypes.
//! - [`model`]: identities, rooms, issues, messages, connections.
//! - [`protocol`]: wire types (frames, replies, events, HTTP bodies).
//! - [`ports`]: `Store` (users, rooms, messages, connections, tickets), `Push`, `Jobs`,
//!   `Blobs`, `Clock`, `IdGen`.
//! - [`auth`]: argon2id passwords, JWTs, single-use secrets.
//! - [`blob_url`]: signed, expiring blob URLs for stores that are not S3.
//! - [`policy`]: who may do what — pure functions over identities and rooms.
//! - [`limits`]: per-connection rate limiting and size limits.
//! - [`service`]: the use cases ([`App`]), one module per concern.
//! - [`api_description`] (feature `schema`): the AsyncAPI document and the TypeScript
//!   export, generated from the code.
//! - [`testkit`] (feature `testkit`): in-memory adapters and the port contract suites
//!   every adapter runs.

#[cfg(feature = "schema")]
pub mod api_description;
pub mod auth;
pub mod blob_url;
pub mod error;
pub mod ids;
pub mod limits;
pub mod model;
pub mod policy;
pub mod ports;
pub mod protocol;
pub mod service;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use error::{CoreError, CoreResult, ErrorCode};
pub use service::{App, Attempt, Config, Deps, FileSettings, JobOutcome, Limits, RobotSettings};
