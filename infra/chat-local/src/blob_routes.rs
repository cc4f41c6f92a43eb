//! `PUT /blobs/{token}` and `GET /blobs/{token}`: the folder store's pre-signed URLs,
//! which the local gateway serves the way S3 serves its own (embedded backend only;
//! on the AWS backend the URLs point at S3).
//!
//! The token carries everything (key, expiry, what the upload must be or how the
//! download is served) under an HMAC, so these routes need no session and no state
//! beyond the store: [`chat_core::blob_url`]. The secret is `blob-url.key` in the data
//! folder, created on first start like the token signing key, so URLs handed out
//! before a restart keep working after it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use chat_core::CoreError;
use chat_core::blob_url::{CHECKSUM_HEADER, UrlSigner};
use chat_embedded::blobs::{FolderBlobs, run_sweeper};
use chrono::Utc;
use tokio::sync::watch;
use tracing::warn;

use crate::http_bridge::error_response;
use crate::secrets;

/// The blob URL secret inside a data folder (hex of 32 random bytes, `0600`).
pub const BLOB_URL_KEY_FILE: &str = "blob-url.key";
/// Where the routes live, under the gateway's public origin.
pub const BLOB_PATH: &str = "/blobs";
/// How often the sweeper deletes blobs past their retention (and once at start).
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Largest upload body accepted: the largest storage class (100 MiB), plus slack so
/// that a body just over a class's limit is refused by the binding check with a
/// precise message rather than here.
const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024 + 64 * 1024;

/// The signer of the folder store's URLs: its secret from (or created in) `data_dir`,
/// its URLs under `{public_origin}/blobs`.
pub(crate) fn signer(data_dir: &Path, public_origin: &str) -> anyhow::Result<Arc<UrlSigner>> {
    let path = secrets::file(data_dir, BLOB_URL_KEY_FILE);
    let secret = secrets::load_or_create(&path)
        .with_context(|| format!("cannot read or create {}", path.display()))?;
    // Generated keys are hex; a hand-written one is used as it is (at least 32 chars).
    let secret = hex::decode(&secret).unwrap_or_else(|_| secret.into_bytes());
    let base = format!("{}{BLOB_PATH}", public_origin.trim_end_matches('/'));
    let signer =
        UrlSigner::new(&secret, base).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Arc::new(signer))
}

/// Runs the folder store's sweeper ([`SWEEP_EVERY`], and once now) until `stop`.
pub(crate) fn spawn_sweeper(blobs: Arc<FolderBlobs>, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        tokio::select! {
            () = run_sweeper(blobs, SWEEP_EVERY) => {}
            _ = stop.wait_for(|stopped| *stopped) => {}
        }
    });
}

/// The two routes on `blobs`, for any router state (they carry their own).
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(blobs: Arc<FolderBlobs>) -> Router<S> {
    routes_with_limit(blobs, MAX_UPLOAD_BYTES)
}

fn routes_with_limit<S: Clone + Send + Sync + 'static>(
    blobs: Arc<FolderBlobs>,
    max_upload_bytes: usize,
) -> Router<S> {
    Router::new()
        .route(
            &format!("{BLOB_PATH}/{{token}}"),
            put(upload)
                // On the upload only: every other route keeps axum's small default.
                .layer(DefaultBodyLimit::max(max_upload_bytes))
                .get(download),
        )
        .with_state(blobs)
}

/// Logs failures that are ours (the client sees a generic message).
fn failure(error: &CoreError) -> Response {
    if error.code().http_status() >= 500 {
        warn!(%error, "blob route failed");
    }
    error_response(error)
}

async fn upload(
    State(blobs): State<Arc<FolderBlobs>>,
    UrlPath(token): UrlPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return failure(&CoreError::PayloadTooLarge(
                "the upload is larger than any file may be".into(),
            ));
        }
        Err(rejection) => return failure(&CoreError::bad_request(rejection.body_text())),
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let accepted = blobs
        .accept_upload(
            &token,
            header("content-type"),
            header(CHECKSUM_HEADER),
            &body,
            Utc::now(),
        )
        .await;
    match accepted {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => failure(&e),
    }
}

