//! # fn-supervisor-api — the supervisors' floor view over HTTP
//!
//! One Lambda serves the `GET /supervisor/*` routes of PROTOCOL §2:
//!
//! | route | core call |
//! |---|---|
//! | `GET /supervisor/rooms?status=open\|concluded\|all` | [`App::supervisor_rooms`] |
//! | `GET /supervisor/rooms/{roomId}/participants` | [`App::supervisor_participants`] |
//! | `GET /supervisor/rooms/{roomId}/messages?afterSeq=&limit=` | [`App::supervisor_transcript`] |
//! | `GET /supervisor/issues?tier=&status=` | [`App::supervisor_issues`] |
//! | `GET /supervisor/queues` | [`App::supervisor_queues`] |
//! | `GET /supervisor/audit?since=&limit=` | [`App::audit_log`] (admins too) |
//!
//! The handler only translates: bearer and query parameters → one core call → JSON.
//! The caller's role is checked with the core's own policy before any input is parsed,
//! so someone who may not look learns nothing from a malformed query; the core checks
//! again. Routing and encoding are `chat-http`'s.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use chat_core::ids::RoomId;
use chat_core::model::{IssueStatus, RoomStatus, Tier};
use chat_core::{App, CoreError, CoreResult, policy};
use chat_http::{Request, RouteRow, to_json};
use serde_json::Value;

/// The routes this function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Rooms,
    Participants,
    Transcript,
    Issues,
    Queues,
    Audit,
}

const ROUTES: &[RouteRow<Route>] = &[
    ("/supervisor/rooms", Method::GET, Route::Rooms),
    (
        "/supervisor/rooms/{roomId}/participants",
        Method::GET,
        Route::Participants,
    ),
    (
        "/supervisor/rooms/{roomId}/messages",
        Method::GET,
        Route::Transcript,
    ),
    ("/supervisor/issues", Method::GET, Route::Issues),
    ("/supervisor/queues", Method::GET, Route::Queues),
    ("/supervisor/audit", Method::GET, Route::Audit),
];

/// Handles one HTTP API (payload v2) request.
pub async fn handle(app: &App, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    chat_http::serve(req, ROUTES, |route, req| async move {
        run(app, route, &req).await
    })
    .await
}

async fn run(app: &App, route: Route, req: &Request) -> CoreResult<Value> {
    let user = req.caller(app).await?;
    match route {
        Route::Audit => policy::may_read_audit(&user.identity)?,
        _ => policy::may_supervise(&user.identity)?,
    }
    match route {
        Route::Rooms => {
            let status = req.query_filter::<RoomStatus>("status")?;
            to_json(&app.supervisor_rooms(&user, status).await?)
        }
        Route::Participants => {
            let room = room_id(req)?;
            to_json(&app.supervisor_participants(&user, &room).await?)
        }
        Route::Transcript => {
            let room = room_id(req)?;
            let after_seq = req.query_parse::<u64>("afterSeq")?;
            let limit = req.query_parse::<usize>("limit")?;
            to_json(
                &app.supervisor_transcript(&user, &room, after_seq, limit)
                    .await?,
            )
        }
        Route::Issues => {
            let tier = req.query_filter::<Tier>("tier")?;
            let status = req.query_filter::<IssueStatus>("status")?;
            to_json(&app.supervisor_issues(&user, tier, status).await?)
        }
        Route::Queues => to_json(&app.supervisor_queues(&user).await?),
        Route::Audit => {
            let since = req.query("since")?;
            let limit = req.query_parse::<usize>("limit")?;
            to_json(&app.audit_log(&user, since, limit).await?)
        }
    }
}

/// Ids are opaque to clients: one that cannot exist names no room.
fn room_id(req: &Request) -> CoreResult<RoomId> {
    RoomId::parse(req.path_param("roomId")?).map_err(|_| CoreError::not_found("no such room"))
}
