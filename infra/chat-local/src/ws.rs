//! `/ws`: WebSocket connections, bridged to the `$connect` / `$default` /
//! `$disconnect` handlers as API Gateway's WebSocket API would.
//!
//! Handshake: a fresh connection id; the socket's outgoing channel is registered in
//! the hub *before* `$connect` runs (so frames pushed while connecting are queued, not
//! lost) and unregistered again if `$connect` refuses, in which case the HTTP answer is
//! the handler's status and body and no socket opens.
//!
//! Open socket: one writer task (`ws_writer`) drains the channel to the socket
//! (`Outgoing::Close` closes it); the reader hands text frames to `$default` one at a
//! time, awaiting each, which keeps a connection's actions in order. Binary frames are
//! refused here, like any frame API Gateway could not route. When the socket ends,
//! `$disconnect`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use chat_core::CoreError;
use chat_core::ids::ConnectionId;
use chat_core::ports::Push;
use chat_core::protocol::events::{FrameError, to_frame};
use chat_embedded::push::Outgoing;
use chrono::Utc;
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::config::MAX_SOCKET_MESSAGE_BYTES;
use crate::functions::Function;
use crate::http_bridge::{error_response, from_proxy_response, query_map};
use crate::server::{Shared, TaskGuard};
use crate::ws_writer::write_loop;

/// How long a closing socket's writer may take to flush what is queued.
const WRITER_DRAIN: Duration = Duration::from_secs(5);

/// Initial capacity of a socket's read buffer. tungstenite's default (128 KiB) is
/// allocated up front for every socket, which made an idle connection cost ~150 KB;
/// chat frames are well under 4 KiB, and a larger frame grows the buffer as it arrives
/// (up to `MAX_SOCKET_MESSAGE_BYTES`).
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Frames queued for one socket are gathered up to this many bytes before a write is
/// forced; the writer flushes after each burst anyway (see `write_loop`), so this only
/// bounds one burst's buffer. The buffer is grown on demand, so an idle socket costs
/// nothing here.
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// `GET /ws`.
pub(crate) async fn upgrade(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    if shared.shutting_down.load(Ordering::SeqCst) {
        return error_response(&CoreError::Unavailable(
            "the gateway is shutting down".into(),
        ));
    }
    let id = match ConnectionId::parse(new_connection_id()) {
        Ok(id) => id,
        Err(e) => return error_response(&e),
    };
    let span = info_span!("ws", connection_id = %id);
    let (tx, rx) = unbounded_channel();
    shared
        .hub
        .register_from(id.clone(), tx, Some(peer.ip().to_string()));

    let event = connect_event(&id, &headers, query.as_deref().unwrap_or(""), peer);
    let answer = shared
        .functions
        .ws(Function::WsConnect, event)
        .instrument(span.clone())
        .await;
    if answer.status_code != 200 {
        shared.hub.unregister(&id);
        span.in_scope(|| info!(status = answer.status_code, "handshake refused"));
        return from_proxy_response(answer);
    }

    let guard = shared.tasks.guard();
    let on_fail = (Arc::clone(&shared), id.clone(), peer, span.clone());
    ws.max_message_size(MAX_SOCKET_MESSAGE_BYTES)
        .max_frame_size(MAX_SOCKET_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .on_failed_upgrade(move |err| {
            let (shared, id, peer, span) = on_fail;
            span.in_scope(|| warn!(error = %err, "upgrade failed after $connect"));
            // `$connect` already recorded the connection: forget it again.
            tokio::spawn(async move { disconnect(&shared, &id, peer).await }.instrument(span));
        })
        .on_upgrade(move |socket| run(socket, shared, id, peer, rx, guard).instrument(span))
}

/// Connection ids are opaque: a ULID, unique and safe in a URL path.
fn new_connection_id() -> String {
    ulid::Ulid::new().to_string()
}

/// The life of one accepted socket.
async fn run(
    socket: WebSocket,
    shared: Arc<Shared>,
    id: ConnectionId,
    peer: SocketAddr,
    rx: UnboundedReceiver<Outgoing>,
    _guard: TaskGuard,
) {
    info!(source_ip = %peer.ip(), "socket open");
    let (sink, mut stream) = socket.split();
    let mut writer = tokio::spawn(write_loop(sink, rx));
    let mut writer_done = false;
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            // The server closed the socket (revocation, shutdown) or it broke.
            _ = &mut writer => { writer_done = true; break; }
        };
        match message {
            Some(Ok(Message::Text(text))) => {
                shared.hub.touch(&id);
                let event = message_event(&id, text.as_str(), peer);
                // Awaited before reading on: one connection's frames run in order.
                // Boxed: inline, the handler's whole state machine (the core's dispatch
                // of every action) would be part of this task and held by every idle
                // socket; boxed it exists only while a frame is being handled.
                let answer = Box::pin(shared.functions.ws(Function::WsMessage, event)).await;
                if answer.status_code >= 500 {
                    // The function itself failed (local Lambda mode): tell the client,
                    // as API Gateway answers a failed integration.
                    let err = CoreError::Unavailable("the message could not be handled".into());
                    let _ = shared
                        .hub
                        .post(&id, &to_frame(&FrameError::new(&err)))
                        .await;
                }
            }
            Some(Ok(Message::Binary(_))) => {
                shared.hub.touch(&id);
                let err = CoreError::bad_request(
                    "binary frames are not supported; send JSON text frames",
                );
                if let Err(e) = shared
                    .hub
                    .post(&id, &to_frame(&FrameError::new(&err)))
                    .await
                {
                    debug!(error = %e, "could not answer a binary frame");
                }
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => shared.hub.touch(&id),
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(e)) => {
                debug!(error = %e, "socket read failed");
                break;
            }
        }
    }
    disconnect(&shared, &id, peer).await;
    // Closing the channel lets the writer flush what is queued, then stop.
    shared.hub.unregister(&id);
    if !writer_done
        && tokio::time::timeout(WRITER_DRAIN, &mut writer)
            .await
            .is_err()
    {
        writer.abort();
    }
    info!("socket closed");
}

