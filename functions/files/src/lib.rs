//! # fn-files — the file routes of the HTTP API
//!
//! | route | core call |
//! |---|---|
//! | `POST /files` | [`App::create_upload`] |
//! | `POST /files/{fileId}/complete` | [`App::complete_upload`] |
//! | `GET /files/{fileId}?variant=original\|thumbnail` | [`App::file_download`] |
//!
//! Bytes never pass through this function: clients upload and download with the
//! pre-signed URLs it answers (S3 on AWS; the local gateway's `/blobs` locally). Like
//! the other HTTP functions it only translates; routing, bearer, bodies and errors are
//! `chat-http`'s.
//!
//! With the `schema` feature, `api_doc` describes these routes in OpenAPI 3.1;
//! `chat-local` serves the HTTP functions' descriptions merged as `/openapi.json`.

#[cfg(feature = "schema")]
pub mod api_doc;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use chat_core::ids::FileId;
use chat_core::protocol::files::{CreateFileRequest, FileVariant};
use chat_core::{App, CoreResult};
use chat_http::{Request, RouteRow, to_json};
use serde_json::Value;

/// The routes this function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Create,
    Complete,
    Download,
}

const ROUTES: &[RouteRow<Route>] = &[
    ("/files", Method::POST, Route::Create),
    ("/files/{fileId}/complete", Method::POST, Route::Complete),
    ("/files/{fileId}", Method::GET, Route::Download),
];

/// Handles one HTTP API (payload v2) request.
pub async fn handle(app: &App, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    chat_http::serve(req, ROUTES, |route, req| async move {
        run(app, route, &req).await
    })
    .await
}

async fn run(app: &App, route: Route, req: &Request) -> CoreResult<Value> {
    // Authenticate first: an anonymous caller learns nothing about bodies or ids.
    let user = req.caller(app).await?;
    match route {
        Route::Create => {
            let body: CreateFileRequest = req.json_body()?;
            to_json(&app.create_upload(&user, body).await?)
        }
        Route::Complete => {
            let id = file_id(req)?;
            to_json(&app.complete_upload(&user, &id).await?)
        }
        Route::Download => {
            let id = file_id(req)?;
            let variant = req.query_parse::<FileVariant>("variant")?;
            to_json(
                &app.file_download(&user, &id, variant.unwrap_or_default())
                    .await?,
            )
        }
    }
}

fn file_id(req: &Request) -> CoreResult<FileId> {
    FileId::parse(req.path_param("fileId")?)
}
