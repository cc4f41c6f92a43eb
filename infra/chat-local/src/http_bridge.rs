//! HTTP ⇄ API Gateway (HTTP API, payload v2) events.
//!
//! Every HTTP request the gateway does not serve itself becomes the
//! `ApiGatewayV2httpRequest` API Gateway would send, is handed to the function its route
//! names in [`HTTP_ROUTES`] — the HTTP API's route table, as deployed — and its
//! `ApiGatewayV2httpResponse` is written back. The conversion helpers here are also
//! used by the WebSocket bridge (query strings, proxy responses).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use aws_lambda_events::apigw::{
    ApiGatewayProxyResponse, ApiGatewayV2httpRequest, ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body as EventBody;
use aws_lambda_events::query_map::QueryMap;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chat_core::CoreError;
use chrono::Utc;

use crate::functions::Function;
use crate::server::Shared;

/// Largest HTTP request body passed on (API Gateway's payload limit is 10 MB; none of
/// our JSON routes needs more than a few KiB).
pub(crate) const MAX_HTTP_BODY: usize = 1024 * 1024;

/// The HTTP API's routes, as API Gateway has them: `ANY /prefix/{proxy+}` takes every
/// method on every path below `/prefix/`; `ANY /path` takes every method on exactly
/// that path; `$default` takes what no other route does.
const HTTP_ROUTES: &[(&str, Function)] = &[
    ("ANY /supervisor/{proxy+}", Function::SupervisorApi),
    ("ANY /admin/{proxy+}", Function::AdminApi),
    ("ANY /files", Function::Files),
    ("ANY /files/{proxy+}", Function::Files),
    ("$default", Function::Auth),
];

/// The route `path` matches: its key, its function and, for a `{proxy+}` route, the
/// rest of the path (API Gateway's `pathParameters.proxy`).
fn http_route(path: &str) -> (&'static str, Function, Option<&str>) {
    for (key, function) in HTTP_ROUTES {
        let Some(pattern) = key.strip_prefix("ANY ") else {
            return (key, *function, None);
        };
        match pattern.strip_suffix("{proxy+}") {
            Some(prefix) => {
                if let Some(rest) = path.strip_prefix(prefix).filter(|r| !r.is_empty()) {
                    return (key, *function, Some(rest));
                }
            }
            None if path == pattern => return (key, *function, None),
            None => {}
        }
    }
    ("$default", Function::Auth, None)
}

/// Fallback route: the request as an HTTP API event, answered by the function its
/// route names.
pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_HTTP_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let err = CoreError::PayloadTooLarge(format!(
                "request bodies are limited to {MAX_HTTP_BODY} bytes"
            ));
            return error_response(&err);
        }
    };
    let mut event = to_http_event(&parts.method, &parts.uri, &parts.headers, &bytes, peer);
    let (route_key, function, proxy) = http_route(parts.uri.path());
    event.route_key = Some(route_key.to_string());
    event.request_context.route_key = Some(route_key.to_string());
    if let Some(rest) = proxy {
        event
            .path_parameters
            .insert("proxy".to_string(), rest.to_string());
    }
    from_http_response(shared.functions.http(function, event).await)
}

