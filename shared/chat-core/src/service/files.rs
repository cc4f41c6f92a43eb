//! File use cases (PROTOCOL §2): `POST /files` (announce an upload, get a pre-signed
//! URL), `POST /files/{id}/complete` (the server checks what arrived) and
//! `GET /files/{id}` (a short-lived download URL, audited).
//!
//! The bytes never pass through this code on the way in: the client sends them straight
//! to storage with the URL, to a key of the file's own (`uploads/{fileId}`). `complete`
//! then reads that object, checks it against the declaration, and copies it to the
//! content-addressed key the file is served from (`model::file`). Answers never depend
//! on whether the same content already exists elsewhere.
//!
//! A file message is `pending` from `POST /files` until `complete` (or the expiry job,
//! when the uploader never calls it) settles it `complete` or `failed`; images then get
//! their dimensions and a thumbnail from a job (`file_jobs`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::error::{CoreError, CoreResult};
use crate::ids::{FileId, MessageId};
use crate::model::file::{
    self, DeclaredFile, FileRecord, FileStatus, StorageClass, normalize_content_type,
};
use crate::model::{
    Author, ContentType, Delivery, Message, MessageStatus, NewMessage, UserRecord, Visibility,
};
use crate::policy;
use crate::ports::{DownloadOptions, Job, UploadBinding};
use crate::protocol::content::{self, FileData, PixelSize};
use crate::protocol::files::{
    CompleteFileResponse, CreateFileRequest, CreateFileResponse, DownloadResponse, FileVariant,
};
use crate::service::App;
use crate::service::file_checks::check_content;

/// How long upload and download URLs work.
#[derive(Debug, Clone)]
pub struct FileSettings {
    /// From `POST /files` to the last moment the upload may arrive and complete.
    pub upload_ttl: Duration,
    /// Lifetime of a download URL.
    pub download_ttl: Duration,
}

impl Default for FileSettings {
    fn default() -> Self {
        FileSettings {
            upload_ttl: Duration::from_secs(15 * 60),
            download_ttl: Duration::from_secs(5 * 60),
        }
    }
}

/// After the upload URL expires, the expiry job waits this long before failing the
/// file, so a `complete` sent just in time is not overtaken.
const EXPIRY_GRACE: Duration = Duration::from_secs(30);

impl App {
    /// `POST /files`: validates the declaration, records the file, posts its `pending`
    /// message and answers the pre-signed upload.
    pub async fn create_upload(
        &self,
        user: &UserRecord,
        req: CreateFileRequest,
    ) -> CoreResult<CreateFileResponse> {
        let id = &user.identity;
        let room = self.member_room(id, &req.room_id).await?;
        policy::must_be_open(&room)?;
        let class = req.storage_class.unwrap_or_default();
        if class == StorageClass::Archive && !id.is_employee() {
            return Err(CoreError::forbidden("only employees can archive files"));
        }
        let visibility = req.visibility.unwrap_or_default();
        policy::may_post_with_visibility(id, visibility == Visibility::Employees)?;
        let declared = declare(req, class)?;

        let now = self.deps.clock.now();
        let expires_at = now + chrono_duration(self.config.files.upload_ttl);
        let record = FileRecord {
            id: FileId::parse(self.new_id("file"))?,
            room_id: room.id.clone(),
            message_id: MessageId::parse(self.new_id("msg"))?,
            uploader: id.user_id.to_string(),
            declared,
            storage_class: class,
            status: FileStatus::Pending,
            created_at: now,
            upload_expires_at: expires_at,
            completed_at: None,
            image: None,
        };
        // The record first: a message never points at a file the server cannot find.
        self.deps.store.insert_file(&record).await?;
        let message = NewMessage {
            id: record.message_id.clone(),
            room_id: room.id.clone(),
            client_msg_id: None,
            author: Author {
                id: id.user_id.to_string(),
                kind: id.kind.into(),
                display_name: user.profile.display_name.clone(),
            },
            content_type: message_kind(&record),
            delivery: Delivery::BatchDelay,
            status: MessageStatus::Pending,
            visibility,
            text: record.declared.name.clone(),
            data: Some(file_data(&record)),
            reply_to: None,
            shared_from: None,
            created_at: now,
        };
        self.commit_and_announce(message).await?;
        let binding = UploadBinding {
            size: record.declared.size,
            content_type: record.declared.content_type.clone(),
            sha256: record.declared.sha256.clone(),
        };
        let upload = self
            .deps
            .blobs
            .presign_upload(&record.staging_key(), &binding, expires_at)
            .await?;
        let expiry = Job::FileUploadExpiry {
            file_id: record.id.clone(),
        };
        self.deps
            .jobs
            .enqueue(&expiry, self.config.files.upload_ttl + EXPIRY_GRACE)
            .await?;
        Ok(CreateFileResponse {
            file_id: record.id,
            message_id: record.message_id,
            upload,
            expires_at,
        })
    }

