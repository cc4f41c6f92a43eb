//! Wire types of PROTOCOL.md: client frames, replies, server events and HTTP bodies.
//!
//! - [`frame`]: parsing a raw WebSocket frame into a [`ClientAction`] (or a typed
//!   `bad_request` that still carries the `requestId`).
//! - [`registry`]: every action written once (name, request, reply, callers, examples);
//!   the `action`-tagged [`ClientAction`] enum and the typed reply `data` come from it.
//! - [`actions`]: the request types; [`replies`]: the reply types.
//! - [`events`]: replies and server → client events.
//! - [`http`]: HTTP request and response bodies; [`files`]: those of the file routes.
//! - [`content`]: the `data` of file, image and graph messages.

pub mod actions;
pub mod content;
pub mod events;
mod examples;
pub mod files;
pub mod frame;
pub mod http;
pub mod registry;
pub mod replies;

pub use events::{Reply, ServerEvent};
pub use frame::{ParsedFrame, parse_frame};
pub use registry::{ACTIONS, ActionReply, ActionSpec, Callers, ClientAction};
