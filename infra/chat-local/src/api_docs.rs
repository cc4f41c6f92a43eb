//! `GET /openapi.json` and `GET /api-docs`: the HTTP API's OpenAPI 3.1 description,
//! and the same as a readable page.
//!
//! The description is not written by hand: each HTTP function crate documents its own
//! routes (their `api_doc` modules, feature `schema`, each checked against the
//! function's route table), and this merges them and adds what only the running
//! gateway knows, its public URL. The page is rendered here from the document, with no
//! script and nothing fetched from elsewhere (`api_docs_html`), so it works offline.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::{InfoBuilder, OpenApi, ServerBuilder};

use crate::api_docs_html;
use crate::server::Shared;

/// What the document says about itself, above the operations.
const DESCRIPTION: &str = "\
The HTTP half of iStackBuddy Chat's wire contract (PROTOCOL.md §2); the WebSocket half \
is described in AsyncAPI (`docs/asyncapi.yaml`). JSON everywhere, camelCase keys, RFC 3339 \
UTC times, ids are opaque strings. Every failure answers `{\"error\":{\"code\",\"message\"}}` \
with the status its code fixes (PROTOCOL.md §1). Authenticated routes take \
`Authorization: Bearer <token>`.

Not described here: the local gateway's `/blobs/{token}` (the pre-signed upload and \
download URLs that `POST /files` and `GET /files/{fileId}` answer stand in for S3 \
there; clients use them as given), `/ws` (AsyncAPI) and the Management API \
(`/@connections/{connectionId}`, server to server).";

/// The merged description, with `servers` naming `public_origin`.
pub fn document(public_origin: &str) -> OpenApi {
    let mut doc = fn_auth::api_doc::openapi();
    doc.merge(fn_files::api_doc::openapi());
    doc.merge(fn_supervisor_api::api_doc::openapi());
    doc.merge(fn_admin_api::api_doc::openapi());
    doc.info = InfoBuilder::new()
        .title("iStackBuddy Chat HTTP API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(DESCRIPTION))
        .build();
    doc.servers = Some(vec![
        ServerBuilder::new()
            .url(public_origin)
            .description(Some("This gateway"))
            .build(),
    ]);
    doc
}

/// The two routes, with the document and page built once.
pub(crate) fn routes(public_origin: &str) -> anyhow::Result<Router<Arc<Shared>>> {
    let doc = document(public_origin);
    let json: Arc<str> = doc.to_pretty_json()?.into();
    let html: Arc<str> = api_docs_html::render(&serde_json::to_value(&doc)?).into();
    Ok(Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let json = Arc::clone(&json);
                async move { text(&json, "application/json") }
            }),
        )
        .route(
            "/api-docs",
            get(move || {
                let html = Arc::clone(&html);
                async move { text(&html, "text/html; charset=utf-8") }
            }),
        ))
}

fn text(body: &str, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The page has no script and loads nothing; say so, so a browser enforces it.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}