async fn disconnect(shared: &Shared, id: &ConnectionId, peer: SocketAddr) {
    // Boxed for the same reason as `$default` in `run`.
    let answer = Box::pin(
        shared
            .functions
            .ws(Function::WsDisconnect, disconnect_event(id, peer)),
    )
    .await;
    if answer.status_code != 200 {
        warn!(status = answer.status_code, "$disconnect failed");
    }
}

/// Fields every WebSocket event shares.
fn event(
    id: &ConnectionId,
    route: &str,
    event_type: &str,
    peer: SocketAddr,
) -> ApiGatewayWebsocketProxyRequest {
    let mut e = ApiGatewayWebsocketProxyRequest::default();
    let now = Utc::now();
    let ctx = &mut e.request_context;
    ctx.connection_id = Some(id.to_string());
    ctx.route_key = Some(route.into());
    ctx.event_type = Some(event_type.into());
    ctx.message_direction = Some("IN".into());
    ctx.stage = Some("local".into());
    ctx.apiid = Some("local".into());
    ctx.request_id = Some(ulid::Ulid::new().to_string());
    ctx.request_time_epoch = now.timestamp_millis();
    ctx.request_time = Some(now.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    ctx.identity.source_ip = Some(peer.ip().to_string());
    e
}

/// `$connect`: the handshake's headers and query string.
pub(crate) fn connect_event(
    id: &ConnectionId,
    headers: &HeaderMap,
    raw_query: &str,
    peer: SocketAddr,
) -> ApiGatewayWebsocketProxyRequest {
    let mut e = event(id, "$connect", "CONNECT", peer);
    e.http_method = Some(Method::GET);
    e.request_context.http_method = Some(Method::GET);
    e.request_context.connected_at = Utc::now().timestamp_millis();
    e.headers = headers.clone();
    e.query_string_parameters = query_map(raw_query);
    e
}

/// `$default`: one text frame.
fn message_event(
    id: &ConnectionId,
    text: &str,
    peer: SocketAddr,
) -> ApiGatewayWebsocketProxyRequest {
    let mut e = event(id, "$default", "MESSAGE", peer);
    e.request_context.message_id = Some(ulid::Ulid::new().to_string());
    e.body = Some(text.to_string());
    e
}

fn disconnect_event(id: &ConnectionId, peer: SocketAddr) -> ApiGatewayWebsocketProxyRequest {
    event(id, "$disconnect", "DISCONNECT", peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// The size of the future an async fn of six arguments returns, without calling it.
    fn future_size<A, B, C, D, E, G, F>(_: fn(A, B, C, D, E, G) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    #[test]
    fn an_idle_socket_task_does_not_carry_the_handlers_state() {
        // Every open socket holds one `run` future for its whole life. Awaiting the
        // `$default` handler inline made it as large as the handler's state machine
        // (12 KB in a test build, most of an idle socket's memory in release); boxed,
        // that state is allocated only while a frame is handled.
        let size = future_size(run);
        assert!(size <= 2048, "a socket's task is {size} bytes");
    }

    #[test]
    fn the_connect_event_carries_what_the_handshake_needs() {
        let id = ConnectionId::parse(new_connection_id()).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("Authorization", HeaderValue::from_static("Bearer t"));
        headers.insert("Origin", HeaderValue::from_static("http://localhost:1"));
        let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let e = connect_event(&id, &headers, "ticket=abc", peer);
        let h = fn_ws_connect::handshake(&e).unwrap();
        assert_eq!(h.connection_id, Some(id));
        assert_eq!(h.authorization.as_deref(), Some("Bearer t"));
        assert_eq!(h.origin.as_deref(), Some("http://localhost:1"));
        assert_eq!(h.ticket.as_deref(), Some("abc"));
        assert_eq!(e.request_context.route_key.as_deref(), Some("$connect"));
        assert_eq!(e.request_context.event_type.as_deref(), Some("CONNECT"));
    }
}
