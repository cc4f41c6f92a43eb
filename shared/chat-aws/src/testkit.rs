//! A moto server on loopback, for tests of the AWS adapters (feature `testkit`).
//!
//! One server per test process, started on first use on a free port, by
//! `tests/moto/serve.py` (moto with DynamoDB requests serialized). It is started
//! through a small shell guard that kills it when this process's end of a pipe closes,
//! so a test binary that exits (or is killed) never leaves a server behind.
//!
//! Set `CHAT_TEST_AWS_ENDPOINT` to use servers that are already running instead: one
//! URL, or a comma-separated list. With a list, a test run by cargo-nextest uses the
//! server at its slot (`NEXTEST_TEST_GLOBAL_SLOT`, modulo the list's length), so
//! `tests/run-all.sh` starts one server per test thread and each process skips
//! moto's start-up (about a second of CPU) without sharing one Python interpreter with
//! the test running beside it. Without either, the tests fail with a message saying how
//! to install moto: AWS code that is not exercised is not tested.
//!
//! Every test gets its own resource names ([`unique_target`]) so tests can share one
//! server in parallel.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};

use crate::clients::{AwsClients, AwsTarget};

/// The variable naming an already running emulator.
pub const ENDPOINT_VAR: &str = "CHAT_TEST_AWS_ENDPOINT";
/// The region every test uses.
pub const REGION: &str = "us-east-1";

/// The launcher that serializes DynamoDB requests (see the script for why plain
/// `moto_server` is not used).
const SERVE_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/moto/serve.py");

struct Server {
    endpoint: String,
    // Held so the guard's stdin stays open for the life of the process.
    _guard: Option<Child>,
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The emulator's URL, starting one if needed.
pub fn endpoint() -> String {
    SERVER.get_or_init(start).endpoint.clone()
}

fn start() -> Server {
    // Fixed, fake credentials: moto accepts any, and nothing must reach real AWS.
    // SAFETY (edition 2024 `set_var`): set once, before any client reads them, from the
    // one-time initialiser.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", REGION);
    }
    if let Ok(urls) = std::env::var(ENDPOINT_VAR) {
        let slot = std::env::var("NEXTEST_TEST_GLOBAL_SLOT").ok();
        if let Some(url) = pick_endpoint(&urls, slot.as_deref()) {
            return Server {
                endpoint: url,
                _guard: None,
            };
        }
    }
    let port = free_port();
    // `cat` returns when our end of its stdin closes (this process exited), then the
    // guard kills the server.
    let script = format!(
        "python3 '{SERVE_SCRIPT}' {port} >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid 2>/dev/null"
    );
    let guard = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start sh for moto_server: {e}"));
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_until_up(addr);
    Server {
        endpoint: format!("http://{addr}"),
        _guard: Some(guard),
    }
}

/// The server for this test from `CHAT_TEST_AWS_ENDPOINT`'s comma-separated `urls`:
/// the one at `slot` (cargo-nextest's global slot, which two tests running at the same
/// time never share) modulo the count, else the first. `None` if the list is empty.
fn pick_endpoint(urls: &str, slot: Option<&str>) -> Option<String> {
    let urls: Vec<&str> = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    if urls.is_empty() {
        return None;
    }
    let slot: usize = slot.and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    Some(urls[slot % urls.len()].trim_end_matches('/').to_string())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local addr").port()
}

fn wait_until_up(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            use std::io::Write;
            let _ = s.write_all(b"GET /moto-api/ HTTP/1.0\r\n\r\n");
            let mut buf = [0u8; 12];
            if s.read(&mut buf).map(|n| n > 0).unwrap_or(false) {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "moto did not answer on {addr} within 30 s ({SERVE_SCRIPT}). Install it with \
         `pip install 'moto[server]'` (tests/run-all.sh does), or point {ENDPOINT_VAR} at a \
         running emulator."
    );
}

/// Resource names unique to one test, on the shared emulator. `management_endpoint`
/// is the emulator too (moto serves the API Gateway Management API).
pub fn unique_target(label: &str) -> AwsTarget {
    let endpoint = endpoint();
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    let name = format!("{label}-{suffix}");
    AwsTarget {
        region: REGION.to_string(),
        endpoint: Some(endpoint.clone()),
        table: name.clone(),
        queue_url: format!("{endpoint}/123456789012/{name}"),
        bucket: name,
        management_endpoint: Some(endpoint),
        management_key: None,
    }
}

/// Clients for `target` with fixed test credentials.
pub async fn clients(target: AwsTarget) -> AwsClients {
    let _ = endpoint(); // sets the credentials before any client is built
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(target.endpoint.clone().unwrap_or_default())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "chat-aws-testkit",
        ))
        .http_client(crate::clients::http_client())
        .load()
        .await;
    AwsClients::from_sdk_config(target, &sdk)
}

#[cfg(test)]
mod tests {
    use super::pick_endpoint;

    #[test]
    fn each_nextest_slot_gets_its_own_server_from_the_list() {
        let urls = "http://127.0.0.1:1, http://127.0.0.1:2/";
        assert_eq!(
            pick_endpoint(urls, Some("0")).as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(
            pick_endpoint(urls, Some("1")).as_deref(),
            Some("http://127.0.0.1:2")
        );
        // More slots than servers wrap around; no slot (plain cargo test) is the first.
        assert_eq!(
            pick_endpoint(urls, Some("3")).as_deref(),
            Some("http://127.0.0.1:2")
        );
        assert_eq!(
            pick_endpoint(urls, None).as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(
            pick_endpoint("http://127.0.0.1:9", Some("5")).as_deref(),
            Some("http://127.0.0.1:9")
        );
    }

    #[test]
    fn an_empty_list_starts_a_server_instead() {
        assert_eq!(pick_endpoint("", Some("0")), None);
        assert_eq!(pick_endpoint(" , ", None), None);
    }
}
