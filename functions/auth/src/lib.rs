//! # fn-auth — the HTTP API's handler
//!
//! One Lambda serves the session and user routes of PROTOCOL §2:
//!
//! | route | core call |
//! |---|---|
//! | `POST /auth/login` | [`App::login`] |
//! | `POST /auth/ws-ticket` | [`App::issue_ws_ticket`] |
//! | `GET /me` | [`App::me`] |
//! | `PATCH /me/profile` | [`App::update_profile`] |
//! | `GET /users?online=` | [`App::directory`] |
//! | `GET /healthz` | none: `{"status":"ok"}` |
//!
//! The handler only translates: event → typed request → one core call → response. Every
//! failure is a [`CoreError`], answered with the status its code fixes and the body
//! [`CoreError::to_body`] builds; no other status mapping exists here. An unknown path
//! and a known path with the wrong method both answer `404 not_found` (the protocol has
//! no code for 405; the message names the method to use).

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, Method, header};
use base64::Engine;
use chat_core::model::UserRecord;
use chat_core::protocol::http::{LoginRequest, ProfilePatch};
use chat_core::{App, CoreError, CoreResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tracing::{Instrument, info_span, warn};

/// The routes this function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Login,
    WsTicket,
    Me,
    Profile,
    Users,
    Healthz,
}

const ROUTES: &[(&str, Method, Route)] = &[
    ("/auth/login", Method::POST, Route::Login),
    ("/auth/ws-ticket", Method::POST, Route::WsTicket),
    ("/me", Method::GET, Route::Me),
    ("/me/profile", Method::PATCH, Route::Profile),
    ("/users", Method::GET, Route::Users),
    ("/healthz", Method::GET, Route::Healthz),
];

/// Handles one HTTP API (payload v2) request.
pub async fn handle(app: &App, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    // Payload v2 carries the method only in the request context.
    let method = req.request_context.http.method.clone();
    let path = route_path(&req);
    let span = info_span!("http", %method, path = %path, status = tracing::field::Empty);
    async {
        let result = match find_route(&method, &path) {
            Ok(route) => run(app, route, &req).await,
            Err(e) => Err(e),
        };
        let response = match result {
            Ok(body) => json_response(200, &body),
            Err(err) => error_response(&err),
        };
        tracing::Span::current().record("status", response.status_code);
        response
    }
    .instrument(span)
    .await
}

async fn run(app: &App, route: Route, req: &ApiGatewayV2httpRequest) -> CoreResult<Value> {
    match route {
        Route::Healthz => Ok(json!({ "status": "ok" })),
        Route::Login => {
            let login: LoginRequest = json_body(req)?;
            to_json(&app.login(&login).await?)
        }
        Route::WsTicket => {
            let user = caller(app, req).await?;
            to_json(&app.issue_ws_ticket(&user.identity).await?)
        }
        Route::Me => {
            let user = caller(app, req).await?;
            to_json(&app.me(&user))
        }
        Route::Profile => {
            // Authenticate first: an anonymous caller learns nothing about the body.
            let user = caller(app, req).await?;
            let patch: ProfilePatch = json_body(req)?;
            to_json(&app.update_profile(&user, patch).await?)
        }
        Route::Users => {
            let user = caller(app, req).await?;
            let online = match req.query_string_parameters.first("online") {
                None | Some("") => None,
                Some("true") => Some(true),
                Some("false") => Some(false),
                Some(other) => {
                    return Err(CoreError::bad_request(format!(
                        "online must be true or false, not {other:?}"
                    )));
                }
            };
            to_json(&app.directory(&user, online).await?)
        }
    }
}

/// The path to route on: `rawPath`, without a named stage prefix (`/prod/me` → `/me`)
/// and without a trailing slash.
fn route_path(req: &ApiGatewayV2httpRequest) -> String {
    let raw = req
        .raw_path
        .as_deref()
        .or(req.request_context.http.path.as_deref())
        .unwrap_or("/");
    let mut path = raw;
    if let Some(stage) = req
        .request_context
        .stage
        .as_deref()
        .filter(|s| *s != "$default")
    {
        if let Some(rest) = raw.strip_prefix('/').and_then(|r| r.strip_prefix(stage)) {
            if rest.is_empty() || rest.starts_with('/') {
                path = rest;
            }
        }
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

fn find_route(method: &Method, path: &str) -> CoreResult<Route> {
    let mut allowed = None;
    for (route_path, route_method, route) in ROUTES {
        if *route_path == path {
            if route_method == method {
                return Ok(*route);
            }
            allowed = Some(route_method);
        }
    }
    Err(match allowed {
        Some(expected) => CoreError::not_found(format!(
            "{method} is not supported on {path}; use {expected}"
        )),
        None => CoreError::not_found(format!("no route for {method} {path}")),
    })
}

/// The bearer's account, re-checked against the store.
async fn caller(app: &App, req: &ApiGatewayV2httpRequest) -> CoreResult<UserRecord> {
    let authorization = req
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    app.authenticate_header(authorization).await
}

/// Decodes the body as JSON into `T`; empty, undecodable or mistyped bodies are
/// `bad_request`.
fn json_body<T: DeserializeOwned>(req: &ApiGatewayV2httpRequest) -> CoreResult<T> {
    let raw = req.body.as_deref().unwrap_or("");
    let bytes = if req.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .map_err(|_| CoreError::bad_request("body is not valid base64"))?
    } else {
        raw.as_bytes().to_vec()
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CoreError::bad_request("a JSON body is required"));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| CoreError::bad_request(format!("invalid JSON body: {e}")))
}

fn to_json<T: Serialize>(value: &T) -> CoreResult<Value> {
    serde_json::to_value(value)
        .map_err(|e| CoreError::Internal(format!("response encoding failed: {e}")))
}

fn json_response(status: u16, body: &impl Serialize) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Tokens and tickets must never sit in a shared cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let text = serde_json::to_string(body).unwrap_or_else(|_| {
        r#"{"error":{"code":"internal","message":"response encoding failed"}}"#.to_string()
    });
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response.headers = headers;
    response.body = Some(Body::Text(text));
    response
}

fn error_response(err: &CoreError) -> ApiGatewayV2httpResponse {
    let status = err.code().http_status();
    if status >= 500 {
        warn!(error = %err, source = ?std::error::Error::source(err), "request failed");
    }
    json_response(status, &err.to_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, raw_path: &str, stage: Option<&str>) -> ApiGatewayV2httpRequest {
        let mut req = ApiGatewayV2httpRequest::default();
        req.raw_path = Some(raw_path.into());
        req.request_context.http.method = method;
        req.request_context.stage = stage.map(String::from);
        req
    }

    #[test]
    fn named_stages_and_trailing_slashes_are_ignored_for_routing() {
        assert_eq!(
            route_path(&request(Method::GET, "/prod/me", Some("prod"))),
            "/me"
        );
        assert_eq!(
            route_path(&request(Method::GET, "/me/", Some("$default"))),
            "/me"
        );
        assert_eq!(
            route_path(&request(Method::GET, "/production/me", Some("prod"))),
            "/production/me"
        );
        assert_eq!(route_path(&request(Method::GET, "/", None)), "/");
    }

    #[test]
    fn wrong_methods_and_unknown_paths_are_not_found() {
        assert_eq!(
            find_route(&Method::POST, "/auth/login").ok(),
            Some(Route::Login)
        );
        let wrong = find_route(&Method::GET, "/auth/login").unwrap_err();
        assert_eq!(wrong.code().http_status(), 404);
        assert!(wrong.public_message().contains("use POST"));
        assert!(find_route(&Method::GET, "/nope").is_err());
    }
}
