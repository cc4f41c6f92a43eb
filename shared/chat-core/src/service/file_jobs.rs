//! The file jobs: an image's dimensions and thumbnail (`FileImage`), and failing a file
//! whose upload never completed (`FileUploadExpiry`). Both are idempotent: a second
//! delivery finds the work done and does nothing.

use crate::error::CoreResult;
use crate::ids::FileId;
use crate::model::{FileStatus, ImageFacts, MessageStatus};
use crate::service::App;
use crate::service::file_checks::thumbnail;
use crate::service::files::{failed_file_data, file_data};

impl App {
    /// Records a completed image's width and height, stores its PNG thumbnail and
    /// announces the message again with both in its `data`. An image that cannot be
    /// decoded turns the message `failed` with the reason.
    pub(crate) async fn run_file_image(&self, file_id: &FileId) -> CoreResult<()> {
        let Some(mut record) = self.deps.store.file(file_id).await? else {
            return Ok(());
        };
        if record.status != FileStatus::Complete || !record.is_image() || record.image.is_some() {
            return Ok(());
        }
        let Some(bytes) = self.deps.blobs.get(&record.content_key()).await? else {
            // Past retention already: nothing to show.
            return Ok(());
        };
        let content_type = record.declared.content_type.clone();
        // Decoding is CPU work: keep it off the async workers.
        let made = tokio::task::spawn_blocking(move || thumbnail(&bytes, &content_type))
            .await
            .map_err(|e| crate::error::CoreError::Internal(format!("thumbnail task: {e}")))?;
        let mut message = self.file_message(&record).await?;
        match made {
            Ok(thumb) => {
                self.deps
                    .blobs
                    .put(&record.thumbnail_key(), &thumb.png, "image/png")
                    .await?;
                let mut updated = record.clone();
                updated.image = Some(ImageFacts {
                    width: thumb.width,
                    height: thumb.height,
                    thumbnail_width: thumb.thumbnail_width,
                    thumbnail_height: thumb.thumbnail_height,
                });
                if !self
                    .deps
                    .store
                    .update_file_if(&updated, FileStatus::Complete)
                    .await?
                {
                    return Ok(());
                }
                message.data = Some(file_data(&updated));
            }
            Err(reason) => {
                record.status = FileStatus::Failed;
                if !self
                    .deps
                    .store
                    .update_file_if(&record, FileStatus::Complete)
                    .await?
                {
                    return Ok(());
                }
                message.status = MessageStatus::Failed;
                message.text = reason.clone();
                message.data = Some(failed_file_data(&record, reason));
            }
        }
        self.store_and_announce(message).await
    }

    /// Fails the file if it is still pending: its upload URL has expired, so nothing
    /// can complete it any more, and its message must not stay `pending` for ever.
    pub(crate) async fn run_file_upload_expiry(&self, file_id: &FileId) -> CoreResult<()> {
        let Some(record) = self.deps.store.file(file_id).await? else {
            return Ok(());
        };
        let now = self.deps.clock.now();
        if record.status != FileStatus::Pending {
            return Ok(());
        }
        if now < record.upload_expires_at {
            // Delivered early (a queue's delay has a ceiling): `complete` still may
            // settle it, so look again when the URL has expired.
            let wait = (record.upload_expires_at - now)
                .to_std()
                .unwrap_or_default();
            let again = crate::ports::Job::FileUploadExpiry {
                file_id: record.id.clone(),
            };
            return self.deps.jobs.enqueue(&again, wait).await;
        }
        self.deps.blobs.delete(&record.staging_key()).await?;
        let reason = "the upload was not completed before its URL expired".to_string();
        self.finish_file(record, Err(reason), now).await?;
        Ok(())
    }
}
