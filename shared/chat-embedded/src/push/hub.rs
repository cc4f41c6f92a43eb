//! [`ConnectionHub`]: the sockets open in this process, keyed by connection id.
//!
//! The gateway owns the sockets; the hub holds only each socket's outgoing channel, so
//! pushing never waits on a slow client (the channel is unbounded and a per-socket
//! writer task drains it in order). Sends on one connection keep their order because
//! they all go through that one channel.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chat_core::ids::ConnectionId;
use chat_core::ports::{Push, PushError, SharedFrame};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::Outgoing;

/// What the Management API's `GET /@connections/{id}` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    pub connected_at: DateTime<Utc>,
    /// Last frame received from the client (or the connect time).
    pub last_active_at: DateTime<Utc>,
    pub source_ip: Option<String>,
}

struct Entry {
    tx: UnboundedSender<Outgoing>,
    info: ConnInfo,
}

/// Registry of this process's open sockets; implements [`Push`] over it.
#[derive(Default)]
pub struct ConnectionHub {
    conns: Mutex<HashMap<ConnectionId, Entry>>,
}

impl ConnectionHub {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<ConnectionId, Entry>> {
        // A poisoned lock means a panic elsewhere mid-insert; the map itself is intact
        // and refusing every push afterwards would take all sockets down with it.
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a socket's outgoing channel. Register *before* running `$connect` so
    /// that frames pushed while connecting (presence updates) are queued, not lost.
    pub fn register(&self, id: ConnectionId, tx: UnboundedSender<Outgoing>) {
        self.register_from(id, tx, None);
    }

    /// [`register`](Self::register) with the client's address, for `GET /@connections`.
    pub fn register_from(
        &self,
        id: ConnectionId,
        tx: UnboundedSender<Outgoing>,
        source_ip: Option<String>,
    ) {
        let now = Utc::now();
        let info = ConnInfo {
            connected_at: now,
            last_active_at: now,
            source_ip,
        };
        self.lock().insert(id, Entry { tx, info });
    }

    /// Forgets a socket; `false` if it was not registered (already closed).
    pub fn unregister(&self, id: &ConnectionId) -> bool {
        self.lock().remove(id).is_some()
    }

    pub fn info(&self, id: &ConnectionId) -> Option<ConnInfo> {
        self.lock().get(id).map(|e| e.info.clone())
    }

    /// Records activity from the client (every received frame).
    pub fn touch(&self, id: &ConnectionId) {
        if let Some(entry) = self.lock().get_mut(id) {
            entry.info.last_active_at = Utc::now();
        }
    }

    /// Ids of the registered sockets, oldest id first (ids that sort by time, such
    /// as the gateway's ULIDs, come out in connection order).
    pub fn ids(&self) -> Vec<ConnectionId> {
        let mut ids: Vec<ConnectionId> = self.lock().keys().cloned().collect();
        ids.sort();
        ids
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Asks every socket to close (graceful shutdown); returns how many were asked.
    /// Entries stay until each socket's task unregisters, so in-flight replies still
    /// reach their socket before its close frame.
    pub fn close_all(&self) -> usize {
        let conns = self.lock();
        conns
            .values()
            .filter(|e| e.tx.send(Outgoing::Close).is_ok())
            .count()
    }
}

#[async_trait]
impl Push for ConnectionHub {
    async fn post(&self, connection: &ConnectionId, frame: &str) -> Result<(), PushError> {
        let mut conns = self.lock();
        let Some(entry) = conns.get(connection) else {
            return Err(PushError::Gone);
        };
        if entry
            .tx
            .send(Outgoing::Text(SharedFrame::from(frame)))
            .is_err()
        {
            // The writer is gone (socket closed, not yet unregistered): same as API
            // Gateway's 410, and nobody will read this channel again.
            conns.remove(connection);
            return Err(PushError::Gone);
        }
        Ok(())
    }

