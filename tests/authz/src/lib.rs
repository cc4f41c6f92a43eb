//! # chat-authz — the authorization matrix
//!
//! One table says, for every PROTOCOL action and HTTP route, which kinds of caller may
//! use it. The test in `tests/matrix.rs` runs every cell against the real handlers (HTTP
//! routes through the function crates, WebSocket actions through `$connect` and
//! `$default`) on in-memory adapters, and `docs/permissions.md` is rendered from the
//! same table — so the table in the docs is the table that is tested.
//!
//! - [`actors`]: the eight kinds of caller and the fixture that creates them.
//! - [`cases`]: the expected table.
//! - [`files`]: completed files for the file rows.
//! - [`render`]: the Markdown rendering.

pub mod actors;
pub mod cases;
pub mod files;
pub mod render;
