//! This function's routes in OpenAPI 3.1 (feature `schema`; the Lambda builds without
//! it). `chat-local` merges it with the other HTTP functions' descriptions; the test
//! below keeps it equal to the route table (`ROUTES`).

// The functions below exist only to carry `#[utoipa::path]`; nothing calls them.
#![allow(dead_code)]

use chat_core::ids::UserId;
use chat_core::protocol::http::{AccountsResponse, IdentityResponse};
use chat_core::service::admin::IdentityPatch;
use chat_http::openapi::{
    BadRequest, Forbidden, Internal, NotFound, Shared, Unauthorized, Unavailable,
};
use utoipa::OpenApi;

use crate::NewUserBody;

/// The description of `/admin/users…`.
#[derive(OpenApi)]
#[openapi(
    paths(add_user, list_users, update_user),
    modifiers(&Shared),
    tags((name = "admin", description = "The allowed-users list (admins only)."))
)]
pub struct AdminApi;

/// The description as a document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    AdminApi::openapi()
}

/// Adds an employee account.
#[utoipa::path(
    post, path = "/admin/users", tag = "admin",
    security(("bearer" = [])),
    request_body = NewUserBody,
    responses(
        (status = 200, description = "The new account.", body = IdentityResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, description = "`conflict`: the username is taken.", body = chat_core::error::ErrorBody),
        (status = 500, response = Internal),
    )
)]
fn add_user() {}

/// Every account, with `enabled`.
#[utoipa::path(
    get, path = "/admin/users", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The accounts.", body = AccountsResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
fn list_users() {}

/// Enables or disables an account, changes its tier or roles, or revokes its tokens
/// (which closes its sockets). An admin cannot disable themselves or drop their own
/// admin role.
#[utoipa::path(
    patch, path = "/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = UserId, Path, description = "The account's user id.")),
    request_body = IdentityPatch,
    responses(
        (status = 200, description = "The account after the change.", body = IdentityResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "`conflict`: an admin disabling themselves or dropping their own admin role.", body = chat_core::error::ErrorBody),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
fn update_user() {}

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
