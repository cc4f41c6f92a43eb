//! # chat-http — API Gateway HTTP API (payload v2) plumbing for the HTTP functions
//!
//! `fn-auth`, `fn-supervisor-api` and `fn-admin-api` each own a route table and the
//! calls into the core; everything else about an HTTP event is the same for all three
//! and lives here, once:
//!
//! - [`routing`]: route tables with `{name}` path parameters, [`route_path`] (stage
//!   prefix and trailing slash removed), 404 for unknown paths and wrong methods.
//! - [`request`]: [`Request`] — the bearer's account, the JSON body, path parameters,
//!   typed query parameters (junk → `bad_request`).
//! - [`serve`]: one event in, one response out: route, run, encode, log the status;
//!   [`serve_replies`] is the same for routes that may answer a text document
//!   ([`Reply::Text`], e.g. a Markdown transcript) instead of JSON.
//! - `openapi` (feature `schema`): what the functions' OpenAPI descriptions share.
//! - `testkit` (feature `testkit`): fixtures, tokens and response readers for the
//!   functions' handler tests.
//!
//! Every failure is a [`CoreError`], answered with the status its code fixes and the
//! body [`CoreError::to_body`] builds; no other status mapping exists here.

#[cfg(feature = "schema")]
pub mod openapi;
pub mod request;
pub mod routing;
#[cfg(feature = "testkit")]
pub mod testkit;

use std::future::Future;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header};
use chat_core::{CoreError, CoreResult};
use serde::Serialize;
use serde_json::Value;
use tracing::{Instrument, info_span, warn};

pub use request::Request;
pub use routing::{PathParams, RouteRow, find_route, route_path};

/// Handles one event: finds its row in `routes`, lets `run` answer it, and encodes the
/// result (`200` with the JSON value, or the error's status and body).
pub async fn serve<R, F, Fut>(
    event: ApiGatewayV2httpRequest,
    routes: &[RouteRow<R>],
    run: F,
) -> ApiGatewayV2httpResponse
where
    R: Copy,
    F: FnOnce(R, Request) -> Fut,
    Fut: Future<Output = CoreResult<Value>>,
{
    serve_replies(event, routes, |route, req| {
        let answer = run(route, req);
        async move { answer.await.map(Reply::Json) }
    })
    .await
}

/// What a route answers on success.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `200 application/json`.
    Json(Value),
    /// `200` with this content type and text body (e.g. `text/markdown; charset=utf-8`).
    Text {
        content_type: &'static str,
        body: String,
    },
}

/// A core answer as a JSON [`Reply`].
pub fn json_reply<T: Serialize>(value: &T) -> CoreResult<Reply> {
    to_json(value).map(Reply::Json)
}

/// Like [`serve`], for route tables where some routes answer a text document: `run`
/// returns a [`Reply`]. Failures are JSON error bodies either way.
pub async fn serve_replies<R, F, Fut>(
    event: ApiGatewayV2httpRequest,
    routes: &[RouteRow<R>],
    run: F,
) -> ApiGatewayV2httpResponse
where
    R: Copy,
    F: FnOnce(R, Request) -> Fut,
    Fut: Future<Output = CoreResult<Reply>>,
{
    // Payload v2 carries the method only in the request context.
    let method = event.request_context.http.method.clone();
    let path = route_path(&event);
    let span = info_span!("http", %method, path = %path, status = tracing::field::Empty);
    async {
        let result = match find_route(routes, &method, &path) {
            Ok((route, params)) => run(route, Request::new(event, params)).await,
            Err(e) => Err(e),
        };
        let response = match result {
            Ok(Reply::Json(body)) => json_response(200, &body),
            Ok(Reply::Text { content_type, body }) => text_response(200, content_type, body),
            Err(err) => error_response(&err),
        };
        tracing::Span::current().record("status", response.status_code);
        response
    }
    .instrument(span)
    .await
}

