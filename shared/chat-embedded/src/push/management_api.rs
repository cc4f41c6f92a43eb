//! [`ManagementApiPush`]: `Push` over HTTP, against the API Gateway Management API that
//! a running local gateway serves (`{base}/@connections/{id}`).
//!
//! Semantics follow API Gateway: `POST` sends the body as one frame, `DELETE` closes the
//! socket, `410 Gone` means the connection no longer exists. The local gateway also
//! requires the header [`MANAGEMENT_KEY_HEADER`], since it may listen on a public
//! address where anyone could otherwise push into (or close) other people's sockets.

use std::time::Duration;

use async_trait::async_trait;
use chat_core::ids::ConnectionId;
use chat_core::ports::{Push, PushError};
use reqwest::StatusCode;

pub use chat_core::ports::MANAGEMENT_KEY_HEADER;

/// How long one management call may take; a hung gateway must not hang the CLI.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Calls a gateway's Management API.
#[derive(Clone)]
pub struct ManagementApiPush {
    client: reqwest::Client,
    /// E.g. `http://127.0.0.1:8080`, without a trailing slash.
    base: String,
    key: String,
}

impl std::fmt::Debug for ManagementApiPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagementApiPush")
            .field("base", &self.base)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A non-2xx answer other than 410.
#[derive(Debug, thiserror::Error)]
#[error("management API answered {status} to {method} {url}")]
struct UnexpectedStatus {
    status: StatusCode,
    method: &'static str,
    url: String,
}

impl ManagementApiPush {
    /// A client for the endpoint at `base_url` (scheme, host, port and optional stage).
    pub fn new(
        base_url: impl Into<String>,
        key: impl Into<String>,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(CALL_TIMEOUT).build()?;
        Ok(Self::with_client(base_url, key, client))
    }

    /// Same, with a caller-built client (e.g. one that trusts a self-signed local cert).
    pub fn with_client(
        base_url: impl Into<String>,
        key: impl Into<String>,
        client: reqwest::Client,
    ) -> Self {
        ManagementApiPush {
            client,
            base: base_url.into().trim_end_matches('/').to_string(),
            key: key.into(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, connection: &ConnectionId) -> String {
        format!(
            "{}/@connections/{}",
            self.base,
            encode_path_segment(connection.as_str())
        )
    }

    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        method: &'static str,
        url: String,
    ) -> Result<(), PushError> {
        let response = request
            .header(MANAGEMENT_KEY_HEADER, &self.key)
            .send()
            .await
            .map_err(|e| PushError::Failed(Box::new(e)))?;
        match response.status() {
            s if s.is_success() => Ok(()),
            StatusCode::GONE => Err(PushError::Gone),
            status => Err(PushError::Failed(Box::new(UnexpectedStatus {
                status,
                method,
                url,
            }))),
        }
    }
}

#[async_trait]
impl Push for ManagementApiPush {
    async fn post(&self, connection: &ConnectionId, frame: &str) -> Result<(), PushError> {
        let url = self.url(connection);
        let request = self.client.post(&url).body(frame.to_string());
        self.call(request, "POST", url).await
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        let url = self.url(connection);
        let request = self.client.delete(&url);
        self.call(request, "DELETE", url).await
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters. Connection ids are
/// printable ASCII without `/`, but may still hold `?`, `#` or `%`.
fn encode_path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    /// A one-shot HTTP server: answers each request with the next status and reports
    /// the raw request it got. Enough to check what goes over the wire.
    async fn canned_server(statuses: Vec<u16>) -> (String, mpsc::UnboundedReceiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            for status in statuses {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read headers, then as much body as Content-Length says.
                loop {
                    let n = sock.read(&mut chunk).await.unwrap();
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len || n == 0 {
                            break;
                        }
                    }
                }
                tx.send(String::from_utf8_lossy(&buf).to_string()).unwrap();
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                sock.write_all(reply.as_bytes()).await.unwrap();
            }
        });
        (base, rx)
    }

    fn id(s: &str) -> ConnectionId {
        ConnectionId::parse(s).unwrap()
    }

    #[tokio::test]
    async fn post_sends_the_frame_with_the_key_and_410_means_gone() {
        let (base, mut seen) = canned_server(vec![200, 410]).await;
        let push = ManagementApiPush::new(format!("{base}/"), "k-123").unwrap();
        push.post(&id("conn_1"), r#"{"type":"pong"}"#)
            .await
            .unwrap();
        let req = seen.recv().await.unwrap();
        assert!(
            req.starts_with("POST /@connections/conn_1 HTTP/1.1"),
            "{req}"
        );
        assert!(
            req.to_ascii_lowercase()
                .contains("x-chat-management-key: k-123"),
            "{req}"
        );
        assert!(req.ends_with(r#"{"type":"pong"}"#), "{req}");

        let gone = push.post(&id("conn_1"), "x").await;
        assert!(matches!(gone, Err(PushError::Gone)), "{gone:?}");
    }

    #[tokio::test]
    async fn close_is_a_delete_and_other_failures_are_not_gone() {
        let (base, mut seen) = canned_server(vec![204, 403]).await;
        let push = ManagementApiPush::new(base, "k").unwrap();
        push.close(&id("a?b")).await.unwrap();
        let req = seen.recv().await.unwrap();
        assert!(
            req.starts_with("DELETE /@connections/a%3Fb HTTP/1.1"),
            "{req}"
        );
        let refused = push.close(&id("a")).await;
        assert!(matches!(refused, Err(PushError::Failed(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn an_unreachable_gateway_is_a_failure_not_gone() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let push = ManagementApiPush::new(base, "k").unwrap();
        assert!(matches!(
            push.post(&id("c"), "x").await,
            Err(PushError::Failed(_))
        ));
    }
}
