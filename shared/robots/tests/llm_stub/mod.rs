//! A scripted HTTP server on 127.0.0.1 for the LLM and secrets tests: it answers each
//! request with the next [`Reply`] of its script (repeating the last one) and records
//! what it received.
#![allow(dead_code)] // each test binary uses a different part

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::Response,
};
use futures::{StreamExt, stream};

/// One scripted answer.
#[derive(Clone)]
pub enum Reply {
    /// 200 `text/event-stream` with these raw SSE chunks, then the body ends.
    Sse(Vec<String>),
    /// 200 SSE: these chunks, then the body stays open and silent.
    SseThenStall(Vec<String>),
    /// A plain response with a status, extra headers and a body.
    Status(u16, Vec<(&'static str, &'static str)>, String),
    /// No response headers at all, ever.
    Stall,
}

/// What the stub saw.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

#[derive(Default)]
struct Shared {
    script: Vec<Reply>,
    received: Mutex<Vec<Received>>,
}

pub struct Stub {
    pub url: String,
    shared: Arc<Shared>,
}

impl Stub {
    pub async fn start(script: Vec<Reply>) -> Self {
        assert!(!script.is_empty());
        let shared = Arc::new(Shared {
            script,
            received: Mutex::default(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, shared }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let index = {
        let mut received = shared.received.lock().unwrap();
        received.push(Received {
            method: method.to_string(),
            uri,
            headers,
            body,
            at: Instant::now(),
        });
        received.len() - 1
    };
    let reply = shared.script[index.min(shared.script.len() - 1)].clone();
    match reply {
        Reply::Sse(chunks) => sse(stream::iter(chunks.into_iter().map(Ok)).boxed()),
        Reply::SseThenStall(chunks) => sse(stream::iter(chunks.into_iter().map(Ok))
            .chain(stream::pending())
            .boxed()),
        Reply::Status(status, headers, body) => {
            let mut response = Response::builder().status(StatusCode::from_u16(status).unwrap());
            for (name, value) in headers {
                response = response.header(name, value);
            }
            response.body(Body::from(body)).unwrap()
        }
        Reply::Stall => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Response::new(Body::empty())
        }
    }
}

fn sse(chunks: futures::stream::BoxStream<'static, Result<String, Infallible>>) -> Response {
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(chunks))
        .unwrap()
}
