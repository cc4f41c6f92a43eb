//! This function's routes in OpenAPI 3.1 (feature `schema`; the Lambda builds without
//! it). `chat-local` merges it with the other HTTP functions' descriptions; the test
//! below keeps it equal to the route table (`ROUTES`). The bytes themselves go to the
//! pre-signed URLs these routes answer (S3, or the local gateway's `/blobs/{token}`),
//! which are not part of this API.

// The functions below exist only to carry `#[utoipa::path]`; nothing calls them.
#![allow(dead_code)]

use chat_core::ids::FileId;
use chat_core::protocol::files::{
    CompleteFileResponse, CreateFileRequest, CreateFileResponse, DownloadResponse, FileVariant,
};
use chat_http::openapi::{
    BadRequest, Conflict, Forbidden, Internal, NotFound, PayloadTooLarge, Shared, Unauthorized,
    Unavailable,
};
use utoipa::OpenApi;

/// The description of `/files` and `/files/{fileId}…`.
#[derive(OpenApi)]
#[openapi(
    paths(create, complete, download),
    // Used only by a parameter, which utoipa does not collect on its own.
    components(schemas(FileVariant)),
    modifiers(&Shared),
    tags((name = "files", description = "Uploads with pre-signed URLs, their checks, and downloads."))
)]
pub struct FilesApi;

/// The description as a document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    FilesApi::openapi()
}

/// Declares a file for a room: creates its `pending` `file`/`image` message and answers
/// where to `PUT` the bytes (with exactly the given headers) before `expiresAt`.
#[utoipa::path(
    post, path = "/files", tag = "files",
    security(("bearer" = [])),
    request_body = CreateFileRequest,
    responses(
        (status = 200, description = "Where to upload.", body = CreateFileResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`forbidden`: a guest asked for `archive` storage or `employees` visibility.", body = chat_core::error::ErrorBody),
        (status = 404, description = "`not_found`: the caller is not a member of the room (or it does not exist).", body = chat_core::error::ErrorBody),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
fn create() {}

/// The uploader says the bytes are there: the server checks size, sha256 and sniffed
/// type and answers the message, now `complete` or `failed` (with the reason as text).
/// Calling it again answers the same message.
#[utoipa::path(
    post, path = "/files/{fileId}/complete", tag = "files",
    security(("bearer" = [])),
    params(("fileId" = FileId, Path, description = "The file `POST /files` answered.")),
    responses(
        (status = 200, description = "The file's message.", body = CompleteFileResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, description = "`not_found`: no such file, or not the caller's upload.", body = chat_core::error::ErrorBody),
        (status = 409, response = Conflict),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
fn complete() {}

/// A URL for the file's bytes, valid for 5 minutes (audited as `file.download`).
#[utoipa::path(
    get, path = "/files/{fileId}", tag = "files",
    security(("bearer" = [])),
    params(
        ("fileId" = FileId, Path, description = "The file."),
        ("variant" = Option<FileVariant>, Query, description = "`original` (default) or `thumbnail` (images, once the thumbnail exists)."),
    ),
    responses(
        (status = 200, description = "Where to download.", body = DownloadResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "`conflict`: the file is not complete, or is past its retention.", body = chat_core::error::ErrorBody),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
fn download() {}

#[cfg(test)]
mod tests {
    use chat_http::openapi::{documented_operations, route_operations};

    #[test]
    fn the_description_documents_exactly_the_route_table() {
        assert_eq!(
            documented_operations(&super::openapi()),
            route_operations(crate::ROUTES)
        );
    }
}