    /// `POST /files/{id}/complete` (uploader only): reads what arrived and settles the
    /// file. Calling it again answers the settled message.
    pub async fn complete_upload(
        &self,
        user: &UserRecord,
        file_id: &FileId,
    ) -> CoreResult<CompleteFileResponse> {
        let record = self
            .deps
            .store
            .file(file_id)
            .await?
            .filter(|f| f.uploaded_by(&user.identity.user_id))
            .ok_or_else(|| CoreError::not_found("no such file"))?;
        let settled = if record.status == FileStatus::Pending {
            self.settle_upload(record).await?
        } else {
            self.file_message(&record).await?
        };
        let message = policy::message_for(user.identity.kind, &settled)
            .ok_or_else(|| CoreError::not_found("no such file"))?;
        Ok(CompleteFileResponse { message })
    }

    /// Checks the staged upload and moves the file to `complete` or `failed`.
    async fn settle_upload(&self, record: FileRecord) -> CoreResult<Message> {
        let now = self.deps.clock.now();
        let outcome = if now > record.upload_expires_at {
            Err("the upload URL expired before the upload was completed".to_string())
        } else {
            match self.deps.blobs.get(&record.staging_key()).await? {
                None => Err("no upload arrived for this file".to_string()),
                Some(bytes) => check_content(&record.declared, &bytes),
            }
        };
        if outcome.is_ok() {
            // Copy before the record says `complete`: a complete file always has content.
            self.deps
                .blobs
                .copy(&record.staging_key(), &record.content_key())
                .await?;
        }
        self.deps.blobs.delete(&record.staging_key()).await?;
        self.finish_file(record, outcome, now).await
    }

    /// Moves a pending file to its end state and announces its message. When another
    /// call settled it first, answers that result instead.
    pub(crate) async fn finish_file(
        &self,
        mut record: FileRecord,
        outcome: Result<(), String>,
        now: DateTime<Utc>,
    ) -> CoreResult<Message> {
        record.status = match outcome {
            Ok(()) => FileStatus::Complete,
            Err(_) => FileStatus::Failed,
        };
        record.completed_at = Some(now);
        if !self
            .deps
            .store
            .update_file_if(&record, FileStatus::Pending)
            .await?
        {
            let current = self.deps.store.file(&record.id).await?;
            let current = current.ok_or_else(|| CoreError::not_found("no such file"))?;
            return self.file_message(&current).await;
        }
        let mut message = self.file_message(&record).await?;
        match outcome {
            Ok(()) => {
                message.status = MessageStatus::Complete;
                message.data = Some(file_data(&record));
            }
            Err(reason) => {
                message.status = MessageStatus::Failed;
                message.text = reason.clone();
                message.data = Some(failed_file_data(&record, reason));
            }
        }
        self.store_and_announce(message.clone()).await?;
        if record.status == FileStatus::Complete && record.is_image() {
            let job = Job::FileImage {
                file_id: record.id.clone(),
            };
            self.deps.jobs.enqueue(&job, Duration::ZERO).await?;
        }
        Ok(message)
    }

    /// The message that shows `record`.
    pub(crate) async fn file_message(&self, record: &FileRecord) -> CoreResult<Message> {
        self.deps
            .store
            .message(&record.room_id, &record.message_id)
            .await?
            .ok_or_else(|| CoreError::Internal("a file's message is missing".into()))
    }

    /// `GET /files/{id}`: a download URL for members who may see the file's message;
    /// everyone else gets `not_found`, exactly as for an unknown id. Audited.
    pub async fn file_download(
        &self,
        user: &UserRecord,
        file_id: &FileId,
        variant: FileVariant,
    ) -> CoreResult<DownloadResponse> {
        let id = &user.identity;
        let unknown = || CoreError::not_found("no such file");
        let record = self.deps.store.file(file_id).await?.ok_or_else(unknown)?;
        let room = self
            .member_room(id, &record.room_id)
            .await
            .map_err(|_| unknown())?;
        let message = self.file_message(&record).await?;
        if !policy::may_see(id.kind, message.visibility) {
            return Err(unknown());
        }
        let now = self.deps.clock.now();
        if record.status != FileStatus::Complete {
            return Err(CoreError::conflict("the file's upload has not completed"));
        }
        if record.expired(now) {
            return Err(CoreError::not_found(format!(
                "the file is past its retention ({} files are kept {} days)",
                record.storage_class.as_str(),
                record.storage_class.retention_days()
            )));
        }
        let (key, options, size) = match variant {
            FileVariant::Original => (
                record.content_key(),
                DownloadOptions {
                    file_name: record.declared.name.clone(),
                    content_type: record.declared.content_type.clone(),
                    inline: false,
                },
                record.declared.size,
            ),
            FileVariant::Thumbnail => {
                let image = record
                    .image
                    .ok_or_else(|| CoreError::not_found("the file has no thumbnail (yet)"))?;
                let thumb = self.deps.blobs.head(&record.thumbnail_key()).await?;
                let size = thumb.map(|m| m.size).ok_or_else(unknown)?;
                let options = DownloadOptions {
                    file_name: format!(
                        "thumbnail-{}x{}.png",
                        image.thumbnail_width, image.thumbnail_height
                    ),
                    content_type: "image/png".into(),
                    inline: true,
                };
                (record.thumbnail_key(), options, size)
            }
        };
        let expires_at = now + chrono_duration(self.config.files.download_ttl);
        let url = self
            .deps
            .blobs
            .presign_download(&key, &options, expires_at)
            .await?;
        self.audit(
            id.user_id.as_str(),
            "file.download",
            Some(&room.id),
            Some(&room.issue_id),
            json!({
                "fileId": record.id,
                "variant": if variant == FileVariant::Thumbnail { "thumbnail" } else { "original" },
                "name": record.declared.name,
                "size": size,
            }),
        )
        .await?;
        Ok(DownloadResponse {
            download_url: url,
            expires_at,
            name: options.file_name,
            size,
            content_type: options.content_type,
        })
    }

