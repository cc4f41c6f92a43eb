//! [`GatewayConfig`]: what `chat-local serve` is told on its command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::Duration;

use crate::backend::BackendChoice;

/// Data folder used when `--data-dir` is not given.
pub const DEFAULT_DATA_DIR: &str = ".chat-data";
/// Default listen address (PROTOCOL §0).
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// PROTOCOL §5 default: 20 actions/s per connection, burst 40.
pub const DEFAULT_RATE_LIMIT: u32 = 20;
/// Largest WebSocket message the socket itself accepts. Far above the protocol's
/// 32 KiB frame limit on purpose: an oversized frame must reach the handler, which
/// answers `payload_too_large` and keeps the connection, instead of the socket layer
/// dropping the connection.
pub const MAX_SOCKET_MESSAGE_BYTES: usize = 1024 * 1024;

/// How to run the gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Where to listen; port `0` picks a free one (see `RunningGateway::local_addr`).
    pub addr: SocketAddr,
    /// SQLite file, blobs, signing secret and management key live here.
    pub data_dir: PathBuf,
    /// Seed the PROTOCOL §0 demo accounts (if absent).
    pub demo: bool,
    /// Actions per second per connection, burst twice that; `0` = off.
    pub rate_limit: u32,
    /// Browser origins allowed on `/ws` besides `http://localhost:<port>` and
    /// `http://127.0.0.1:<port>`, which are always allowed.
    pub allowed_origins: Vec<String>,
    /// PEM certificate chain and private key: serve `https://` and `wss://`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Lifetime of guest invite codes; `None` keeps the environment's
    /// (`CHAT_INVITE_TTL_SECONDS`, default 24 h). Tests set a short one to see codes expire.
    pub invite_ttl: Option<Duration>,
    /// Where state lives: the embedded store (default) or the AWS adapters.
    pub backend: BackendChoice,
}

impl GatewayConfig {
    /// Defaults: no demo accounts, 20 actions/s, only the local origins, no TLS, the
    /// environment's invite lifetime.
    pub fn new(addr: SocketAddr, data_dir: PathBuf) -> Self {
        GatewayConfig {
            addr,
            data_dir,
            demo: false,
            rate_limit: DEFAULT_RATE_LIMIT,
            allowed_origins: Vec::new(),
            tls: None,
            invite_ttl: None,
            backend: BackendChoice::default(),
        }
    }

    /// The origins a browser page served by this gateway would send.
    pub(crate) fn default_origins(&self, port: u16) -> Vec<String> {
        let mut schemes = vec!["http"];
        if self.tls.is_some() {
            schemes.push("https");
        }
        schemes
            .into_iter()
            .flat_map(|s| {
                [
                    format!("{s}://localhost:{port}"),
                    format!("{s}://127.0.0.1:{port}"),
                ]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_origins_follow_the_port_and_scheme() {
        let mut c = GatewayConfig::new("127.0.0.1:0".parse().unwrap(), PathBuf::from("x"));
        assert_eq!(
            c.default_origins(9000),
            vec!["http://localhost:9000", "http://127.0.0.1:9000"]
        );
        c.tls = Some((PathBuf::from("c"), PathBuf::from("k")));
        assert!(
            c.default_origins(9000)
                .contains(&"https://localhost:9000".to_string())
        );
        assert_eq!((c.demo, c.rate_limit), (false, 20));
    }
}
