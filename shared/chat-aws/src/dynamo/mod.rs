//! Every `Store` trait on one DynamoDB table.
//!
//! - [`keys`]: the key layout (which item lives where) — start reading there.
//! - [`schema`]: creating the table where nothing else does (local runs, tests).
//! - [`item`]: attribute conversions shared by the codecs.
//! - [`ops`]: paging, batched reads/writes with retries, reading refusals.
//! - `requests`: transaction items, expression placeholders and prefix queries the
//!   rooms/messages/connections modules build their requests from.
//! - one module per port trait: [`users`], [`rooms`] (rooms; with [`members`] and
//!   [`issues`] for the rest of `RoomStore`), [`messages`], [`connections`],
//!   [`tickets`] (tickets and invites), [`audit`], [`files`].
//!
//! Sequence numbers (messages, audit) are assigned by a transaction that moves the
//! counter from `n` to `n + 1` *on condition that it is still `n`* and puts the item
//! `n + 1` in the same step; a lost race retries with the new `n`. So a number is never
//! handed out without its item, and never twice (DESIGN §3). A warm process keeps each
//! room's `last_seq` as a hint (`hints`), so a send usually starts its transaction
//! without reading the room; a stale hint is refused by that same condition.

pub mod audit;
pub mod connections;
pub mod files;
mod hints;
pub mod issues;
pub mod item;
pub mod keys;
pub mod members;
mod message_batch;
mod message_guard;
pub mod messages;
pub mod ops;
mod requests;
pub mod rooms;
pub mod schema;
pub mod tickets;
pub mod users;

use std::sync::Arc;

use aws_sdk_dynamodb::Client;

use crate::clients::AwsClients;

/// The store: a client, the table name and the process's hints. Cheap to clone;
/// clones share the hints.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) table: String,
    pub(crate) hints: Arc<hints::Hints>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            hints: Arc::default(),
        }
    }

    pub fn from_clients(clients: &AwsClients) -> Self {
        Self::new(clients.dynamodb.clone(), clients.target.table.clone())
    }
}
