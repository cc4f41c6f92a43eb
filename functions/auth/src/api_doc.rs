//! This function's routes in OpenAPI 3.1 (feature `schema`; the Lambda builds without
//! it). `chat-local` merges it with the other HTTP functions' descriptions and serves
//! the result as `/openapi.json`; the test below keeps it equal to the route table
//! (`ROUTES`).

// The functions below exist only to carry `#[utoipa::path]`; nothing calls them.
#![allow(dead_code)]

use chat_core::protocol::http::{
    GuestLoginRequest, GuestTokenResponse, LoginRequest, MeResponse, ProfilePatch, ProfileResponse,
    TicketResponse, TokenResponse, UsersResponse,
};
use chat_http::openapi::{
    BadRequest, Forbidden, Internal, RateLimited, Shared, Unauthorized, Unavailable,
};
use utoipa::{OpenApi, ToSchema};

/// The description of `POST /auth/*`, `/me`, `/users` and `/healthz`.
#[derive(OpenApi)]
#[openapi(
    paths(login, guest_login, ws_ticket, me, update_profile, users, healthz),
    modifiers(&Shared),
    tags(
        (name = "session", description = "Logging in (employees, guests) and WebSocket tickets."),
        (name = "users", description = "The caller's identity and profile; the employee directory."),
        (name = "health", description = "Readiness.")
    )
)]
pub struct AuthApi;

/// The description as a document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    AuthApi::openapi()
}

/// `GET /healthz` answer.
#[derive(ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(pattern = "^ok$")]
    pub status: String,
}

/// Logs an employee in. Wrong credentials and a disabled account get the same answer;
/// repeated failures from one address or for one account are refused for a while.
#[utoipa::path(
    post, path = "/auth/login", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A bearer token for the account.", body = TokenResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 429, response = RateLimited),
        (status = 500, response = Internal),
    )
)]
fn login() {}

/// Redeems a single-use guest invite code: the token reaches only the invited room.
#[utoipa::path(
    post, path = "/auth/guest", tag = "session",
    request_body = GuestLoginRequest,
    responses(
        (status = 200, description = "A guest token and the room it reaches.", body = GuestTokenResponse),
        (status = 400, response = BadRequest),
        (status = 401, description = "`unauthorized`: the code is unknown, used or expired.", body = chat_core::error::ErrorBody),
        (status = 500, response = Internal),
    )
)]
fn guest_login() {}

/// A single-use ticket (≤ 60 s) for browsers to open the WebSocket with `?ticket=`.
#[utoipa::path(
    post, path = "/auth/ws-ticket", tag = "session",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ticket.", body = TicketResponse),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
    )
)]
fn ws_ticket() {}

/// The caller's identity and profile (with a short-lived avatar URL when there is one).
#[utoipa::path(
    get, path = "/me", tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Who the caller is.", body = MeResponse),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
fn me() {}

/// Changes the caller's display name or avatar (a completed image they uploaded).
#[utoipa::path(
    patch, path = "/me/profile", tag = "users",
    security(("bearer" = [])),
    request_body = ProfilePatch,
    responses(
        (status = 200, description = "The profile after the change.", body = ProfileResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
fn update_profile() {}

/// The employee directory, for invitations (guests are never listed).
#[utoipa::path(
    get, path = "/users", tag = "users",
    security(("bearer" = [])),
    params(("online" = Option<bool>, Query, description = "Only employees who are (`true`) or are not (`false`) connected.")),
    responses(
        (status = 200, description = "Employees.", body = UsersResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
fn users() {}

/// Readiness: answers once the service can take requests.
#[utoipa::path(
    get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Ready.", body = Health))
)]
fn healthz() {}

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
