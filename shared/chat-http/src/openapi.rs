//! OpenAPI pieces every HTTP function's description shares (feature `schema`).
//!
//! Each function crate documents its own routes beside its route table; what they have
//! in common is here, once: the bearer scheme, the one error shape with a reusable
//! response per status (PROTOCOL §1 fixes the status of every code), and a check that
//! a route table and a description name the same operations.
//!
//! A description lists the failures its route can really answer. Every route may fail
//! with `500 internal`, so every operation lists it.

use aws_lambda_events::http::Method;
use chat_core::error::ErrorBody;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, OpenApi};
use utoipa::{Modify, ToResponse, ToSchema};

use crate::RouteRow;

/// The security scheme's name in `components.securitySchemes` and in each operation's
/// `security` list.
pub const BEARER: &str = "bearer";

/// `400 bad_request`: a malformed body, query parameter or id.
#[derive(ToResponse)]
#[response(description = "`bad_request`: the body, a query parameter or an id is malformed.")]
pub struct BadRequest(pub ErrorBody);

/// `401 unauthorized`: no usable credential.
#[derive(ToResponse)]
#[response(
    description = "`unauthorized`: the bearer token is missing, malformed, expired, revoked \
                   or otherwise invalid (or, for a login, the credentials are wrong)."
)]
pub struct Unauthorized(pub ErrorBody);

/// `403 forbidden`.
#[derive(ToResponse)]
#[response(description = "`forbidden`: the caller's kind or roles do not allow this.")]
pub struct Forbidden(pub ErrorBody);

/// `404 not_found`.
#[derive(ToResponse)]
#[response(description = "`not_found`: no such resource, or one the caller may not know exists.")]
pub struct NotFound(pub ErrorBody);

/// `409 conflict` (and `guest_alone`, which shares the status).
#[derive(ToResponse)]
#[response(description = "`conflict`: the resource is not in a state that allows this.")]
pub struct Conflict(pub ErrorBody);

/// `413 payload_too_large`.
#[derive(ToResponse)]
#[response(description = "`payload_too_large`: over a size limit.")]
pub struct PayloadTooLarge(pub ErrorBody);

/// `429 rate_limited`.
#[derive(ToResponse)]
#[response(
    description = "`rate_limited`: too many attempts; `Retry-After` says how many seconds to wait.",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
)]
pub struct RateLimited(pub ErrorBody);

/// `500 internal`.
#[derive(ToResponse)]
#[response(
    description = "`internal`: the server failed; the request was not completed (no details)."
)]
pub struct Internal(pub ErrorBody);

/// `503 unavailable`.
#[derive(ToResponse)]
#[response(description = "`unavailable`: a dependency is not ready; try again later.")]
pub struct Unavailable(pub ErrorBody);

/// Adds what every function's description refers to: the bearer scheme and the error
/// responses. Use it as `#[openapi(modifiers(&chat_http::openapi::Shared))]`.
pub struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut OpenApi) {
        // The responses refer to `ErrorBody`, which refers to these.
        let mut error_schemas = Vec::new();
        <ErrorBody as ToSchema>::schemas(&mut error_schemas);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "`Authorization: Bearer <token>` with a token from `POST /auth/login` or \
                 `POST /auth/guest`.",
            ))
            .build();
        let shared = ComponentsBuilder::new()
            .security_scheme(BEARER, SecurityScheme::Http(bearer))
            .response_from::<BadRequest>()
            .response_from::<Unauthorized>()
            .response_from::<Forbidden>()
            .response_from::<NotFound>()
            .response_from::<Conflict>()
            .response_from::<PayloadTooLarge>()
            .response_from::<RateLimited>()
            .response_from::<Internal>()
            .response_from::<Unavailable>()
            .schema_from::<ErrorBody>()
            .schemas_from_iter(error_schemas)
            .build();
        let mut with = OpenApi::default();
        with.components = Some(shared);
        openapi.merge(with);
    }
}

/// `(path, method)` of every row of a route table, sorted, for comparing with
/// [`documented_operations`].
pub fn route_operations<R>(routes: &[RouteRow<R>]) -> Vec<(String, String)> {
    let mut ops: Vec<_> = routes
        .iter()
        .map(|(path, method, _)| (path.to_string(), method.as_str().to_string()))
        .collect();
    ops.sort();
    ops
}

/// `(path, method)` of every operation a description documents, sorted, methods upper
/// case (as [`Method::as_str`] spells them).
pub fn documented_operations(openapi: &OpenApi) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in &openapi.paths.paths {
        let methods = [
            (Method::GET, &item.get),
            (Method::PUT, &item.put),
            (Method::POST, &item.post),
            (Method::DELETE, &item.delete),
            (Method::OPTIONS, &item.options),
            (Method::HEAD, &item.head),
            (Method::PATCH, &item.patch),
            (Method::TRACE, &item.trace),
        ];
        for (method, op) in methods {
            if op.is_some() {
                ops.push((path.clone(), method.as_str().to_string()));
            }
        }
    }
    ops.sort();
    ops
}
