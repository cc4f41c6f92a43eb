//! `Push`: how the core's replies and events reach WebSocket clients.
//!
//! - [`hub`]: [`ConnectionHub`], the registry of sockets open in *this* process. The
//!   local gateway registers each socket's outgoing channel here; the core's
//!   `PostToConnection` / `DeleteConnection` calls become channel sends.
//! - [`management_api`]: [`ManagementApiPush`], the same two calls made over HTTP
//!   against a running gateway's API Gateway Management endpoint
//!   (`POST`/`DELETE {base}/@connections/{id}`). The admin CLI uses it so that
//!   revoking a user closes sockets held by another process.

pub mod hub;
pub mod management_api;

pub use chat_core::ports::SharedFrame;
pub use hub::{ConnInfo, ConnectionHub};
pub use management_api::{MANAGEMENT_KEY_HEADER, ManagementApiPush};

/// What a socket's writer task is told to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// Send one text frame; the text is shared with every other socket it goes to.
    Text(SharedFrame),
    /// Close the socket (revocation, disabled account, shutdown).
    Close,
}