    /// Queues the one shared frame on every target's channel in a single pass under
    /// the lock: no copy of the text, no future and no await per target.
    async fn post_many(
        &self,
        targets: &[ConnectionId],
        frame: &SharedFrame,
    ) -> Vec<(ConnectionId, PushError)> {
        let mut failed = Vec::new();
        let mut conns = self.lock();
        for connection in targets {
            let sent = match conns.get(connection) {
                Some(entry) => entry.tx.send(Outgoing::Text(frame.clone())).is_ok(),
                None => {
                    failed.push((connection.clone(), PushError::Gone));
                    continue;
                }
            };
            if !sent {
                // As in `post`: a closed channel will never be read again.
                conns.remove(connection);
                failed.push((connection.clone(), PushError::Gone));
            }
        }
        failed
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        // Removed at once, as DeleteConnection does: later posts answer Gone.
        let entry = self.lock().remove(connection).ok_or(PushError::Gone)?;
        entry.tx.send(Outgoing::Close).map_err(|_| PushError::Gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc::unbounded_channel;

    fn id(s: &str) -> ConnectionId {
        ConnectionId::parse(s).unwrap()
    }

    #[tokio::test]
    async fn posts_reach_the_registered_channel_in_order() {
        let hub = ConnectionHub::new();
        let (tx, mut rx) = unbounded_channel();
        hub.register(id("c1"), tx);
        hub.post(&id("c1"), "one").await.unwrap();
        hub.post(&id("c1"), "two").await.unwrap();
        assert_eq!(rx.recv().await, Some(Outgoing::Text("one".into())));
        assert_eq!(rx.recv().await, Some(Outgoing::Text("two".into())));
    }

    #[tokio::test]
    async fn unknown_unregistered_and_dropped_connections_are_gone() {
        let hub = ConnectionHub::new();
        assert!(matches!(
            hub.post(&id("nope"), "x").await,
            Err(PushError::Gone)
        ));
        assert!(matches!(hub.close(&id("nope")).await, Err(PushError::Gone)));

        let (tx, _rx) = unbounded_channel();
        hub.register(id("c1"), tx);
        assert!(hub.unregister(&id("c1")));
        assert!(!hub.unregister(&id("c1")));
        assert!(matches!(
            hub.post(&id("c1"), "x").await,
            Err(PushError::Gone)
        ));

        let (tx, rx) = unbounded_channel();
        hub.register(id("c2"), tx);
        drop(rx);
        assert!(matches!(
            hub.post(&id("c2"), "x").await,
            Err(PushError::Gone)
        ));
        assert!(hub.info(&id("c2")).is_none(), "a dead channel is forgotten");
    }

    #[tokio::test]
    async fn close_sends_close_after_queued_frames_and_forgets_the_connection() {
        let hub = ConnectionHub::new();
        let (tx, mut rx) = unbounded_channel();
        hub.register(id("c1"), tx);
        hub.post(&id("c1"), "last words").await.unwrap();
        hub.close(&id("c1")).await.unwrap();
        assert_eq!(rx.recv().await, Some(Outgoing::Text("last words".into())));
        assert_eq!(rx.recv().await, Some(Outgoing::Close));
        assert!(matches!(
            hub.post(&id("c1"), "x").await,
            Err(PushError::Gone)
        ));
    }

    #[tokio::test]
    async fn info_tracks_source_and_activity() {
        let hub = ConnectionHub::new();
        let (tx, _rx) = unbounded_channel();
        hub.register_from(id("c1"), tx, Some("127.0.0.1".into()));
        let before = hub.info(&id("c1")).unwrap();
        assert_eq!(before.source_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(before.connected_at, before.last_active_at);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        hub.touch(&id("c1"));
        let after = hub.info(&id("c1")).unwrap();
        assert!(after.last_active_at > before.last_active_at);
        assert_eq!(after.connected_at, before.connected_at);
    }

    #[tokio::test]
    async fn close_all_asks_every_socket_to_close() {
        let hub = ConnectionHub::new();
        let (tx1, mut rx1) = unbounded_channel();
        let (tx2, mut rx2) = unbounded_channel();
        hub.register(id("a"), tx1);
        hub.register(id("b"), tx2);
        assert_eq!(hub.close_all(), 2);
        assert_eq!(rx1.recv().await, Some(Outgoing::Close));
        assert_eq!(rx2.recv().await, Some(Outgoing::Close));
        assert_eq!(
            hub.len(),
            2,
            "sockets unregister themselves when their task ends"
        );
    }
}
