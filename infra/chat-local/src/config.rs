//! [`GatewayConfig`]: what `chat-local serve` is told on its command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chat_wiring::Settings;

use crate::backend::BackendChoice;

/// Data folder used when `--data-dir` is not given.
pub const DEFAULT_DATA_DIR: &str = ".chat-data";
/// Default listen address (PROTOCOL §0).
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Largest WebSocket message the socket itself accepts. Far above the protocol's
/// 32 KiB frame limit on purpose: an oversized frame must reach the handler, which
/// answers `payload_too_large` and keeps the connection, instead of the socket layer
/// dropping the connection.
pub const MAX_SOCKET_MESSAGE_BYTES: usize = 1024 * 1024;
/// How long a client may take to send a request's headers, counted from when the
/// server starts waiting for them (a new connection, or the next request on a kept-alive
/// one). A slowloris client trickling headers, or one that connects and says nothing,
/// is cut off after this instead of holding a connection forever. (TLS handshakes have
/// their own 10 s limit in the acceptor.)
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How to run the gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Where to listen; port `0` picks a free one (see `RunningGateway::local_addr`).
    pub addr: SocketAddr,
    /// SQLite file, blobs, signing secret and management key live here.
    pub data_dir: PathBuf,
    /// Seed the PROTOCOL §0 demo accounts (if absent).
    pub demo: bool,
    /// The core's settings, already merged (flags over environment over defaults, see
    /// `cli`). A missing signing secret is taken from (or created in) the data folder;
    /// the gateway's own localhost origins are always added to `allowed_origins`.
    pub settings: Settings,
    /// PEM certificate chain and private key: serve `https://` and `wss://`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Where state lives: the embedded store (default) or the AWS adapters.
    pub backend: BackendChoice,
    /// Send events to Lambda functions instead of running the handlers in-process.
    pub lambda: Option<LambdaMode>,
    /// The Management API key; `None` keeps (or creates) `<data-dir>/management.key`.
    pub management_key: Option<String>,
    /// Slow-client limit on request headers (default [`DEFAULT_HEADER_READ_TIMEOUT`]).
    pub header_read_timeout: Duration,
    /// The origin clients reach this gateway at (`CHAT_PUBLIC_URL`), for the URLs it
    /// hands out (file uploads and downloads); `None`: its own listening address.
    pub public_url: Option<String>,
}

/// The local Lambda mode (`--lambda-endpoint`): the functions run as separate
/// processes under `cargo lambda watch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaMode {
    /// The Lambda Invoke API's base URL (`cargo lambda watch`: `http://127.0.0.1:9000`).
    pub endpoint: String,
    /// A second listener serving only the Management API, at an address the functions
    /// can be told before the gateway starts (`CHAT_WS_MANAGEMENT_ENDPOINT`); `None`
    /// serves it on the main address only.
    pub management_addr: Option<SocketAddr>,
}

impl GatewayConfig {
    /// Defaults: no demo accounts, the settings' defaults (20 actions/s, only the local
    /// origins, 24 h invites), no TLS, embedded storage, handlers in-process.
    pub fn new(addr: SocketAddr, data_dir: PathBuf) -> Self {
        GatewayConfig {
            addr,
            data_dir,
            demo: false,
            settings: Settings::default(),
            tls: None,
            backend: BackendChoice::default(),
            lambda: None,
            management_key: None,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            public_url: None,
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
        assert_eq!((c.demo, c.settings.rate_limit), (false, 20));
    }
}
