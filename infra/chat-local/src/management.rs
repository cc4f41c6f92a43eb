//! The API Gateway Management API for this gateway's sockets:
//! `POST /@connections/{id}` (body = one frame), `GET` (connection info), `DELETE`
//! (close). Unknown connections answer `410 Gone`, as API Gateway does — that status is
//! the Management API's own contract, which `Push` adapters turn into `PushError::Gone`.
//!
//! Every call needs the header `x-chat-management-key` with the key kept in
//! `<data-dir>/management.key`: the gateway may listen on a public address, and this
//! API writes into and closes other people's sockets.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chat_core::CoreError;
use chat_core::ids::ConnectionId;
use chat_core::ports::{Push, PushError};
use chat_embedded::push::MANAGEMENT_KEY_HEADER;
use serde_json::json;
use tracing::{debug, warn};

use crate::http_bridge::{error_response, json_response};
use crate::server::Shared;

/// `POST /@connections/{id}`: PostToConnection.
pub(crate) async fn post(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = refuse_without_key(&shared, &headers) {
        return refused;
    }
    let Ok(id) = ConnectionId::parse(id) else {
        return gone();
    };
    let Ok(frame) = std::str::from_utf8(&body) else {
        return error_response(&CoreError::bad_request("frames are UTF-8 text"));
    };
    outcome(shared.hub.post(&id, frame).await, StatusCode::OK)
}

/// `GET /@connections/{id}`: GetConnection.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refuse_without_key(&shared, &headers) {
        return refused;
    }
    let info = ConnectionId::parse(id)
        .ok()
        .and_then(|id| shared.hub.info(&id));
    match info {
        Some(info) => json_response(
            StatusCode::OK,
            &json!({
                "connectedAt": info.connected_at,
                "lastActiveAt": info.last_active_at,
                "identity": { "sourceIp": info.source_ip },
            }),
        ),
        None => gone(),
    }
}

/// `DELETE /@connections/{id}`: DeleteConnection.
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refuse_without_key(&shared, &headers) {
        return refused;
    }
    let Ok(id) = ConnectionId::parse(id) else {
        return gone();
    };
    outcome(shared.hub.close(&id).await, StatusCode::NO_CONTENT)
}

fn outcome(result: Result<(), PushError>, ok: StatusCode) -> Response {
    match result {
        Ok(()) => ok.into_response(),
        Err(PushError::Gone) => gone(),
        Err(e) => {
            warn!(error = %e, "management call failed");
            error_response(&CoreError::Internal(e.to_string()))
        }
    }
}

fn gone() -> Response {
    json_response(
        StatusCode::GONE,
        &json!({ "error": { "code": "not_found", "message": "connection is gone" } }),
    )
}

/// `Some(403 answer)` unless the request carries the management key (compared in
/// constant time).
fn refuse_without_key(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get(MANAGEMENT_KEY_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if constant_time_eq(given, shared.management_key.as_bytes()) {
        None
    } else {
        debug!("management call without the right key");
        Some(error_response(&CoreError::forbidden(format!(
            "the management API needs the {MANAGEMENT_KEY_HEADER} header"
        ))))
    }
}

/// Equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn keys_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"abc"));
    }
}