async fn download(
    State(blobs): State<Arc<FolderBlobs>>,
    UrlPath(token): UrlPath<String>,
) -> Response {
    let (headers, bytes) = match blobs.open_download(&token, Utc::now()).await {
        Ok(found) => found,
        Err(e) => return failure(&e),
    };
    let mut response = bytes.into_response();
    for (name, value) in headers {
        // The values are built to be valid header text (the file name is encoded);
        // one that is not is dropped rather than served broken.
        match HeaderValue::from_str(&value) {
            Ok(value) => {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(name), value);
            }
            Err(_) => warn!(header = name, "blob download header dropped"),
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chat_core::ports::{Blobs, DownloadOptions, UploadBinding};

    use super::*;

    /// A gateway with only the blob routes (upload limit `limit`), on a free port.
    async fn serve(limit: usize) -> (tempfile::TempDir, Arc<FolderBlobs>) {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let urls = signer(dir.path(), &origin).unwrap();
        let blobs = Arc::new(
            FolderBlobs::new(dir.path().join("blobs"))
                .unwrap()
                .with_urls(urls),
        );
        let router: Router = routes_with_limit(Arc::clone(&blobs), limit);
        tokio::spawn(async move { axum::serve(listener, router).await });
        (dir, blobs)
    }

    /// The binding of `body` (its hash as the store computes it).
    async fn binding_of(blobs: &FolderBlobs, body: &[u8]) -> UploadBinding {
        let meta = blobs.put("scratch", body, "text/plain").await.unwrap();
        UploadBinding {
            size: meta.size,
            content_type: "text/plain".into(),
            sha256: meta.sha256,
        }
    }

    async fn put_with(
        url: &str,
        headers: &BTreeMap<String, String>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new().put(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send().await.unwrap()
    }

    async fn error_code(response: reqwest::Response) -> (u16, String) {
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        (
            status,
            body["error"]["code"].as_str().unwrap_or("").to_string(),
        )
    }

    fn in_a_minute() -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::minutes(1)
    }

    #[tokio::test]
    async fn the_secret_is_kept_owner_only_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = signer(dir.path(), "http://h/").unwrap();
        let b = signer(dir.path(), "http://h").unwrap();
        let options = DownloadOptions {
            file_name: "a".into(),
            content_type: "text/plain".into(),
            inline: false,
        };
        let url = a.sign_download("k", &options, in_a_minute()).unwrap();
        assert!(url.starts_with("http://h/blobs/"), "{url}");
        let token = url.rsplit('/').next().unwrap();
        assert!(
            b.verify(token, Utc::now()).is_ok(),
            "the same secret after a restart"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join(BLOB_URL_KEY_FILE);
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[tokio::test]
    async fn uploads_and_downloads_go_through_the_routes() {
        let (_dir, blobs) = serve(MAX_UPLOAD_BYTES).await;
        let body = b"route content".to_vec();
        let binding = binding_of(&blobs, &body).await;
        let request = blobs
            .presign_upload("uploads/f1", &binding, in_a_minute())
            .await
            .unwrap();

        let response = put_with(&request.url, &request.headers, b"route c0ntent".to_vec()).await;
        assert_eq!(
            error_code(response).await,
            (400, "bad_request".into()),
            "another body"
        );

        let response = put_with(&request.url, &request.headers, body.clone()).await;
        assert_eq!(response.status(), 200);
        assert!(response.bytes().await.unwrap().is_empty(), "an empty 200");
        assert_eq!(blobs.get("uploads/f1").await.unwrap(), Some(body.clone()));

        let options = DownloadOptions {
            file_name: "note ü.txt".into(),
            content_type: "text/plain".into(),
            inline: false,
        };
        let url = blobs
            .presign_download("uploads/f1", &options, in_a_minute())
            .await
            .unwrap();
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(response.status(), 200);
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header("content-type"), "text/plain");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("cache-control"), "private, no-store");
        assert_eq!(
            header("content-disposition"),
            chat_core::blob_url::content_disposition("note ü.txt", false)
        );
        assert_eq!(response.bytes().await.unwrap().as_ref(), &body[..]);

        let (head, token) = url.rsplit_once('/').unwrap();
        let tampered = format!("{head}/x{token}");
        let response = reqwest::get(&tampered).await.unwrap();
        assert_eq!(error_code(response).await, (403, "forbidden".into()));
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_payload_too_large() {
        let (_dir, blobs) = serve(1024).await;
        let body = vec![b'x'; 2048];
        let binding = binding_of(&blobs, &body).await;
        let request = blobs
            .presign_upload("uploads/big", &binding, in_a_minute())
            .await
            .unwrap();
        let response = put_with(&request.url, &request.headers, body).await;
        assert_eq!(
            error_code(response).await,
            (413, "payload_too_large".into())
        );
        assert_eq!(blobs.head("uploads/big").await.unwrap(), None);
    }

    #[tokio::test]
    async fn the_gateway_serves_its_folder_store_at_its_own_address() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::GatewayConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().into());
        let gateway = crate::start(config).await.unwrap();
        let origin = format!("http://{}", gateway.local_addr());

        // A URL signed with the data folder's key for the bound address is accepted.
        let urls = signer(dir.path(), &origin).unwrap();
        let scratch = FolderBlobs::new(dir.path().join("scratch")).unwrap();
        let body = b"through the gateway".to_vec();
        let request = urls
            .sign_upload(
                "uploads/g1",
                &binding_of(&scratch, &body).await,
                in_a_minute(),
            )
            .unwrap();
        assert!(request.url.starts_with(&format!("{origin}/blobs/")));
        let response = put_with(&request.url, &request.headers, body.clone()).await;
        assert_eq!(response.status(), 200);
        let response = put_with(
            &format!("{origin}/blobs/a.b"),
            &request.headers,
            body.clone(),
        )
        .await;
        assert_eq!(error_code(response).await, (403, "forbidden".into()));
        gateway.shutdown().await;

        let store = FolderBlobs::new(dir.path().join(crate::backend::BLOB_DIR)).unwrap();
        assert_eq!(store.get("uploads/g1").await.unwrap(), Some(body));
    }
}
