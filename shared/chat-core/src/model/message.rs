//! Messages: append-only, ordered by a per-room sequence number.
//!
//! `seq` is assigned by the store in commit order without gaps (DESIGN §3), so a reader
//! that has seen seq N can resume with `afterSeq = N` and miss nothing. A resend with the
//! same `clientMsgId` from the same author returns the original message.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ClientMsgId, MemberId, MessageId, RoomId};
use crate::model::identity::AccountKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum AuthorKind {
    Employee,
    Guest,
    Robot,
    System,
}

impl From<AccountKind> for AuthorKind {
    fn from(kind: AccountKind) -> Self {
        match kind {
            AccountKind::Employee => AuthorKind::Employee,
            AccountKind::Guest => AuthorKind::Guest,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Author {
    /// A user id, a robot's name, or `system`.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub id: MemberId,
    pub kind: AuthorKind,
    pub display_name: String,
}

impl Author {
    /// The author of messages the system posts (joins, break-ins, conclusions).
    pub fn system() -> Self {
        Author {
            id: "system".to_string(),
            kind: AuthorKind::System,
            display_name: "iStackBuddy".to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    Chat,
    Graph,
    Image,
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    Streaming,
    BatchDelay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Pending,
    Streaming,
    Complete,
    Failed,
}

/// Who may see a message. Enforced by the server on every event and page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Everyone,
    Employees,
}

/// The stored and wire `Message` (PROTOCOL §4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct Message {
    pub id: MessageId,
    pub room_id: RoomId,
    // A JSON number, not ts-rs's `bigint` for u64: sequence numbers (and file sizes
    // elsewhere) stay far below 2^53.
    #[cfg_attr(feature = "schema", ts(type = "number"))]
    pub seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<ClientMsgId>,
    pub author: Author,
    pub content_type: ContentType,
    pub delivery: Delivery,
    pub status: MessageStatus,
    pub visibility: Visibility,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_from: Option<MessageId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A message before the store gives it a sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub id: MessageId,
    pub room_id: RoomId,
    pub client_msg_id: Option<ClientMsgId>,
    pub author: Author,
    pub content_type: ContentType,
    pub delivery: Delivery,
    pub status: MessageStatus,
    pub visibility: Visibility,
    pub text: String,
    pub data: Option<serde_json::Value>,
    pub reply_to: Option<MessageId>,
    pub shared_from: Option<MessageId>,
    pub created_at: DateTime<Utc>,
}

impl NewMessage {
    /// The committed message with its sequence number.
    pub fn with_seq(self, seq: u64) -> Message {
        Message {
            id: self.id,
            room_id: self.room_id,
            seq,
            client_msg_id: self.client_msg_id,
            author: self.author,
            content_type: self.content_type,
            delivery: self.delivery,
            status: self.status,
            visibility: self.visibility,
            text: self.text,
            data: self.data,
            reply_to: self.reply_to,
            shared_from: self.shared_from,
            created_at: self.created_at,
            updated_at: self.created_at,
        }
    }
}
