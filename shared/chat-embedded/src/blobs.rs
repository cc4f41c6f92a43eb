//! `Blobs` in a local folder.
//!
//! Layout: each key is stored in one file named by the hex sha256 of the key, so any key
//! (slashes, `..`, unicode, 1 KiB long) maps to a safe, fixed-length name inside the
//! folder and no key can reach outside it. The file holds one line of JSON metadata
//! (the key, size, content type and content sha256), then the raw bytes: content and
//! metadata are replaced together. Writes go to a temporary file in the same folder,
//! are fsynced and renamed over the target, so a reader sees the old blob or the new
//! one, never half of either, and a crash leaves no partial blob behind.
//!
//! A file's modification time is when its content was last written (`put`, `copy`,
//! an upload): the [`sweeper`] deletes blobs by it, so copying content to its storage
//! class's key restarts its retention.
//!
//! Pre-signed URLs: with a [`UrlSigner`] attached ([`FolderBlobs::with_urls`]), the
//! store signs URLs that the local gateway serves by calling
//! [`FolderBlobs::accept_upload`] and [`FolderBlobs::open_download`].

mod sweeper;

pub use sweeper::{UNFINISHED_UPLOAD_AGE, retention_rules, run_sweeper};

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use chat_core::blob_url::{self, ResponseHeaders, UrlSigner};
use chat_core::ports::{BlobMeta, Blobs, DownloadOptions, PresignedRequest, UploadBinding};
use chat_core::{CoreError, CoreResult};

use crate::error::EmbeddedError;

/// Blobs as files in one folder.
#[derive(Debug)]
pub struct FolderBlobs {
    dir: PathBuf,
    /// Makes temporary file names unique within this process.
    next_tmp: AtomicU64,
    /// Signs the URLs the local gateway serves; `None`: no pre-signed URLs.
    urls: Option<Arc<UrlSigner>>,
}

/// The metadata line at the start of each blob file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    key: String,
    size: u64,
    content_type: String,
    sha256: String,
}

impl FolderBlobs {
    /// Uses (creating it if needed) the folder `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Result<FolderBlobs, EmbeddedError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| EmbeddedError::CreateDir {
            path: dir.clone(),
            source,
        })?;
        Ok(FolderBlobs {
            dir,
            next_tmp: AtomicU64::new(0),
            urls: None,
        })
    }

    /// Signs pre-signed URLs with `urls` (shared: the gateway sets its base after
    /// binding). Without it, `presign_*` answer `unavailable`.
    pub fn with_urls(mut self, urls: Arc<UrlSigner>) -> FolderBlobs {
        self.urls = Some(urls);
        self
    }

    fn signer(&self) -> CoreResult<&UrlSigner> {
        self.urls.as_deref().ok_or_else(|| {
            CoreError::Unavailable("this blob store has no URL signer; uploads are off".into())
        })
    }

    /// `PUT /blobs/{token}`: stores `body` at the token's key if the token is valid at
    /// `now` and the headers and body match what it was signed for.
    pub async fn accept_upload(
        &self,
        token: &str,
        content_type: Option<&str>,
        checksum: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> CoreResult<()> {
        let (key, binding) = self.signer()?.verify_upload(token, now)?;
        blob_url::check_upload(&binding, content_type, checksum, body)?;
        // Stored with the signed type, not the header's spelling of it.
        self.put(&key, body, &binding.content_type).await?;
        Ok(())
    }

    /// `GET /blobs/{token}`: the response headers and the whole content (files are at
    /// most 100 MiB).
    pub async fn open_download(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<(ResponseHeaders, Vec<u8>)> {
        let (key, options) = self.signer()?.verify_download(token, now)?;
        let bytes = self
            .get(&key)
            .await?
            .ok_or_else(|| CoreError::not_found("this file is no longer available"))?;
        Ok((blob_url::download_headers(&options), bytes))
    }

    /// The folder blobs live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, key: &str) -> PathBuf {
        self.dir.join(format!(
            "{}.blob",
            hex::encode(Sha256::digest(key.as_bytes()))
        ))
    }

    fn tmp_path(&self) -> PathBuf {
        let n = self.next_tmp.fetch_add(1, Ordering::Relaxed);
        // Dot-prefixed and never ending in `.blob`: never mistaken for a blob.
        self.dir.join(format!(".tmp-{}-{n}", std::process::id()))
    }
}

async fn blocking<T, F>(what: &'static str, op: F) -> CoreResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, EmbeddedError> + Send + 'static,
{
    match tokio::task::spawn_blocking(op).await {
        Ok(result) => result.map_err(EmbeddedError::into_core),
        Err(source) => Err(EmbeddedError::Task {
            context: what.to_string(),
            source,
        }
        .into_core()),
    }
}

/// Opens a blob file and reads its header; `None` when there is no such blob.
fn open_blob(path: &Path) -> Result<Option<(Header, BufReader<std::fs::File>)>, EmbeddedError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(EmbeddedError::io(format!("open {}", path.display()), e)),
    };
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| EmbeddedError::io(format!("read {}", path.display()), e))?;
    let header: Header = serde_json::from_str(line.trim_end_matches('\n'))
        .map_err(|e| EmbeddedError::Corrupt(format!("blob header in {}: {e}", path.display())))?;
    Ok(Some((header, reader)))
}

