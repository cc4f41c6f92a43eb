//! Uploaded files: storage classes with their limits, the stored file record, and the
//! rules for names and types (DESIGN §3 "Files").
//!
//! A file is two things: a `file`/`image` message in a room (what members see) and a
//! [`FileRecord`] (what the server needs to authorize and find the bytes). Content is
//! stored once per storage class under its sha256 ([`FileRecord::content_key`]), but an
//! upload always goes to a key of its own ([`FileRecord::staging_key`]) and is only
//! copied to the shared key after the server has read and checked it. So a client can
//! never claim content it did not send, and nothing it sees depends on whether the same
//! bytes were uploaded in another room.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};
use crate::ids::{FileId, MessageId, RoomId, UserId};

/// Longest file name accepted, in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// Where a file lives and for how long (S3 lifecycle rules on AWS, the sweeper locally).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum StorageClass {
    /// Scratch files: kept 24 hours.
    Temporary,
    /// The default: kept as long as the conversation matters (one year).
    #[default]
    Conversation,
    /// Records employees must keep (seven years). Employees only.
    Archive,
}

/// Types every class accepts: what customers and employees actually send (screenshots,
/// PDFs, form exports, logs). Anything executable or scriptable (HTML, SVG, JS) is out:
/// a download must never run in the product's origin.
const COMMON_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/json",
    "text/plain",
    "text/csv",
];

/// Types the archive also accepts (bundles of records).
const ARCHIVE_EXTRA_TYPES: &[&str] = &["application/zip"];

impl StorageClass {
    pub const ALL: [StorageClass; 3] = [
        StorageClass::Temporary,
        StorageClass::Conversation,
        StorageClass::Archive,
    ];

    /// The wire and key-prefix name.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageClass::Temporary => "temporary",
            StorageClass::Conversation => "conversation",
            StorageClass::Archive => "archive",
        }
    }

    /// How long content and downloads stay available after the upload.
    pub fn retention(self) -> Duration {
        match self {
            StorageClass::Temporary => Duration::hours(24),
            StorageClass::Conversation => Duration::days(365),
            StorageClass::Archive => Duration::days(7 * 365),
        }
    }

    /// The same, in whole days, for S3 lifecycle rules (which count days).
    pub fn retention_days(self) -> i64 {
        self.retention().num_days().max(1)
    }

    /// Largest accepted file, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            StorageClass::Temporary | StorageClass::Conversation => 25 * 1024 * 1024,
            StorageClass::Archive => 100 * 1024 * 1024,
        }
    }

    /// Whether `content_type` (already normalized) may be stored in this class.
    pub fn allows(self, content_type: &str) -> bool {
        COMMON_TYPES.contains(&content_type)
            || (self == StorageClass::Archive && ARCHIVE_EXTRA_TYPES.contains(&content_type))
    }

    /// The types this class accepts, for error messages and docs.
    pub fn allowed_types(self) -> Vec<&'static str> {
        let mut types = COMMON_TYPES.to_vec();
        if self == StorageClass::Archive {
            types.extend_from_slice(ARCHIVE_EXTRA_TYPES);
        }
        types
    }

    /// Key prefix of this class's blobs; S3 lifecycle rules match on it.
    pub fn key_prefix(self) -> String {
        format!("files/{}/", self.as_str())
    }
}

/// A MIME type as the server compares it: lower case, parameters dropped, common
/// aliases folded (`image/jpg` → `image/jpeg`).
pub fn normalize_content_type(raw: &str) -> String {
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "image/jpg" | "image/pjpeg" => "image/jpeg".to_string(),
        "application/x-zip-compressed" => "application/zip".to_string(),
        _ => essence,
    }
}

/// Whether files of this type become `image` messages (with dimensions and a thumbnail).
pub fn is_image_type(content_type: &str) -> bool {
    content_type.starts_with("image/")
}

/// Types with no magic bytes: their content is checked as UTF-8 text instead.
pub fn is_text_type(content_type: &str) -> bool {
    matches!(content_type, "text/plain" | "text/csv" | "application/json")
}

/// Checks a client-supplied file name: what is left after dropping any folder part must
/// be a plain name. Path tricks (`..`, `/`, `\`), control and invisible characters,
/// leading dots and over-long names are refused rather than rewritten, so what the
/// uploader sees is what others download.
pub fn validate_file_name(name: &str) -> CoreResult<String> {
    let bad = |why: &str| Err(CoreError::bad_request(format!("file name {why}")));
    if name.trim().is_empty() {
        return bad("is empty");
    }
    if name.len() > MAX_FILE_NAME_BYTES {
        return bad(&format!("is longer than {MAX_FILE_NAME_BYTES} bytes"));
    }
    if name.contains(['/', '\\']) {
        return bad("must not contain / or \\");
    }
    if name == "." || name == ".." || name.starts_with('.') {
        return bad("must not start with a dot");
    }
    if name != name.trim() {
        return bad("must not start or end with spaces");
    }
    if name.chars().any(crate::model::text::is_hidden_or_control) {
        return bad("must not contain control or invisible characters");
    }
    Ok(name.to_string())
}

