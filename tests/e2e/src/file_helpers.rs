//! Files over the wire, as a client does them: `POST /files`, the bytes to the
//! pre-signed URL (the gateway's `/blobs` on the embedded backend, moto's S3 on the AWS
//! one), `POST /files/{id}/complete`, `GET /files/{id}`, then the download URL.

use std::io::Cursor;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{TIMEOUT, TestServer};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A solid-colour PNG of `width` × `height`.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([40, 90, 160]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode a PNG");
    out
}

/// The `POST /files` body for `bytes` as they are.
pub fn declaration(room: &str, name: &str, content_type: &str, bytes: &[u8]) -> Value {
    json!({
        "roomId": room,
        "name": name,
        "contentType": content_type,
        "size": bytes.len(),
        "sha256": sha256_hex(bytes),
    })
}

/// An HTTP answer from storage: status, headers (lower-case names), body.
pub struct Fetched {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .expect("an HTTP client")
}

async fn fetched(resp: reqwest::Response) -> Fetched {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = resp.bytes().await.expect("read the body").to_vec();
    Fetched {
        status,
        headers,
        body,
    }
}

/// Sends `body` with the method and headers `upload` (`POST /files`' `upload`) asks for.
pub async fn put_upload(upload: &Value, body: Vec<u8>) -> Fetched {
    let url = upload["url"].as_str().expect("an upload URL");
    let method = upload["method"].as_str().expect("an upload method");
    let mut req = client().request(
        reqwest::Method::from_bytes(method.as_bytes()).expect("a method"),
        url,
    );
    for (name, value) in upload["headers"].as_object().expect("upload headers") {
        req = req.header(name, value.as_str().expect("a header value"));
    }
    fetched(req.body(body).send().await.expect("upload request")).await
}

/// `GET url` (a download URL).
pub async fn fetch(url: &str) -> Fetched {
    fetched(client().get(url).send().await.expect("download request")).await
}

impl TestServer {
    /// `POST /files` as `token`.
    pub async fn announce_file(&self, token: &str, declaration: Value) -> (u16, Value) {
        self.http("POST", "/files", Some(declaration), Some(token))
            .await
    }

    /// `POST /files/{id}/complete` as `token`.
    pub async fn complete_file(&self, token: &str, file_id: &str) -> (u16, Value) {
        self.http(
            "POST",
            &format!("/files/{file_id}/complete"),
            None,
            Some(token),
        )
        .await
    }

    /// `GET /files/{id}` (`?variant=…` may be appended to `file_id`) as `token`.
    pub async fn file_link(&self, token: &str, file_id: &str) -> (u16, Value) {
        self.http("GET", &format!("/files/{file_id}"), None, Some(token))
            .await
    }

    /// Announces, uploads and completes `bytes`; returns the file id and the
    /// completed message (panics on any refusal).
    pub async fn send_file(
        &self,
        token: &str,
        room: &str,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> (String, Value) {
        let (status, created) = self
            .announce_file(token, declaration(room, name, content_type, bytes))
            .await;
        assert_eq!(status, 200, "POST /files: {created}");
        let sent = put_upload(&created["upload"], bytes.to_vec()).await;
        assert_eq!(
            sent.status,
            200,
            "upload: {}",
            String::from_utf8_lossy(&sent.body)
        );
        let id = created["fileId"].as_str().expect("a file id").to_string();
        let (status, done) = self.complete_file(token, &id).await;
        assert_eq!(status, 200, "complete: {done}");
        (id, done["message"].clone())
    }
}
