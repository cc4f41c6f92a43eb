//! Wire types of PROTOCOL.md: client frames, replies, server events and HTTP bodies.
//!
//! - [`frame`]: parsing a raw WebSocket frame into a [`ClientAction`] (or a typed
//!   `bad_request` that still carries the `requestId`).
//! - [`actions`]: the `action`-tagged request enum and its field structs.
//! - [`events`]: replies and server → client events.
//! - [`http`]: HTTP request and response bodies; [`files`]: those of the file routes.

pub mod actions;
pub mod events;
pub mod files;
pub mod frame;
pub mod http;

pub use actions::ClientAction;
pub use events::{Reply, ServerEvent};
pub use frame::{ParsedFrame, parse_frame};