/// Where a file is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// Waiting for the upload and `complete`.
    Pending,
    /// Checked and stored under its content key.
    Complete,
    /// The upload never came or did not match; the message says why.
    Failed,
}

/// What the uploader declared; the stored bytes must match all of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclaredFile {
    pub name: String,
    /// Normalized MIME type.
    pub content_type: String,
    pub size: u64,
    /// Lower-case hex sha256.
    pub sha256: String,
}

/// Image facts the thumbnail job records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageFacts {
    pub width: u32,
    pub height: u32,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
}

/// The server's record of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    pub id: FileId,
    pub room_id: RoomId,
    /// The `file`/`image` message that shows it.
    pub message_id: MessageId,
    /// A user id, or a robot's name for files robots make.
    pub uploader: String,
    pub declared: DeclaredFile,
    pub storage_class: StorageClass,
    pub status: FileStatus,
    pub created_at: DateTime<Utc>,
    /// After this the upload URL no longer works and the file can no longer complete.
    pub upload_expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageFacts>,
}

impl FileRecord {
    /// Where this file's upload lands before it is checked.
    pub fn staging_key(&self) -> String {
        staging_key(&self.id)
    }

    /// Where checked content lives: one object per storage class and sha256.
    pub fn content_key(&self) -> String {
        content_key(self.storage_class, &self.declared.sha256)
    }

    /// The thumbnail of an image file (PNG).
    pub fn thumbnail_key(&self) -> String {
        format!(
            "thumbs/{}/{}.png",
            self.storage_class.as_str(),
            self.declared.sha256
        )
    }

    /// Whether the content has passed its storage class's retention.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        let since = self.completed_at.unwrap_or(self.created_at);
        now >= since + self.storage_class.retention()
    }

    /// Whether this is an image file.
    pub fn is_image(&self) -> bool {
        is_image_type(&self.declared.content_type)
    }

    /// Whether `user` uploaded it.
    pub fn uploaded_by(&self, user: &UserId) -> bool {
        self.uploader == user.as_str()
    }
}

/// The staging key of a file id.
pub fn staging_key(id: &FileId) -> String {
    format!("uploads/{id}")
}

/// The content key for a class and hex sha256.
pub fn content_key(class: StorageClass, sha256: &str) -> String {
    format!("{}{sha256}", class.key_prefix())
}

/// Whether `s` is a lower-case 64-digit hex sha256.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_path_tricks_or_hidden_characters_are_refused() {
        for bad in [
            "",
            "   ",
            "../etc/passwd",
            "a/b.png",
            "a\\b.png",
            "..",
            ".env",
            " lead.png",
            "nul\0.png",
            "bell\u{7}.txt",
            "evil\u{202e}gnp.exe",
            "zero\u{200b}width.png",
        ] {
            assert!(validate_file_name(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate_file_name(&"a".repeat(MAX_FILE_NAME_BYTES + 1)).is_err());
        assert_eq!(
            validate_file_name("Form 5375703 (export).json").unwrap(),
            "Form 5375703 (export).json"
        );
        assert!(validate_file_name("résumé écran.png").is_ok());
    }

    #[test]
    fn content_types_are_normalized_and_checked_per_class() {
        assert_eq!(normalize_content_type("Image/JPG; q=1"), "image/jpeg");
        assert_eq!(
            normalize_content_type("text/plain; charset=utf-8"),
            "text/plain"
        );
        assert!(StorageClass::Conversation.allows("image/png"));
        assert!(!StorageClass::Conversation.allows("application/zip"));
        assert!(StorageClass::Archive.allows("application/zip"));
        for class in StorageClass::ALL {
            for scriptable in ["text/html", "image/svg+xml", "application/javascript"] {
                assert!(!class.allows(scriptable), "{class:?} allows {scriptable}");
            }
        }
    }

    #[test]
    fn retention_and_keys_follow_the_class() {
        assert_eq!(StorageClass::Temporary.retention_days(), 1);
        assert_eq!(StorageClass::Conversation.retention_days(), 365);
        let sha = "a".repeat(64);
        assert_eq!(
            content_key(StorageClass::Archive, &sha),
            format!("files/archive/{sha}")
        );
        assert!(is_sha256_hex(&sha));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex("abc"));
    }
}