/// Builds the event API Gateway's HTTP API (payload format 2.0) would send.
pub(crate) fn to_http_event(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
    peer: SocketAddr,
) -> ApiGatewayV2httpRequest {
    let path = uri.path().to_string();
    let raw_query = uri.query().unwrap_or("").to_string();
    let route_key = format!("{method} {path}");
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some(route_key.clone());
    event.raw_path = Some(path.clone());
    event.query_string_parameters = query_map(&raw_query);
    event.raw_query_string = Some(raw_query);
    event.headers = headers.clone();
    if !body.is_empty() {
        // Text bodies travel as is, anything else base64-encoded, as API Gateway does.
        match std::str::from_utf8(body) {
            Ok(text) => event.body = Some(text.to_string()),
            Err(_) => {
                event.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
                event.is_base64_encoded = true;
            }
        }
    }
    let ctx = &mut event.request_context;
    ctx.route_key = Some(route_key);
    ctx.stage = Some("$default".into());
    ctx.request_id = Some(ulid::Ulid::new().to_string());
    ctx.apiid = Some("local".into());
    ctx.domain_name = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(String::from);
    let now = Utc::now();
    ctx.time = Some(now.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    ctx.time_epoch = now.timestamp_millis();
    ctx.http.method = method.clone();
    ctx.http.path = Some(path);
    ctx.http.protocol = Some("HTTP/1.1".into());
    ctx.http.source_ip = Some(peer.ip().to_string());
    ctx.http.user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .map(String::from);
    event
}

/// `a=1&b=2&a=3` → `{a: [1, 3], b: [2]}`, percent-decoded.
pub(crate) fn query_map(raw: &str) -> QueryMap {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        map.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    QueryMap::from(map)
}

/// HTTP API response → HTTP response.
pub(crate) fn from_http_response(r: ApiGatewayV2httpResponse) -> Response {
    let mut headers = r.headers;
    for (name, value) in r.multi_value_headers.iter() {
        headers.append(name.clone(), value.clone());
    }
    build(r.status_code, headers, r.body, r.is_base64_encoded)
}

/// WebSocket-route (REST-style proxy) response → HTTP response; used to refuse a
/// handshake with the handler's status and body.
pub(crate) fn from_proxy_response(r: ApiGatewayProxyResponse) -> Response {
    let mut headers = r.headers;
    for (name, value) in r.multi_value_headers.iter() {
        headers.append(name.clone(), value.clone());
    }
    build(r.status_code, headers, r.body, r.is_base64_encoded)
}

fn build(
    status: i64,
    headers: HeaderMap,
    body: Option<EventBody>,
    base64_encoded: bool,
) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let bytes: Vec<u8> = match body {
        None => Vec::new(),
        Some(EventBody::Text(text)) if base64_encoded => base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .unwrap_or_else(|_| text.into_bytes()),
        Some(EventBody::Text(text)) => text.into_bytes(),
        Some(EventBody::Binary(bytes)) => bytes,
        Some(_) => Vec::new(),
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// A gateway-level failure in the protocol's error shape.
pub(crate) fn error_response(err: &CoreError) -> Response {
    let status =
        StatusCode::from_u16(err.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &err.to_body())
}

pub(crate) fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{Method, Uri};

    #[test]
    fn a_request_becomes_a_v2_event() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        headers.insert(header::HOST, HeaderValue::from_static("localhost:8080"));
        let uri: Uri = "/users?online=true&x=a%20b&x=c".parse().unwrap();
        let peer: SocketAddr = "127.0.0.1:5555".parse().unwrap();
        let e = to_http_event(&Method::GET, &uri, &headers, b"", peer);
        assert_eq!(e.route_key.as_deref(), Some("GET /users"));
        assert_eq!(e.raw_path.as_deref(), Some("/users"));
        assert_eq!(
            e.raw_query_string.as_deref(),
            Some("online=true&x=a%20b&x=c")
        );
        assert_eq!(e.query_string_parameters.first("online"), Some("true"));
        assert_eq!(e.query_string_parameters.all("x"), Some(vec!["a b", "c"]));
        assert_eq!(e.request_context.http.method, Method::GET);
        assert_eq!(
            e.request_context.http.source_ip.as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            e.request_context.domain_name.as_deref(),
            Some("localhost:8080")
        );
        assert_eq!(e.headers["authorization"], "Bearer t");
        assert!(e.body.is_none());
    }

    #[test]
    fn the_route_table_sends_each_prefix_to_its_function() {
        assert_eq!(
            http_route("/supervisor/rooms/r1/participants"),
            (
                "ANY /supervisor/{proxy+}",
                Function::SupervisorApi,
                Some("rooms/r1/participants")
            )
        );
        assert_eq!(
            http_route("/admin/users"),
            ("ANY /admin/{proxy+}", Function::AdminApi, Some("users"))
        );
        assert_eq!(http_route("/files"), ("ANY /files", Function::Files, None));
        assert_eq!(
            http_route("/files/file_1/complete"),
            (
                "ANY /files/{proxy+}",
                Function::Files,
                Some("file_1/complete")
            )
        );
        for path in [
            "/auth/guest",
            "/me",
            "/supervisor",
            "/supervisor/",
            "/administrators",
            "/filesystem",
        ] {
            assert_eq!(
                http_route(path),
                ("$default", Function::Auth, None),
                "{path}"
            );
        }
    }

    #[test]
    fn binary_bodies_are_base64_encoded() {
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let e = to_http_event(
            &Method::POST,
            &"/x".parse().unwrap(),
            &HeaderMap::new(),
            &[0xff, 0x00],
            peer,
        );
        assert!(e.is_base64_encoded);
        assert_eq!(e.body.as_deref(), Some("/wA="));
        let t = to_http_event(
            &Method::POST,
            &"/x".parse().unwrap(),
            &HeaderMap::new(),
            b"{}",
            peer,
        );
        assert_eq!(
            (t.body.as_deref(), t.is_base64_encoded),
            (Some("{}"), false)
        );
    }

    #[test]
    fn a_response_keeps_status_headers_and_body() {
        let mut r = ApiGatewayV2httpResponse::default();
        r.status_code = 401;
        r.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r.body = Some(EventBody::Text("{\"error\":{}}".into()));
        let resp = from_http_response(r);
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
    }
}