    /// A completed image the user uploaded themselves, for their avatar.
    pub(crate) async fn own_image(
        &self,
        user: &UserRecord,
        file_id: &FileId,
    ) -> CoreResult<FileRecord> {
        let now = self.deps.clock.now();
        self.deps
            .store
            .file(file_id)
            .await?
            .filter(|f| {
                f.uploaded_by(&user.identity.user_id)
                    && f.status == FileStatus::Complete
                    && f.is_image()
                    && !f.expired(now)
            })
            .ok_or_else(|| {
                CoreError::bad_request("avatarFileId must be a completed image you uploaded")
            })
    }

    /// A URL showing an avatar inline (checked images only), or `None` when the file
    /// is gone or past its retention.
    pub(crate) async fn avatar_url(
        &self,
        user: &UserRecord,
    ) -> CoreResult<Option<(String, DateTime<Utc>)>> {
        let Some(file_id) = &user.profile.avatar_file_id else {
            return Ok(None);
        };
        let Ok(record) = self.own_image(user, file_id).await else {
            return Ok(None);
        };
        let options = DownloadOptions {
            file_name: record.declared.name.clone(),
            content_type: record.declared.content_type.clone(),
            inline: true,
        };
        let expires_at = self.deps.clock.now() + chrono_duration(self.config.files.download_ttl);
        let url = self
            .deps
            .blobs
            .presign_download(&record.content_key(), &options, expires_at)
            .await?;
        Ok(Some((url, expires_at)))
    }
}

/// Validates a `POST /files` body against its storage class.
fn declare(req: CreateFileRequest, class: StorageClass) -> CoreResult<DeclaredFile> {
    let name = file::validate_file_name(&req.name)?;
    let content_type = normalize_content_type(&req.content_type);
    if !class.allows(&content_type) {
        return Err(CoreError::bad_request(format!(
            "{content_type:?} files are not accepted in the {} class; accepted: {}",
            class.as_str(),
            class.allowed_types().join(", ")
        )));
    }
    if req.size == 0 {
        return Err(CoreError::bad_request("size must be at least 1 byte"));
    }
    if req.size > class.max_bytes() {
        return Err(CoreError::PayloadTooLarge(format!(
            "{} files are limited to {} bytes; this one is {}",
            class.as_str(),
            class.max_bytes(),
            req.size
        )));
    }
    let sha256 = req.sha256.to_ascii_lowercase();
    if !file::is_sha256_hex(&sha256) {
        return Err(CoreError::bad_request("sha256 must be 64 hex digits"));
    }
    Ok(DeclaredFile {
        name,
        content_type,
        size: req.size,
        sha256,
    })
}

fn message_kind(record: &FileRecord) -> ContentType {
    if record.is_image() {
        ContentType::Image
    } else {
        ContentType::File
    }
}

/// What a file/image message says about its file (PROTOCOL §4).
pub(crate) fn file_info(record: &FileRecord) -> FileData {
    FileData {
        file_id: record.id.clone(),
        name: record.declared.name.clone(),
        size: record.declared.size,
        content_type: record.declared.content_type.clone(),
        storage_class: record.storage_class,
        width: record.image.map(|i| i.width),
        height: record.image.map(|i| i.height),
        thumbnail: record.image.map(|i| PixelSize {
            width: i.thumbnail_width,
            height: i.thumbnail_height,
        }),
        failure: None,
    }
}

/// The `data` of a file/image message, as stored on the message.
pub(crate) fn file_data(record: &FileRecord) -> Value {
    content::to_data(&file_info(record))
}

/// The `data` of a refused file's message: the same, with why.
pub(crate) fn failed_file_data(record: &FileRecord, reason: String) -> Value {
    content::to_data(&FileData {
        failure: Some(reason),
        ..file_info(record)
    })
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
