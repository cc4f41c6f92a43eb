//! This function's routes in OpenAPI 3.1 (feature `schema`; the Lambda builds without
//! it). `chat-local` merges it with the other HTTP functions' descriptions; the test
//! below keeps it equal to the route table (`ROUTES`).

// The functions and enums below exist only to carry the description; nothing calls
// or builds them.
#![allow(dead_code)]

use chat_core::ids::{IssueId, RoomId};
use chat_core::protocol::http::{
    AuditResponse, CsatResponse, IssueTranscriptResponse, IssuesResponse, ParticipantsResponse,
    QueuesResponse, RoomTranscriptResponse, RoomsResponse, TranscriptResponse,
};
use chat_http::openapi::{BadRequest, Forbidden, Internal, NotFound, Shared, Unauthorized};
use utoipa::{OpenApi, ToSchema};

/// The description of `GET /supervisor/*`.
#[derive(OpenApi)]
#[openapi(
    paths(
        rooms,
        participants,
        messages,
        room_transcript,
        issues,
        issue_transcript,
        queues,
        csat,
        audit
    ),
    // Used only by parameters, which utoipa does not collect on its own.
    components(schemas(StatusFilter, TierFilter, TranscriptFormat)),
    modifiers(&Shared),
    tags(
        (name = "supervisor", description = "The supervisors' floor view: rooms, issues, queues, satisfaction."),
        (name = "transcripts", description = "Whole rooms and issues, for supervisors and the employees who were in them."),
        (name = "audit", description = "The append-only audit log (supervisors, admins).")
    )
)]
pub struct SupervisorApi;

/// The description as a document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    SupervisorApi::openapi()
}

/// A `status` filter: one status, or `all` (the same as leaving it out).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum StatusFilter {
    Open,
    Concluded,
    All,
}

/// A `tier` filter: one tier, or `all` (the same as leaving it out).
#[derive(ToSchema)]
#[allow(non_camel_case_types)]
pub enum TierFilter {
    T1,
    T2,
    T3,
    all,
}

/// How a transcript is answered: JSON (the default) or a Markdown document.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum TranscriptFormat {
    Json,
    Markdown,
}

/// Every room with its live counts.
#[utoipa::path(
    get, path = "/supervisor/rooms", tag = "supervisor",
    security(("bearer" = [])),
    params(("status" = Option<StatusFilter>, Query, description = "Only rooms with this status.")),
    responses(
        (status = 200, description = "The rooms.", body = RoomsResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
fn rooms() {}

/// A room's participants, online or not.
#[utoipa::path(
    get, path = "/supervisor/rooms/{roomId}/participants", tag = "supervisor",
    security(("bearer" = [])),
    params(("roomId" = RoomId, Path, description = "The room.")),
    responses(
        (status = 200, description = "The participants.", body = ParticipantsResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
    )
)]
fn participants() {}

/// A page of a room's messages, every visibility, ascending `seq`.
#[utoipa::path(
    get, path = "/supervisor/rooms/{roomId}/messages", tag = "supervisor",
    security(("bearer" = [])),
    params(
        ("roomId" = RoomId, Path, description = "The room."),
        ("afterSeq" = Option<u64>, Query, description = "Only messages after this sequence number (default 0)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size (the server's history limits: default 50, at most 200 unless configured otherwise)."),
    ),
    responses(
        (status = 200, description = "The page.", body = TranscriptResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
    )
)]
fn messages() {}

/// The whole room, every message in `seq` order (all visibilities: readers are
/// employees). A supervisor's read is audited (`supervisor.transcript`). Employees who
/// are not members get `404` as for an unknown room; guests `403`.
#[utoipa::path(
    get, path = "/supervisor/rooms/{roomId}/transcript", tag = "transcripts",
    security(("bearer" = [])),
    params(
        ("roomId" = RoomId, Path, description = "The room."),
        ("format" = Option<TranscriptFormat>, Query, description = "`json` (default) or `markdown`."),
    ),
    responses(
        (status = 200, description = "The transcript.", content(
            (RoomTranscriptResponse = "application/json"),
            (String = "text/markdown"),
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
    )
)]
fn room_transcript() {}

/// Issues, newest first.
#[utoipa::path(
    get, path = "/supervisor/issues", tag = "supervisor",
    security(("bearer" = [])),
    params(
        ("tier" = Option<TierFilter>, Query, description = "Only issues at this tier."),
        ("status" = Option<StatusFilter>, Query, description = "Only issues with this status."),
    ),
    responses(
        (status = 200, description = "The issues.", body = IssuesResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
fn issues() {}

/// Every room of the issue, oldest first, as the room transcript does.
#[utoipa::path(
    get, path = "/supervisor/issues/{issueId}/transcript", tag = "transcripts",
    security(("bearer" = [])),
    params(
        ("issueId" = IssueId, Path, description = "The issue."),
        ("format" = Option<TranscriptFormat>, Query, description = "`json` (default) or `markdown`."),
    ),
    responses(
        (status = 200, description = "The transcript.", content(
            (IssueTranscriptResponse = "application/json"),
            (String = "text/markdown"),
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
    )
)]
fn issue_transcript() {}

/// Rooms waiting for an employee, per tier.
#[utoipa::path(
    get, path = "/supervisor/queues", tag = "supervisor",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Queue lengths.", body = QueuesResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
fn queues() {}

/// Guests' satisfaction ratings: overall, per tier and per employee.
#[utoipa::path(
    get, path = "/supervisor/csat", tag = "supervisor",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Averages (`null` without ratings).", body = CsatResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
fn csat() {}

/// A page of the audit log, oldest first; pass `next` back as `since` for the
/// following page.
#[utoipa::path(
    get, path = "/supervisor/audit", tag = "audit",
    security(("bearer" = [])),
    params(
        ("since" = Option<String>, Query, description = "A `next` cursor from a previous page, or an RFC 3339 time."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Page size (default 100)."),
    ),
    responses(
        (status = 200, description = "The page.", body = AuditResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
    )
)]
fn audit() {}

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
