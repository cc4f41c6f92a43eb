//! # fn-supervisor-api — the supervisors' floor view over HTTP
//!
//! One Lambda serves the `GET /supervisor/*` routes of PROTOCOL §2:
//!
//! | route | core call |
//! |---|---|
//! | `GET /supervisor/rooms?status=open\|concluded\|all` | [`App::supervisor_rooms`] |
//! | `GET /supervisor/rooms/{roomId}/participants` | [`App::supervisor_participants`] |
//! | `GET /supervisor/rooms/{roomId}/messages?afterSeq=&limit=` | [`App::supervisor_transcript`] |
//! | `GET /supervisor/rooms/{roomId}/transcript?format=json\|markdown` | [`App::room_transcript`] (employee members too) |
//! | `GET /supervisor/issues?tier=&status=` | [`App::supervisor_issues`] |
//! | `GET /supervisor/issues/{issueId}/transcript?format=json\|markdown` | [`App::issue_transcript`] (employee members too) |
//! | `GET /supervisor/queues` | [`App::supervisor_queues`] |
//! | `GET /supervisor/csat` | [`App::supervisor_csat`] |
//! | `GET /supervisor/audit?since=&limit=` | [`App::audit_log`] (admins too) |
//!
//! The handler only translates: bearer and query parameters → one core call → JSON, or
//! for `format=markdown` a Markdown document (`text/markdown; charset=utf-8`).
//! The caller's role is checked with the core's own policy before any input is parsed,
//! so someone who may not look learns nothing from a malformed query; the core checks
//! again. Transcripts are also for employees who are members of the room (or of one of
//! the issue's rooms): the handler refuses guests up front, and the core answers
//! `not_found` to other non-members, as for a room that does not exist. Routing and
//! encoding are `chat-http`'s.
//!
//! With the `schema` feature, `api_doc` describes these routes in OpenAPI 3.1;
//! `chat-local` serves the HTTP functions' descriptions merged as `/openapi.json`.

#[cfg(feature = "schema")]
pub mod api_doc;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use chat_core::ids::{IssueId, RoomId};
use chat_core::model::{IssueStatus, RoomStatus, Tier};
use chat_core::service::transcripts::{MARKDOWN_CONTENT_TYPE, Transcript, TranscriptFormat};
use chat_core::{App, CoreError, CoreResult, policy};
use chat_http::{Reply, Request, RouteRow, json_reply};

/// The routes this function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Rooms,
    Participants,
    Messages,
    RoomTranscript,
    Issues,
    IssueTranscript,
    Queues,
    Csat,
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
        Route::Messages,
    ),
    (
        "/supervisor/rooms/{roomId}/transcript",
        Method::GET,
        Route::RoomTranscript,
    ),
    ("/supervisor/issues", Method::GET, Route::Issues),
    (
        "/supervisor/issues/{issueId}/transcript",
        Method::GET,
        Route::IssueTranscript,
    ),
    ("/supervisor/queues", Method::GET, Route::Queues),
    ("/supervisor/csat", Method::GET, Route::Csat),
    ("/supervisor/audit", Method::GET, Route::Audit),
];

/// Handles one HTTP API (payload v2) request.
pub async fn handle(app: &App, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    chat_http::serve_replies(req, ROUTES, |route, req| async move {
        run(app, route, &req).await
    })
    .await
}

async fn run(app: &App, route: Route, req: &Request) -> CoreResult<Reply> {
    let user = req.caller(app).await?;
    match route {
        Route::Audit => policy::may_read_audit(&user.identity)?,
        Route::RoomTranscript | Route::IssueTranscript => {
            policy::may_read_transcripts(&user.identity)?
        }
        _ => policy::may_supervise(&user.identity)?,
    }
    match route {
        Route::Rooms => {
            let status = req.query_filter::<RoomStatus>("status")?;
            json_reply(&app.supervisor_rooms(&user, status).await?)
        }
        Route::Participants => {
            let room = room_id(req)?;
            json_reply(&app.supervisor_participants(&user, &room).await?)
        }
        Route::Messages => {
            let room = room_id(req)?;
            let after_seq = req.query_parse::<u64>("afterSeq")?;
            let limit = req.query_parse::<usize>("limit")?;
            json_reply(
                &app.supervisor_transcript(&user, &room, after_seq, limit)
                    .await?,
            )
        }
        Route::RoomTranscript => {
            let room = room_id(req)?;
            let format = TranscriptFormat::parse(req.query("format")?)?;
            match app.room_transcript(&user, &room, format).await? {
                Transcript::Json(body) => json_reply(&body),
                Transcript::Markdown(body) => Ok(markdown(body)),
            }
        }
        Route::IssueTranscript => {
            let issue = issue_id(req)?;
            let format = TranscriptFormat::parse(req.query("format")?)?;
            match app.issue_transcript(&user, &issue, format).await? {
                Transcript::Json(body) => json_reply(&body),
                Transcript::Markdown(body) => Ok(markdown(body)),
            }
        }
        Route::Issues => {
            let tier = req.query_filter::<Tier>("tier")?;
            let status = req.query_filter::<IssueStatus>("status")?;
            json_reply(&app.supervisor_issues(&user, tier, status).await?)
        }
        Route::Queues => json_reply(&app.supervisor_queues(&user).await?),
        Route::Csat => json_reply(&app.supervisor_csat(&user).await?),
        Route::Audit => {
            let since = req.query("since")?;
            let limit = req.query_parse::<usize>("limit")?;
            json_reply(&app.audit_log(&user, since, limit).await?)
        }
    }
}

/// Ids are opaque to clients: one that cannot exist names no room.
fn room_id(req: &Request) -> CoreResult<RoomId> {
    RoomId::parse(req.path_param("roomId")?).map_err(|_| CoreError::not_found("no such room"))
}

/// Same for issues.
fn issue_id(req: &Request) -> CoreResult<IssueId> {
    IssueId::parse(req.path_param("issueId")?).map_err(|_| CoreError::not_found("no such issue"))
}

fn markdown(body: String) -> Reply {
    Reply::Text {
        content_type: MARKDOWN_CONTENT_TYPE,
        body,
    }
}
