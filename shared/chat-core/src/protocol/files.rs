//! HTTP bodies of the file routes (PROTOCOL §2 `POST /files`, `POST /files/{id}/complete`,
//! `GET /files/{id}`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{FileId, MessageId, RoomId};
use crate::model::{Message, StorageClass, Visibility};
use crate::ports::PresignedRequest;

/// `POST /files`: what the uploader is about to send.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateFileRequest {
    pub room_id: RoomId,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// Hex sha256 of the content.
    pub sha256: String,
    #[serde(default)]
    pub storage_class: Option<StorageClass>,
    /// `employees` keeps the file from guests (employees only); default `everyone`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// `POST /files` answer: where to send the bytes, and until when.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateFileResponse {
    pub file_id: FileId,
    pub message_id: MessageId,
    pub upload: PresignedRequest,
    pub expires_at: DateTime<Utc>,
}

/// `POST /files/{id}/complete` answer: the file's message, now `complete` or `failed`.
#[derive(Debug, Clone, Serialize)]
pub struct CompleteFileResponse {
    pub message: Message,
}

/// Which rendition `GET /files/{id}` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
#[serde(rename_all = "camelCase")]
pub struct DownloadResponse {
    pub download_url: String,
    pub expires_at: DateTime<Utc>,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}
