//! # fn-ws-message — the WebSocket API's `$default` handler
//!
//! Hands one frame to [`App::handle_frame`]. The reply and any events go out through
//! the `Push` port (API Gateway's `PostToConnection`), never in this function's
//! response, exactly as on API Gateway; so the response is `200` whatever the frame
//! held — a bad frame is answered on the socket, not here.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use base64::Engine;
use chat_core::App;
use chat_core::ids::ConnectionId;
use tracing::warn;

/// Handles one `$default` event.
pub async fn handle(app: &App, req: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    let Some(connection) = req
        .request_context
        .connection_id
        .as_deref()
        .and_then(|id| ConnectionId::parse(id).ok())
    else {
        // Without a connection there is no one to answer; only the event is wrong.
        warn!("$default event without a valid connection id");
        return status(400);
    };
    let raw = req.body.as_deref().unwrap_or("");
    if req.is_base64_encoded {
        // Binary frames arrive base64-encoded. The protocol is text JSON; whatever the
        // bytes are, the core answers them (a non-JSON frame gets a bad_request error).
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap_or_default();
        app.handle_frame(&connection, &String::from_utf8_lossy(&bytes))
            .await;
    } else {
        app.handle_frame(&connection, raw).await;
    }
    status(200)
}

fn status(code: u16) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = i64::from(code);
    response
}
