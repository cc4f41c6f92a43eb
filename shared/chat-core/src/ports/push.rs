//! `Push`: frames to open WebSocket connections (API Gateway Management API semantics).

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::ids::ConnectionId;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The connection no longer exists (API Gateway answers 410 Gone). The caller
    /// deletes it from the store and carries on.
    #[error("connection is gone")]
    Gone,
    #[error("push failed: {0}")]
    Failed(#[source] crate::error::BoxError),
}

/// Header carrying the local gateway's management key. API Gateway's own Management
/// API authenticates with SigV4 and IAM; the local gateway's emulation of it may listen
/// on a public address, so every `Push` adapter that talks to it sends this key.
pub const MANAGEMENT_KEY_HEADER: &str = "x-chat-management-key";

/// How many `post` calls [`Push::post_many`]'s default runs at once.
pub const POST_MANY_CONCURRENCY: usize = 16;

/// One serialized text frame, shared by every connection it goes to: a clone is a
/// reference-count increment, never a copy of the text. Always valid UTF-8 (it can only
/// be made from a string).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SharedFrame(Bytes);

impl SharedFrame {
    /// The frame's text.
    pub fn as_str(&self) -> &str {
        // Only ever built from a `String` or `&str`, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The frame's bytes (UTF-8 text).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The frame as shared bytes (UTF-8 text), for a transport that takes them without
    /// copying.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SharedFrame {
    fn from(text: String) -> Self {
        SharedFrame(Bytes::from(text))
    }
}

impl From<&str> for SharedFrame {
    fn from(text: &str) -> Self {
        SharedFrame(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl std::fmt::Debug for SharedFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for SharedFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Sends frames to open WebSocket connections (API Gateway Management API semantics).
#[async_trait]
pub trait Push: Send + Sync {
    /// `PostToConnection`: one text frame to one connection.
    async fn post(&self, connection: &ConnectionId, frame: &str) -> Result<(), PushError>;

    /// One frame to each of `targets` (fan-out). Returns the targets that failed, with
    /// why, in no particular order; every other target got the frame. Frames to one
    /// connection keep the order of the calls, as with `post`.
    ///
    /// The default runs `post` for each target, [`POST_MANY_CONCURRENCY`] at a time (an
    /// HTTP request each on API Gateway); an in-process push overrides it to queue the
    /// one shared frame on every socket without a request or a future per target.
    async fn post_many(
        &self,
        targets: &[ConnectionId],
        frame: &SharedFrame,
    ) -> Vec<(ConnectionId, PushError)> {
        let text = frame.as_str();
        let mut failed = Vec::new();
        let mut running = FuturesUnordered::new();
        let mut targets = targets.iter();
        loop {
            while running.len() < POST_MANY_CONCURRENCY {
                let Some(c) = targets.next() else { break };
                running.push(async move { (c, self.post(c, text).await) });
            }
            match running.next().await {
                Some((c, Err(e))) => failed.push((c.clone(), e)),
                Some((_, Ok(()))) => {}
                None => return failed,
            }
        }
    }

    /// `DeleteConnection`: closes the socket (revocation, disabled account).
    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_frame_is_its_text_and_clones_share_it() {
        let frame = SharedFrame::from(r#"{"type":"pong"}"#.to_string());
        let copy = frame.clone();
        assert_eq!(copy.as_str(), r#"{"type":"pong"}"#);
        assert_eq!(copy.as_bytes().as_ptr(), frame.as_bytes().as_ptr());
        assert_eq!(frame.len(), 15);
        assert_eq!(format!("{frame:?}"), r#""{\"type\":\"pong\"}""#);
        assert_eq!(SharedFrame::from("é").as_str(), "é");
        assert!(SharedFrame::default().is_empty());
    }
}