/// Reads a whole blob file: header and content.
fn read_blob(path: &Path) -> Result<Option<(Header, Vec<u8>)>, EmbeddedError> {
    let Some((header, mut reader)) = open_blob(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::with_capacity(usize::try_from(header.size).unwrap_or(0));
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| EmbeddedError::io(format!("read {}", path.display()), e))?;
    if bytes.len() as u64 != header.size {
        return Err(EmbeddedError::Corrupt(format!(
            "blob {} holds {} bytes, its header says {}",
            path.display(),
            bytes.len(),
            header.size
        )));
    }
    Ok(Some((header, bytes)))
}

fn write_atomically(
    tmp: &Path,
    target: &Path,
    header: &[u8],
    bytes: &[u8],
) -> Result<(), EmbeddedError> {
    let io = |what: &str, e| EmbeddedError::io(format!("{what} {}", tmp.display()), e);
    let result = (|| {
        let mut file = std::fs::File::create(tmp).map_err(|e| io("create", e))?;
        file.write_all(header).map_err(|e| io("write", e))?;
        file.write_all(b"\n").map_err(|e| io("write", e))?;
        file.write_all(bytes).map_err(|e| io("write", e))?;
        file.sync_all().map_err(|e| io("sync", e))?;
        std::fs::rename(tmp, target).map_err(|e| io("rename", e))
    })();
    if result.is_err() {
        // Best effort: do not leave a stray temporary file behind.
        let _ = std::fs::remove_file(tmp);
    }
    result?;
    // Persist the rename itself (the directory entry). Not all platforms allow opening a
    // directory for sync, so this is best effort.
    if let Some(dir) = target.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[async_trait]
impl Blobs for FolderBlobs {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> CoreResult<BlobMeta> {
        let meta = BlobMeta {
            size: bytes.len() as u64,
            content_type: content_type.to_string(),
            sha256: hex::encode(Sha256::digest(bytes)),
        };
        let header = serde_json::to_vec(&Header {
            key: key.to_string(),
            size: meta.size,
            content_type: meta.content_type.clone(),
            sha256: meta.sha256.clone(),
        })
        .map_err(|e| CoreError::storage("encode blob header", e))?;
        let (tmp, target, bytes) = (self.tmp_path(), self.path_of(key), bytes.to_vec());
        blocking("put blob", move || {
            write_atomically(&tmp, &target, &header, &bytes)
        })
        .await?;
        Ok(meta)
    }

    async fn get(&self, key: &str) -> CoreResult<Option<Vec<u8>>> {
        let path = self.path_of(key);
        blocking("get blob", move || {
            Ok(read_blob(&path)?.map(|(_, bytes)| bytes))
        })
        .await
    }

    async fn head(&self, key: &str) -> CoreResult<Option<BlobMeta>> {
        let path = self.path_of(key);
        blocking("head blob", move || {
            Ok(open_blob(&path)?.map(|(h, _)| BlobMeta {
                size: h.size,
                content_type: h.content_type,
                sha256: h.sha256,
            }))
        })
        .await
    }

    async fn delete(&self, key: &str) -> CoreResult<()> {
        let path = self.path_of(key);
        blocking("delete blob", move || match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(EmbeddedError::io(format!("delete {}", path.display()), e)),
        })
        .await
    }

    /// A new file written like `put` (so its modification time, and with it its
    /// retention, starts now), never a hard link or a rename of the source.
    async fn copy(&self, from: &str, to: &str) -> CoreResult<bool> {
        let (source, tmp, target, to) = (
            self.path_of(from),
            self.tmp_path(),
            self.path_of(to),
            to.to_string(),
        );
        blocking("copy blob", move || {
            let Some((mut header, bytes)) = read_blob(&source)? else {
                return Ok(false);
            };
            header.key = to;
            let header = serde_json::to_vec(&header)
                .map_err(|e| EmbeddedError::Corrupt(format!("encode blob header: {e}")))?;
            write_atomically(&tmp, &target, &header, &bytes)?;
            Ok(true)
        })
        .await
    }

    async fn presign_upload(
        &self,
        key: &str,
        binding: &UploadBinding,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<PresignedRequest> {
        self.signer()?.sign_upload(key, binding, expires_at)
    }

    /// Served by the local gateway with `nosniff` and the other headers of
    /// [`blob_url::download_headers`].
    async fn presign_download(
        &self,
        key: &str,
        options: &DownloadOptions,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<String> {
        self.signer()?.sign_download(key, options, expires_at)
    }
}
