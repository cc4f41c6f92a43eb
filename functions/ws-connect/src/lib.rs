//! # fn-ws-connect — the WebSocket API's `$connect` handler
//!
//! Decodes the handshake event into a [`Handshake`] (connection id, `Authorization`
//! header, `ticket` query parameter, `Origin` header) and calls [`App::connect`].
//! `200` accepts the socket; any other answer refuses the handshake with the error's
//! status and `{"error":…}` body (API Gateway then sends that status to the client and
//! opens no socket): `401` for missing/bad credentials, `403` for a foreign `Origin`.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header};
use chat_core::ids::ConnectionId;
use chat_core::service::session::Handshake;
use chat_core::{App, CoreResult};
use tracing::warn;

/// Handles one `$connect` event.
pub async fn handle(app: &App, req: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    let result = match handshake(&req) {
        Ok(handshake) => app.connect(&handshake).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => response(200, None),
        Err(err) => {
            let status = err.code().http_status();
            if status >= 500 {
                warn!(error = %err, source = ?std::error::Error::source(&err), "connect failed");
            }
            response(status, serde_json::to_string(&err.to_body()).ok())
        }
    }
}

/// What the core needs to know about the handshake.
pub fn handshake(req: &ApiGatewayWebsocketProxyRequest) -> CoreResult<Handshake> {
    let connection_id = req
        .request_context
        .connection_id
        .as_deref()
        .map(ConnectionId::parse)
        .transpose()?;
    let ticket = req
        .query_string_parameters
        .first("ticket")
        .or_else(|| req.multi_value_query_string_parameters.first("ticket"))
        .filter(|t| !t.is_empty())
        .map(String::from);
    Ok(Handshake {
        connection_id,
        authorization: header_value(req, header::AUTHORIZATION.as_str()),
        ticket,
        origin: header_value(req, header::ORIGIN.as_str()),
    })
}

/// A header by (case-insensitive) name, from `headers` or else `multiValueHeaders`.
/// A value that is not visible ASCII counts as absent: no valid credential or origin
/// contains such bytes.
fn header_value(req: &ApiGatewayWebsocketProxyRequest, name: &str) -> Option<String> {
    req.headers
        .get(name)
        .or_else(|| req.multi_value_headers.get(name))
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

fn response(status: u16, body: Option<String>) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = i64::from(status);
    if let Some(body) = body {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response.headers = headers;
        response.body = Some(Body::Text(body));
    }
    response
}
