//! HTTP bodies of the file routes (PROTOCOL §2 `POST /files`, `POST /files/{id}/complete`,
//! `GET /files/{id}`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{FileId, MessageId, RoomId};
use crate::model::{Message, StorageClass, Visibility};
use crate::ports::PresignedRequest;

/// `POST /files`: what the uploader is about to send.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct CreateFileRequest {
    pub room_id: RoomId,
    /// A plain file name: no `/` or `\`, no leading dot, no control or invisible
    /// characters, at most 255 bytes.
    #[cfg_attr(
        feature = "schema",
        schema(min_length = 1, max_length = 255, pattern = r"^[^./\\][^/\\]*$")
    )]
    pub name: String,
    /// One of the types the storage class accepts (PROTOCOL §2 "Files").
    #[cfg_attr(feature = "schema", schema(example = "image/png"))]
    pub content_type: String,
    /// Bytes; at most the storage class's limit (25 MiB, 100 MiB for `archive`).
    #[cfg_attr(feature = "schema", ts(type = "number"))]
    #[cfg_attr(feature = "schema", schema(minimum = 1, maximum = 104857600))]
    pub size: u64,
    /// Hex sha256 of the content.
    #[cfg_attr(feature = "schema", schema(pattern = "^[0-9a-f]{64}$"))]
    pub sha256: String,
    #[serde(default)]
    pub storage_class: Option<StorageClass>,
    /// `employees` keeps the file from guests (employees only); default `everyone`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// `POST /files` answer: where to send the bytes, and until when.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CreateFileResponse {
    pub file_id: FileId,
    pub message_id: MessageId,
    pub upload: PresignedRequest,
    pub expires_at: DateTime<Utc>,
}

/// `POST /files/{id}/complete` answer: the file's message, now `complete` or `failed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct CompleteFileResponse {
    pub message: Message,
}

/// Which rendition `GET /files/{id}` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
// No serde here (it is parsed from a query string); the schema spells it as the query does.
#[cfg_attr(
    feature = "schema",
    schema(rename_all = "lowercase"),
    ts(rename_all = "lowercase")
)]
pub enum FileVariant {
    #[default]
    Original,
    /// The PNG thumbnail of an image file.
    Thumbnail,
}

impl std::str::FromStr for FileVariant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "original" => Ok(FileVariant::Original),
            "thumbnail" => Ok(FileVariant::Thumbnail),
            other => Err(format!(
                "variant must be original or thumbnail, not {other:?}"
            )),
        }
    }
}

/// `GET /files/{id}` answer: a short-lived URL for the bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DownloadResponse {
    pub download_url: String,
    pub expires_at: DateTime<Utc>,
    pub name: String,
    #[cfg_attr(feature = "schema", ts(type = "number"))]
    pub size: u64,
    pub content_type: String,
}
