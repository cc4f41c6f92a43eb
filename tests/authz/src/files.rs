//! Files for the matrix's file rows: uploaded and completed through the same calls the
//! `/files` routes make, with the bytes sent to the signed URL as a client would.

use chat_core::model::{UserRecord, Visibility};
use chat_core::ports::Clock;
use chat_core::protocol::files::CreateFileRequest;
use chat_core::testkit::harness::TestApp;
use serde_json::json;

/// A completed file of `uploader`'s in `room`; returns its id.
pub async fn completed_file(
    t: &TestApp,
    uploader: &UserRecord,
    room: &str,
    (name, content_type, bytes): (&str, &str, &[u8]),
    visibility: Visibility,
) -> String {
    use sha2::{Digest, Sha256};
    let request: CreateFileRequest = serde_json::from_value(json!({
        "roomId": room,
        "name": name,
        "contentType": content_type,
        "size": bytes.len(),
        "sha256": hex::encode(Sha256::digest(bytes)),
        "visibility": visibility,
    }))
    .unwrap_or_else(|e| panic!("a file declaration: {e}"));
    let created = t
        .app
        .create_upload(uploader, request)
        .await
        .unwrap_or_else(|e| panic!("announce {name}: {e}"));
    t.blobs
        .accept_upload(
            &created.upload.url,
            &created.upload.headers,
            bytes,
            t.clock.now(),
        )
        .unwrap_or_else(|e| panic!("upload {name}: {e}"));
    let done = t
        .app
        .complete_upload(uploader, &created.file_id)
        .await
        .unwrap_or_else(|e| panic!("complete {name}: {e}"));
    assert_eq!(
        done.message.status,
        chat_core::model::MessageStatus::Complete,
        "{name}: {}",
        done.message.text
    );
    created.file_id.to_string()
}

/// The smallest valid PNG we need (1×1), made by the `image` crate.
pub fn tiny_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(1, 1, image::Rgb([0, 0, 0]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("encode a PNG: {e}"));
    out
}
