//! Accepting TCP connections: `TCP_NODELAY`, and no room for clients that connect and
//! then say nothing.
//!
//! hyper's header-read timeout (set in `server`) starts with a request's first byte,
//! so a connection that never sends one would be held open forever — the cheapest
//! slowloris there is. [`FirstByteAcceptor`] waits for that first byte (a request line,
//! or a TLS ClientHello) for the same length of time and drops the connection if none
//! comes. Both run in the connection's own task, so a silent client delays nobody else.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use axum_server::accept::Accept;
use tokio::net::TcpStream;
use tracing::debug;

/// See the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct FirstByteAcceptor {
    timeout: Duration,
}

impl FirstByteAcceptor {
    pub fn new(timeout: Duration) -> Self {
        FirstByteAcceptor { timeout }
    }
}

impl<S: Send + 'static> Accept<TcpStream, S> for FirstByteAcceptor {
    type Stream = TcpStream;
    type Service = S;
    type Future = Pin<Box<dyn Future<Output = io::Result<(TcpStream, S)>> + Send>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let timeout = self.timeout;
        Box::pin(async move {
            // Chat frames are small and latency-bound; with Nagle's algorithm a push
            // right after another one can wait for the client's delayed ACK (~40 ms).
            stream.set_nodelay(true)?;
            let mut first = [0u8; 1];
            match tokio::time::timeout(timeout, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => Ok((stream, service)),
                Ok(Ok(_)) => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "closed before sending anything",
                )),
                Ok(Err(e)) => Err(e),
                Err(_) => {
                    debug!(peer = ?stream.peer_addr().ok(), "dropped a connection that sent nothing");
                    Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "nothing was sent within the header-read timeout",
                    ))
                }
            }
        })
    }
}
