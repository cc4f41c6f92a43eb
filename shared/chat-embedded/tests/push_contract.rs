//! The `Push` contract against the in-process [`ConnectionHub`]: each probe connection
//! is a registered channel, as the local gateway registers a socket's writer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chat_core::ids::ConnectionId;
use chat_core::ports::{Push, PushError, SharedFrame};
use chat_core::testkit::contract::push::{self, PushProbe};
use chat_embedded::push::{ConnectionHub, Outgoing};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

#[tokio::test]
async fn the_connection_hub_meets_the_push_contract() {
    push::run_all(|| async {
        let hub = Arc::new(ConnectionHub::new());
        (
            SharedHub(Arc::clone(&hub)),
            HubProbe {
                hub,
                sockets: HashMap::new(),
                next: 0,
            },
        )
    })
    .await;
}

/// The hub behind an `Arc`, so the probe registers sockets on the same one.
struct SharedHub(Arc<ConnectionHub>);

#[async_trait]
impl Push for SharedHub {
    async fn post(&self, connection: &ConnectionId, frame: &str) -> Result<(), PushError> {
        self.0.post(connection, frame).await
    }

    async fn post_many(
        &self,
        targets: &[ConnectionId],
        frame: &SharedFrame,
    ) -> Vec<(ConnectionId, PushError)> {
        self.0.post_many(targets, frame).await
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        self.0.close(connection).await
    }
}

struct HubProbe {
    hub: Arc<ConnectionHub>,
    sockets: HashMap<ConnectionId, UnboundedReceiver<Outgoing>>,
    next: usize,
}

impl HubProbe {
    fn fresh(&mut self) -> ConnectionId {
        self.next += 1;
        ConnectionId::parse(format!("sock_{}", self.next)).expect("a valid id")
    }
}

#[async_trait]
impl PushProbe for HubProbe {
    async fn open(&mut self) -> ConnectionId {
        let id = self.fresh();
        let (tx, rx) = unbounded_channel();
        self.hub.register(id.clone(), tx);
        self.sockets.insert(id.clone(), rx);
        id
    }

    /// A socket whose writer has stopped (its channel's receiver dropped) but that is
    /// still registered: the hub must notice and answer `Gone`.
    async fn gone(&mut self) -> Option<ConnectionId> {
        let id = self.fresh();
        let (tx, rx) = unbounded_channel();
        self.hub.register(id.clone(), tx);
        drop(rx);
        Some(id)
    }

    async fn delivered(
        &mut self,
        connection: &ConnectionId,
        at_least: usize,
        wait: Duration,
    ) -> Option<Vec<String>> {
        let rx = self.sockets.get_mut(connection)?;
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while got.len() < at_least {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(Outgoing::Text(frame))) => got.push(frame.as_str().to_string()),
                Ok(Some(Outgoing::Close)) => got.push("<close>".to_string()),
                Ok(None) | Err(_) => break,
            }
        }
        // Anything beyond what was expected is a surplus delivery: report it too.
        while let Ok(extra) = rx.try_recv() {
            got.push(match extra {
                Outgoing::Text(frame) => frame.as_str().to_string(),
                Outgoing::Close => "<close>".to_string(),
            });
        }
        Some(got)
    }
}
