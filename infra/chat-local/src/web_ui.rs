//! The web client (`web/`), served by the gateway itself: `GET /` and `GET /join` answer
//! the single-page app's `index.html`, `GET /assets/…` its hashed scripts and styles.
//!
//! The built files (`web/dist`, committed, and checked against the sources in CI) are
//! compiled into the binary, so `cargo run -p chat-local` on a fresh clone serves the
//! UI with no Node toolchain, and an installed binary needs no folder beside it. Debug
//! builds read the same folder from disk instead (rust-embed's default), so a
//! `npm run build` shows up without recompiling.
//!
//! Served on the gateway's own origin, the UI needs no CORS and no `config.json`; the
//! origin is in the WebSocket Origin allowlist by default (`GatewayConfig`).

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chat_core::CoreError;
use rust_embed::RustEmbed;
use tower_http::compression::CompressionLayer;

use crate::http_bridge::error_response;
use crate::server::Shared;

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[exclude = "config.json"]
struct WebDist;

/// The client's own routes: each is the same page; the script picks the screen.
const PAGES: [&str; 2] = ["/", "/join"];

/// What the page may do: its own scripts and styles, images from here or made in the
/// page (previews), and network calls to this origin only, which includes its
/// WebSocket (CSP Level 3 `'self'` matches `ws:`/`wss:` on the same host). Nothing
/// inline, no plugins, not framed.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// Hashed file names never change content, so a browser keeps them a year; the page
/// itself is revalidated each time (its `ETag` makes that a `304`).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    let mut router = Router::new()
        .route("/assets/{*file}", get(asset))
        .route("/config.json", get(config_json));
    for page in PAGES {
        router = router.route(page, get(index));
    }
    // Scripts and styles compress to about a third; cached for a year after that.
    router.layer(CompressionLayer::new())
}

async fn index(headers: HeaderMap) -> Response {
    match WebDist::get("index.html") {
        Some(file) => {
            let mut response = embedded(&headers, file, REVALIDATE);
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_POLICY),
            );
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            response
        }
        None => error_response(&CoreError::not_found(
            "the web client is not built into this gateway (cd web && npm run build)",
        )),
    }
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match WebDist::get(&format!("assets/{file}")) {
        Some(found) => embedded(&headers, found, IMMUTABLE),
        None => error_response(&CoreError::not_found(format!("no asset /assets/{file}"))),
    }
}

/// The client asks for `/config.json` to learn where the API is when it is hosted
/// apart from it (S3 and CloudFront). Here the API is this origin: an empty object
/// keeps its same-origin default, without a `404` in the browser's console.
async fn config_json() -> Response {
    let mut response = (StatusCode::OK, "{}").into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    response
}

fn embedded(request: &HeaderMap, file: rust_embed::EmbeddedFile, cache: &'static str) -> Response {
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, file.data.into_owned()).into_response();
        if let Ok(mime) = HeaderValue::from_str(file.metadata.mimetype()) {
            r.headers_mut().insert(header::CONTENT_TYPE, mime);
        }
        r
    };
    let h = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, tag);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_client_is_embedded_and_self_consistent() {
        let html = WebDist::get("index.html").expect("web/dist/index.html");
        let html = std::str::from_utf8(&html.data).expect("utf-8");
        // Every file the page names is embedded, and the page runs no inline script.
        let referenced: Vec<&str> = html
            .split(['"', '\''])
            .filter(|s| s.starts_with("/assets/"))
            .collect();
        assert!(
            referenced.iter().any(|s| s.ends_with(".js")),
            "no script in index.html"
        );
        for path in referenced {
            assert!(WebDist::get(&path[1..]).is_some(), "{path} is not embedded");
        }
        assert!(!html.contains("<script>"), "inline script breaks the CSP");
    }

    #[test]
    fn the_page_policy_allows_nothing_from_elsewhere() {
        for directive in PAGE_POLICY.split(';').map(str::trim) {
            let sources: Vec<&str> = directive.split_whitespace().skip(1).collect();
            assert!(
                sources
                    .iter()
                    .all(|s| matches!(*s, "'self'" | "'none'" | "blob:" | "data:")),
                "{directive}"
            );
        }
        assert!(PAGE_POLICY.contains("frame-ancestors 'none'"));
    }
}