/// A core answer as the JSON value to send.
pub fn to_json<T: Serialize>(value: &T) -> CoreResult<Value> {
    serde_json::to_value(value)
        .map_err(|e| CoreError::Internal(format!("response encoding failed: {e}")))
}

/// A JSON response that no shared cache keeps (tokens, tickets, transcripts).
pub fn json_response(status: u16, body: &impl Serialize) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
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

/// A text response (Markdown, plain text) that no shared cache keeps.
pub fn text_response(
    status: u16,
    content_type: &'static str,
    body: String,
) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response.headers = headers;
    response.body = Some(Body::Text(body));
    response
}

/// The protocol's error body with the status its code fixes; server errors are logged
/// with their source, which never reaches the client.
pub fn error_response(err: &CoreError) -> ApiGatewayV2httpResponse {
    let status = err.code().http_status();
    if status >= 500 {
        warn!(error = %err, source = ?std::error::Error::source(err), "request failed");
    }
    let mut response = json_response(status, &err.to_body());
    if let Some(secs) = err.retry_after() {
        response.headers.insert(
            aws_lambda_events::http::header::RETRY_AFTER,
            aws_lambda_events::http::HeaderValue::from(secs),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::http::Method;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Clone, Copy)]
    enum R {
        Echo,
    }

    const ROUTES: &[RouteRow<R>] = &[("/echo/{word}", Method::GET, R::Echo)];

    fn event(method: Method, path: &str) -> ApiGatewayV2httpRequest {
        let mut e = ApiGatewayV2httpRequest::default();
        e.raw_path = Some(path.into());
        e.request_context.http.method = method;
        e
    }

    async fn echo(route: R, req: Request) -> CoreResult<Value> {
        match route {
            R::Echo => Ok(json!({ "word": req.path_param("word")? })),
        }
    }

    fn body(resp: &ApiGatewayV2httpResponse) -> Value {
        match &resp.body {
            Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_routed_request_answers_200_json_that_is_not_cached() {
        let resp = serve(event(Method::GET, "/echo/hi/"), ROUTES, echo).await;
        assert_eq!(resp.status_code, 200);
        assert_eq!(resp.headers["content-type"], "application/json");
        assert_eq!(resp.headers["cache-control"], "no-store");
        assert_eq!(body(&resp)["word"], "hi");
    }

    #[tokio::test]
    async fn text_replies_keep_their_content_type_and_are_not_cached() {
        let resp = serve_replies(
            event(Method::GET, "/echo/hi"),
            ROUTES,
            |_, req| async move {
                Ok(Reply::Text {
                    content_type: "text/markdown; charset=utf-8",
                    body: format!("# {}", req.path_param("word")?),
                })
            },
        )
        .await;
        assert_eq!(resp.status_code, 200);
        assert_eq!(resp.headers["content-type"], "text/markdown; charset=utf-8");
        assert_eq!(resp.headers["cache-control"], "no-store");
        assert_eq!(resp.body, Some(Body::Text("# hi".into())));
        let refused = serve_replies(event(Method::GET, "/echo/hi"), ROUTES, |_, _| async {
            Err::<Reply, _>(CoreError::forbidden("no"))
        })
        .await;
        assert_eq!(refused.status_code, 403);
        assert_eq!(refused.headers["content-type"], "application/json");
        assert_eq!(body(&refused)["error"]["code"], "forbidden");
    }

    #[tokio::test]
    async fn failures_carry_the_protocol_error_body() {
        let resp = serve(event(Method::POST, "/echo/hi"), ROUTES, echo).await;
        assert_eq!(resp.status_code, 404);
        assert_eq!(body(&resp)["error"]["code"], "not_found");
        let internal = error_response(&CoreError::Internal("db path /secret".into()));
        assert_eq!(internal.status_code, 500);
        assert!(!body(&internal).to_string().contains("/secret"));
    }
}
