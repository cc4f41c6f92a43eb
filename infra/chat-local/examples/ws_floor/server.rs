//! The floor server: axum's WebSocket, the gateway's hub and socket writer, and a
//! fan-out of every received frame to every open socket. No store, no handlers.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use chat_core::ids::ConnectionId;
use chat_core::ports::Push;
use chat_embedded::push::{ConnectionHub, SharedFrame};
use chat_local::ws_writer::{FLUSH_INTERVAL, write_loop_every};
use futures::StreamExt;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::mpsc::unbounded_channel;

#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Where to listen (loopback; port 0 picks a free one, printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Size of each fanned-out frame, about a `message.created` with 100 bytes of text.
    #[arg(long, default_value_t = 480)]
    frame_bytes: usize,
    /// The socket writer's gathering interval, ms (default: the gateway's).
    #[arg(long)]
    flush_ms: Option<f64>,
}

/// What a sender socket sends: the client's send time and the message's index.
#[derive(Deserialize)]
struct Send {
    t: u64,
    i: u64,
}

struct Floor {
    hub: ConnectionHub,
    /// Every open socket, replaced on connect and disconnect, so a fan-out reads its
    /// audience without copying it (the gateway reads its audience from the store).
    audience: RwLock<Arc<Vec<ConnectionId>>>,
    padding: String,
    flush_every: Duration,
}

pub async fn run(args: ServerArgs) -> anyhow::Result<()> {
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    // The script waits for this line.
    println!("{}", listener.local_addr()?);
    let floor = Arc::new(Floor {
        hub: ConnectionHub::new(),
        audience: RwLock::new(Arc::new(Vec::new())),
        // The frame's fixed part is about 150 bytes.
        padding: "x".repeat(args.frame_bytes.saturating_sub(150)),
        flush_every: args
            .flush_ms
            .map_or(FLUSH_INTERVAL, |ms| Duration::from_secs_f64(ms / 1000.0)),
    });
    let app = Router::new().route("/ws", get(upgrade)).with_state(floor);
    // The gateway sets TCP_NODELAY on every accepted socket (`accept.rs`).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

async fn upgrade(State(floor): State<Arc<Floor>>, ws: WebSocketUpgrade) -> Response {
    // The gateway's buffer sizes (`ws.rs`).
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(64 * 1024)
        .on_upgrade(move |socket| serve_socket(socket, floor))
}

async fn serve_socket(socket: WebSocket, floor: Arc<Floor>) {
    let Ok(id) = ConnectionId::parse(ulid::Ulid::new().to_string()) else {
        return;
    };
    let (tx, rx) = unbounded_channel();
    floor.hub.register(id.clone(), tx);
    floor.change_audience(|ids| ids.push(id.clone()));
    let (sink, mut stream) = socket.split();
    let writer = tokio::spawn(write_loop_every(sink, rx, floor.flush_every));
    while let Some(Ok(frame)) = stream.next().await {
        if let Message::Text(text) = frame {
            floor.fan_out(&id, text.as_str()).await;
        }
    }
    floor.change_audience(|ids| ids.retain(|other| other != &id));
    floor.hub.unregister(&id);
    let _ = writer.await;
}

impl Floor {
    fn change_audience(&self, change: impl FnOnce(&mut Vec<ConnectionId>)) {
        let mut audience = self.audience.write().unwrap_or_else(|e| e.into_inner());
        let mut ids = audience.as_ref().clone();
        change(&mut ids);
        *audience = Arc::new(ids);
    }

    /// One event frame, serialized once and shared by every socket, then the reply to
    /// the sender: the same order of work as a gateway send after its commit.
    async fn fan_out(&self, sender: &ConnectionId, text: &str) {
        let Ok(send) = serde_json::from_str::<Send>(text) else {
            let _ = self
                .hub
                .post(sender, r#"{"type":"error","code":"bad_request"}"#)
                .await;
            return;
        };
        let frame = SharedFrame::from(format!(
            r#"{{"type":"message.created","roomId":"01JFLOORR00M0000000000000","message":{{"id":"01JFLOORMSG{:014}","seq":{},"t":{},"kind":"chat","text":"{}"}}}}"#,
            send.i, send.i, send.t, self.padding
        ));
        let audience = Arc::clone(&self.audience.read().unwrap_or_else(|e| e.into_inner()));
        self.hub.post_many(&audience, &frame).await;
        let reply = format!(r#"{{"type":"reply","i":{},"ok":true}}"#, send.i);
        let _ = self.hub.post(sender, &reply).await;
    }
}
