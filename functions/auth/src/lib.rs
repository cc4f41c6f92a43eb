//! # fn-auth — the HTTP API's handler
//!
//! One Lambda serves the session and user routes of PROTOCOL §2:
//!
//! | route | core call |
//! |---|---|
//! | `POST /auth/login` | [`App::login`] |
//! | `POST /auth/guest` | [`App::guest_login`] |
//! | `POST /auth/ws-ticket` | [`App::issue_ws_ticket`] |
//! | `GET /me` | [`App::me`] |
//! | `PATCH /me/profile` | [`App::update_profile`] |
//! | `GET /users?online=` | [`App::directory`] |
//! | `GET /healthz` | none: `{"status":"ok"}` |
//!
//! The handler only translates: event → typed request → one core call → response.
//! Routing, bearer, body and response encoding are `chat-http`'s, shared with the
//! supervisor and admin functions: every failure is a [`chat_core::CoreError`] answered
//! with the status its code fixes, and unknown paths or wrong methods are `404`.
//!
//! With the `schema` feature, `api_doc` describes these routes in OpenAPI 3.1;
//! `chat-local` serves the HTTP functions' descriptions merged as `/openapi.json`.

#[cfg(feature = "schema")]
pub mod api_doc;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use chat_core::protocol::http::{GuestLoginRequest, LoginRequest, ProfilePatch};
use chat_core::{App, CoreResult};
use chat_http::{Request, RouteRow, to_json};
use serde_json::{Value, json};

/// The routes this function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Login,
    GuestLogin,
    WsTicket,
    Me,
    Profile,
    Users,
    Healthz,
}

const ROUTES: &[RouteRow<Route>] = &[
    ("/auth/login", Method::POST, Route::Login),
    ("/auth/guest", Method::POST, Route::GuestLogin),
    ("/auth/ws-ticket", Method::POST, Route::WsTicket),
    ("/me", Method::GET, Route::Me),
    ("/me/profile", Method::PATCH, Route::Profile),
    ("/users", Method::GET, Route::Users),
    ("/healthz", Method::GET, Route::Healthz),
];

/// Handles one HTTP API (payload v2) request.
pub async fn handle(app: &App, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    chat_http::serve(req, ROUTES, |route, req| async move {
        run(app, route, &req).await
    })
    .await
}

async fn run(app: &App, route: Route, req: &Request) -> CoreResult<Value> {
    match route {
        Route::Healthz => Ok(json!({ "status": "ok" })),
        Route::Login => {
            let login: LoginRequest = req.json_body()?;
            let source = req.event().request_context.http.source_ip.as_deref();
            to_json(&app.login(&login, source.unwrap_or("unknown")).await?)
        }
        Route::GuestLogin => {
            let login: GuestLoginRequest = req.json_body()?;
            to_json(&app.guest_login(&login).await?)
        }
        Route::WsTicket => {
            let user = req.caller(app).await?;
            to_json(&app.issue_ws_ticket(&user.identity).await?)
        }
        Route::Me => {
            let user = req.caller(app).await?;
            to_json(&app.me(&user).await?)
        }
        Route::Profile => {
            // Authenticate first: an anonymous caller learns nothing about the body.
            let user = req.caller(app).await?;
            let patch: ProfilePatch = req.json_body()?;
            to_json(&app.update_profile(&user, patch).await?)
        }
        Route::Users => {
            let user = req.caller(app).await?;
            let online = req.query_parse::<bool>("online")?;
            to_json(&app.directory(&user, online).await?)
        }
    }
}
