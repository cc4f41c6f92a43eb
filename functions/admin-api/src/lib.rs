//! # fn-admin-api — the allowed-users list over HTTP
//!
//! One Lambda serves the `/admin/*` routes of PROTOCOL §2, on the same core code path
//! as the admin CLI (`chat-local users …`):
//!
//! | route | core call |
//! |---|---|
//! | `POST /admin/users` | [`App::admin_add_user`] |
//! | `GET /admin/users` | [`App::admin_list_users`] |
//! | `PATCH /admin/users/{id}` | [`App::admin_update_user`] |
//!
//! Only employee accounts are created here (`kind` other than `"employee"` →
//! `bad_request`): guests exist only by redeeming an invite. The caller must be an
//! admin — checked with the core's own policy before the body is read, and again by
//! the core. Routing and encoding are `chat-http`'s.
//!
//! With the `schema` feature, `api_doc` describes these routes in OpenAPI 3.1;
//! `chat-local` serves the HTTP functions' descriptions merged as `/openapi.json`.

#[cfg(feature = "schema")]
pub mod api_doc;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use chat_core::ids::UserId;
use chat_core::service::admin::{IdentityPatch, NewEmployee};
use chat_core::{App, CoreError, CoreResult, policy};
use chat_http::{Request, RouteRow, to_json};
use serde::Deserialize;
use serde_json::Value;

/// The routes this function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    AddUser,
    ListUsers,
    UpdateUser,
}

const ROUTES: &[RouteRow<Route>] = &[
    ("/admin/users", Method::POST, Route::AddUser),
    ("/admin/users", Method::GET, Route::ListUsers),
    ("/admin/users/{id}", Method::PATCH, Route::UpdateUser),
];

/// `POST /admin/users`: a [`NewEmployee`] plus the account kind the protocol names.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = NewUser))]
struct NewUserBody {
    /// Only `employee`: guests exist only by redeeming an invite.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(pattern = "^employee$"))]
    kind: Option<String>,
    #[serde(flatten)]
    employee: NewEmployee,
}

/// Handles one HTTP API (payload v2) request.
pub async fn handle(app: &App, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    chat_http::serve(req, ROUTES, |route, req| async move {
        run(app, route, &req).await
    })
    .await
}

async fn run(app: &App, route: Route, req: &Request) -> CoreResult<Value> {
    let admin = req.caller(app).await?;
    policy::may_administer(&admin.identity)?;
    match route {
        Route::AddUser => {
            let body: NewUserBody = req.json_body()?;
            match body.kind.as_deref() {
                None | Some("employee") => {}
                Some(_) => {
                    return Err(CoreError::bad_request(
                        "kind must be \"employee\"; guests join by invite code",
                    ));
                }
            }
            to_json(&app.admin_add_user(&admin, body.employee).await?)
        }
        Route::ListUsers => to_json(&app.admin_list_users(&admin).await?),
        Route::UpdateUser => {
            // Ids are opaque to clients: one that cannot exist names no account.
            let user = UserId::parse(req.path_param("id")?)
                .map_err(|_| CoreError::not_found("no such user"))?;
            let patch: IdentityPatch = req.json_body()?;
            to_json(&app.admin_update_user(&admin, &user, patch).await?)
        }
    }
}
