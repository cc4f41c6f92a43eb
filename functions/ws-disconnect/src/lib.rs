//! # fn-ws-disconnect — the WebSocket API's `$disconnect` handler
//!
//! Calls [`App::disconnect`]: the connection is forgotten and, if it was the user's
//! last one, their rooms learn they went offline. API Gateway ignores the response;
//! it carries the outcome for logs and tests.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use chat_core::App;
use chat_core::ids::ConnectionId;
use tracing::warn;

/// Handles one `$disconnect` event.
pub async fn handle(app: &App, req: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    let connection = match req
        .request_context
        .connection_id
        .as_deref()
        .map(ConnectionId::parse)
    {
        Some(Ok(id)) => id,
        _ => {
            warn!("$disconnect event without a valid connection id");
            return status(400);
        }
    };
    match app.disconnect(&connection).await {
        Ok(()) => status(200),
        Err(err) => {
            warn!(connection_id = %connection, error = %err, source = ?std::error::Error::source(&err), "disconnect failed");
            status(err.code().http_status())
        }
    }
}

fn status(code: u16) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = i64::from(code);
    response
}
