//! What `complete` and the image job read from a file's bytes: whether they are what the
//! uploader declared, and an image's size and thumbnail. Pure functions over bytes; the
//! reasons they return are shown to the uploader as the message's failure text.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::model::file::{DeclaredFile, is_text_type, normalize_content_type};

/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_MAX_SIDE: u32 = 320;
/// Largest image the thumbnail job decodes, per side: bigger ones are refused rather
/// than risking a decompression bomb.
pub const MAX_IMAGE_SIDE: u32 = 20_000;
/// Memory the decoder may allocate.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Checks stored `bytes` against what was declared: size, sha256, then the type sniffed
/// from the content (magic numbers via `infer`; text types, which have none, must be
/// UTF-8 without NUL bytes). `Err` is the reason, in the uploader's words.
pub fn check_content(declared: &DeclaredFile, bytes: &[u8]) -> Result<(), String> {
    let size = bytes.len() as u64;
    if size != declared.size {
        return Err(format!(
            "the upload is {size} bytes, but {} were declared",
            declared.size
        ));
    }
    let sha = hex::encode(Sha256::digest(bytes));
    if sha != declared.sha256 {
        return Err(format!(
            "the upload's sha256 is {sha}, but {} was declared",
            declared.sha256
        ));
    }
    check_type(&declared.content_type, bytes)
}

fn check_type(declared: &str, bytes: &[u8]) -> Result<(), String> {
    let sniffed = infer::get(bytes).map(|kind| normalize_content_type(kind.mime_type()));
    match sniffed {
        Some(found) if found == declared => Ok(()),
        Some(found) => Err(format!(
            "the content is {found}, but it was declared as {declared}"
        )),
        None if is_text_type(declared) => {
            if bytes.contains(&0) || std::str::from_utf8(bytes).is_err() {
                Err(format!(
                    "the content is not UTF-8 text, but it was declared as {declared}"
                ))
            } else {
                Ok(())
            }
        }
        None => Err(format!("the content is not a recognizable {declared} file")),
    }
}

/// An image's dimensions and its PNG thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
    pub png: Vec<u8>,
}

/// Decodes an image (PNG, JPEG, GIF, WebP) within size limits and scales it to fit
/// [`THUMBNAIL_MAX_SIDE`] (never up). `Err` is the reason, in the uploader's words.
pub fn thumbnail(bytes: &[u8], content_type: &str) -> Result<Thumbnail, String> {
    let format = ImageFormat::from_mime_type(content_type)
        .ok_or_else(|| format!("{content_type} images cannot be previewed"))?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| format!("the image could not be read: {e}"))?;
    let (width, height) = (image.width(), image.height());
    let small = if width.max(height) > THUMBNAIL_MAX_SIDE {
        image.thumbnail(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE)
    } else {
        image
    };
    let mut png = Vec::new();
    small
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| format!("the thumbnail could not be written: {e}"))?;
    Ok(Thumbnail {
        width,
        height,
        thumbnail_width: small.width(),
        thumbnail_height: small.height(),
        png,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(content_type: &str, bytes: &[u8]) -> DeclaredFile {
        DeclaredFile {
            name: "f".into(),
            content_type: content_type.into(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
        }
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn matching_content_passes_and_each_mismatch_says_what_differs() {
        let bytes = png(4, 3);
        assert_eq!(
            check_content(&declared("image/png", &bytes), &bytes),
            Ok(())
        );

        let mut short = declared("image/png", &bytes);
        short.size += 1;
        assert!(check_content(&short, &bytes).unwrap_err().contains("bytes"));

        let mut wrong_hash = declared("image/png", &bytes);
        wrong_hash.sha256 = "0".repeat(64);
        assert!(
            check_content(&wrong_hash, &bytes)
                .unwrap_err()
                .contains("sha256")
        );

        let as_jpeg = declared("image/jpeg", &bytes);
        let why = check_content(&as_jpeg, &bytes).unwrap_err();
        assert!(
            why.contains("image/png") && why.contains("image/jpeg"),
            "{why}"
        );
    }

    #[test]
    fn text_types_must_be_text_and_binary_types_must_be_recognized() {
        let text = b"name,value\nx,1\n";
        assert_eq!(check_content(&declared("text/csv", text), text), Ok(()));
        let json = br#"{"id": "5375703"}"#;
        assert_eq!(
            check_content(&declared("application/json", json), json),
            Ok(())
        );

        let binary = [0u8, 159, 146, 150, 1, 2];
        assert!(check_content(&declared("text/plain", &binary), &binary).is_err());
        let pdf_as_text = b"%PDF-1.7\n...";
        assert!(check_content(&declared("text/plain", pdf_as_text), pdf_as_text).is_err());
        let noise = b"just some words";
        let why = check_content(&declared("application/pdf", noise), noise).unwrap_err();
        assert!(why.contains("not a recognizable application/pdf"), "{why}");
    }

    #[test]
    fn thumbnails_fit_the_box_and_keep_the_aspect_ratio() {
        let big = thumbnail(&png(1000, 500), "image/png").unwrap();
        assert_eq!((big.width, big.height), (1000, 500));
        assert_eq!((big.thumbnail_width, big.thumbnail_height), (320, 160));
        assert!(big.png.starts_with(b"\x89PNG"));

        let small = thumbnail(&png(10, 20), "image/png").unwrap();
        assert_eq!((small.thumbnail_width, small.thumbnail_height), (10, 20));
    }

    #[test]
    fn unreadable_images_are_reasons_not_panics() {
        let mut truncated = png(50, 50);
        truncated.truncate(truncated.len() / 2);
        assert!(thumbnail(&truncated, "image/png").is_err());
        assert!(thumbnail(b"GIF89a", "image/gif").is_err());
        assert!(thumbnail(&png(2, 2), "application/pdf").is_err());
    }
}
