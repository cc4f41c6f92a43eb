//! Retention for the folder store: what S3 lifecycle rules do on AWS.
//!
//! A blob is swept when its key starts with a rule's prefix and its file was last
//! written longer ago than the rule's age. The local gateway runs [`run_sweeper`] with
//! [`retention_rules`]: each storage class's content and thumbnails for the class's
//! retention, and uploads nobody completed for [`UNFINISHED_UPLOAD_AGE`].

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use chat_core::CoreResult;
use chat_core::model::file::StorageClass;

use super::{FolderBlobs, blocking, open_blob};
use crate::error::EmbeddedError;

/// How long an upload may wait for `complete` before its bytes are swept. Upload URLs
/// live far shorter; this only has to outlast them and a slow completion.
pub const UNFINISHED_UPLOAD_AGE: std::time::Duration = std::time::Duration::from_secs(2 * 3600);

/// Temporary files older than this are left over from a crash mid-write.
const STALE_TMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// The local gateway's rules: per storage class its content (`files/<class>/`) and
/// thumbnails (`thumbs/<class>/`) for the class's retention; unfinished uploads
/// (`uploads/`) for [`UNFINISHED_UPLOAD_AGE`].
pub fn retention_rules() -> Vec<(String, Duration)> {
    let mut rules = Vec::new();
    for class in StorageClass::ALL {
        rules.push((class.key_prefix(), class.retention()));
        rules.push((format!("thumbs/{}/", class.as_str()), class.retention()));
    }
    rules.push((
        // Where `chat_core::model::file::staging_key` puts uploads.
        "uploads/".to_string(),
        Duration::from_std(UNFINISHED_UPLOAD_AGE).unwrap_or(Duration::hours(2)),
    ));
    rules
}

/// Sweeps `blobs` with [`retention_rules`] now and then every `every`, logging each
/// pass. Runs until its task is dropped.
pub async fn run_sweeper(blobs: Arc<FolderBlobs>, every: std::time::Duration) {
    let rules = retention_rules();
    loop {
        match blobs.sweep(Utc::now(), &rules).await {
            Ok(swept) => tracing::info!(swept, dir = %blobs.dir().display(), "blob sweep"),
            Err(error) => tracing::warn!(%error, "blob sweep failed"),
        }
        tokio::time::sleep(every).await;
    }
}

impl FolderBlobs {
    /// Deletes every blob whose key starts with a rule's prefix and whose file is older
    /// than that rule's age at `now` (the longest matching prefix decides); returns how
    /// many. Also removes temporary files a crash left behind. A file that cannot be
    /// read is logged and skipped, so one bad file does not stop the sweep.
    pub async fn sweep(
        &self,
        now: DateTime<Utc>,
        rules: &[(String, Duration)],
    ) -> CoreResult<usize> {
        let (dir, rules) = (self.dir.clone(), rules.to_vec());
        blocking("sweep blobs", move || sweep_dir(&dir, now, &rules)).await
    }
}

fn modified_at(path: &Path) -> std::io::Result<DateTime<Utc>> {
    Ok(std::fs::metadata(path)?.modified()?.into())
}

fn sweep_dir(
    dir: &Path,
    now: DateTime<Utc>,
    rules: &[(String, Duration)],
) -> Result<usize, EmbeddedError> {
    let Some(youngest) = rules.iter().map(|(_, age)| *age).min() else {
        return Ok(0);
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| EmbeddedError::io(format!("list {}", dir.display()), e))?;
    let mut swept = 0;
    for entry in entries {
        let path = match entry {
            Ok(entry) => entry.path(),
            Err(error) => {
                tracing::warn!(%error, "blob sweep: listing entry");
                continue;
            }
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Ok(modified) = modified_at(&path) else {
            continue; // Gone since the listing.
        };
        let age = now - modified;
        if name.starts_with(".tmp-") {
            if age.to_std().is_ok_and(|a| a >= STALE_TMP_AGE) {
                let _ = std::fs::remove_file(&path);
            }
            continue;
        }
        // Most files are younger than every rule: skip them without opening them.
        if !name.ends_with(".blob") || age < youngest {
            continue;
        }
        let key = match open_blob(&path) {
            Ok(Some((header, _))) => header.key,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "blob sweep: unreadable blob skipped");
                continue;
            }
        };
        let rule = rules
            .iter()
            .filter(|(prefix, _)| key.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len());
        let Some((_, max_age)) = rule else { continue };
        // Checked again just before deleting: a `put` or `copy` may have replaced the
        // file (and restarted its retention) while its header was read.
        if age < *max_age || modified_at(&path).ok() != Some(modified) {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => swept += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(%error, key, "blob sweep: delete failed"),
        }
    }
    Ok(swept)
}
