//! Command-line flags and their validation.
//!
//! The tool is a load generator, so the one thing it must never do is aim at a host it
//! was not meant for: only loopback URLs are accepted (see [`Args::validate`]).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

/// Black-box load against a chat-local gateway: rooms × members × connections,
/// `message.send` (or `robot.ask`, `--scenario robots`) at a target rate, latency
/// percentiles, throughput and a correctness check. Exits non-zero on FAIL.
#[derive(Debug, Clone, Parser)]
#[command(name = "chat-load", version)]
pub struct Args {
    /// What to load: `send` = `message.send` with an exactly-once / gapless-seq check;
    /// `robots` = `robot.ask` to --robot, timing the streamed answers (--messages asks);
    /// `files` = upload + complete of --messages files per --file-sizes, one at a time;
    /// `idle` = the gateway's memory per open idle socket (needs --gateway-pid).
    #[arg(long, value_enum, default_value_t = Scenario::Send)]
    pub scenario: Scenario,
    /// Robot asked by `--scenario robots`; invited once into every room.
    #[arg(long, default_value = "iStackBuddy.stream.jokes")]
    pub robot: String,
    /// `--scenario robots` target: p99 of ask → first `message.delta`, ms (0 = not
    /// checked, for runs that saturate the worker on purpose).
    #[arg(long, default_value_t = 100.0)]
    pub first_delta_p99_ms: f64,
    /// `--scenario robots` target: most pushes (deltas + final update) one answer may
    /// cost one connection.
    #[arg(long, default_value_t = 20)]
    pub max_pushes_per_answer: u32,
    /// `--scenario idle`: most gateway memory (bytes of RSS) one idle socket may cost.
    #[arg(long, default_value_t = 20 * 1024)]
    pub max_idle_socket_bytes: u64,
    /// `--scenario forms`: the Formstack form export to upload and ask about.
    #[arg(long)]
    pub form_file: Option<PathBuf>,
    /// `--scenario files`: file sizes in bytes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000000,10000000")]
    pub file_sizes: Vec<usize>,
    /// Gateway base URL (loopback only): HTTP routes here, WebSocket at `<url>/ws`.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Existing employee accounts to use; each one's password is `<name>-pass`
    /// (the `--demo` convention) unless --password is given.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "alice,bob,carol,sam,admin"
    )]
    pub users: Vec<String>,
    /// Password for every --users account (default: `<name>-pass`).
    #[arg(long)]
    pub password: Option<String>,
    /// Instead of --users, add N employees `<user-prefix>1..N` (password `<name>-pass`)
    /// with `chat-local users add` before starting; needs --data-dir.
    #[arg(long, requires = "data_dir")]
    pub create_users: Option<usize>,
    /// Data folder of the running gateway (for --create-users).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Name prefix of --create-users accounts.
    #[arg(long, default_value = "load")]
    pub user_prefix: String,
    /// The chat-local binary for --create-users (default: next to this binary, else PATH).
    #[arg(long)]
    pub chat_local_bin: Option<PathBuf>,
    /// Rooms to create.
    #[arg(long, default_value_t = 1)]
    pub rooms: usize,
    /// Members per room (distinct users; needs at least this many users).
    #[arg(long, default_value_t = 2)]
    pub members_per_room: usize,
    /// WebSocket connections per user (each receives all of that user's rooms).
    #[arg(long, default_value_t = 1)]
    pub connections_per_user: usize,
    /// Of each user's connections, how many send (its last ones); the others only
    /// receive. Default: all of them.
    #[arg(long)]
    pub sender_conns_per_user: Option<usize>,
    /// A named shape that overrides --rooms, --members-per-room,
    /// --connections-per-user and --sender-conns-per-user (see [`Preset`]).
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Messages (robot asks with --scenario robots) to send in total, round-robin over
    /// rooms and member connections.
    #[arg(long, default_value_t = 1000)]
    pub messages: usize,
    /// Target send rate, messages/s over all senders (0 = as fast as --max-in-flight allows).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Upper bound on the send phase, seconds; unsent messages are reported, not failed.
    #[arg(long, default_value_t = 60.0)]
    pub duration: f64,
    /// Most messages awaiting their reply at once; the pacer waits beyond this, so an
    /// overloaded gateway shows up as a lower achieved rate instead of unbounded queues.
    #[arg(long, default_value_t = 2000)]
    pub max_in_flight: usize,
    /// Bytes of text per message.
    #[arg(long, default_value_t = 100)]
    pub text_bytes: usize,
    /// Timeout for each HTTP call, WebSocket handshake and setup/history request, seconds.
    #[arg(long, default_value_t = 15.0)]
    pub request_timeout: f64,
    /// After sending stops, how long to wait for outstanding replies and deliveries, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub drain_timeout: f64,
    /// Seconds between progress lines.
    #[arg(long, default_value_t = 2.0)]
    pub progress_every: f64,
    /// PID of the gateway process (same machine): report its CPU use during the load
    /// window next to this tool's, to show which side limits throughput.
    #[arg(long)]
    pub gateway_pid: Option<u32>,
    /// Threads of the tool's own runtime (default: one per core). On a machine shared
    /// with the gateway, fewer threads leave the gateway more of the cores and fewer
    /// cross-thread wake-ups.
    #[arg(long)]
    pub worker_threads: Option<usize>,
    /// Name of this scenario in the final `TABLE_ROW:` line.
    #[arg(long, default_value = "run")]
    pub label: String,
}

/// Named scenario shapes, so a benchmark row means the same load every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// Issue 17's shape: 20 group rooms each holding the 5 demo employees; 20
    /// receive-only sockets per employee plus 20 sender sockets (4 per employee), so
    /// every message is 120 deliveries (the sender's own socket included).
    Standard,
}

/// The load a run applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    Send,
    Robots,
    Files,
    Forms,
    Idle,
}

impl Args {
    /// Replaces the shape flags with the preset's, if one was given.
    pub fn apply_preset(&mut self) {
        match self.preset {
            Some(Preset::Standard) => {
                self.rooms = 20;
                self.members_per_room = 5;
                self.connections_per_user = 24;
                self.sender_conns_per_user = Some(4);
            }
            None => {}
        }
    }

    /// Checks ranges and that the URL is plain HTTP on loopback.
    pub fn validate(&self) -> anyhow::Result<()> {
        loopback_base(&self.url)?;
        if self.rooms == 0 || self.members_per_room == 0 || self.connections_per_user == 0 {
            bail!("--rooms, --members-per-room and --connections-per-user must be at least 1");
        }
        if self.messages == 0 {
            bail!("--messages must be at least 1");
        }
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            bail!("--rate must be a non-negative number");
        }
        for (name, v) in [
            ("--duration", self.duration),
            ("--request-timeout", self.request_timeout),
            ("--drain-timeout", self.drain_timeout),
            ("--progress-every", self.progress_every),
        ] {
            // Every wait in the tool is bounded by one of these, so none may be infinite.
            if !(v > 0.0 && v <= 86_400.0) {
                bail!("{name} must be between 0 and 86400 seconds");
            }
        }
        if self.max_in_flight == 0 {
            bail!("--max-in-flight must be at least 1");
        }
        if self.text_bytes == 0 || self.text_bytes > 16 * 1024 {
            bail!("--text-bytes must be 1..=16384 (PROTOCOL §5 text limit)");
        }
        if self.robot.is_empty() {
            bail!("--robot must name a robot");
        }
        if !(self.first_delta_p99_ms >= 0.0 && self.first_delta_p99_ms.is_finite()) {
            bail!("--first-delta-p99-ms must be a non-negative number");
        }
        if self
            .file_sizes
            .iter()
            .any(|&s| s == 0 || s > 25 * 1024 * 1024)
        {
            bail!("--file-sizes must be 1..=26214400 bytes (the conversation class limit)");
        }
        if self.create_users == Some(0) {
            bail!("--create-users must be at least 1");
        }
        Ok(())
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.request_timeout)
    }
}

/// `http://host:port` without a trailing slash, if the host is loopback.
pub fn loopback_base(url: &str) -> anyhow::Result<String> {
    let rest = url.strip_prefix("http://").with_context(|| {
        format!("--url {url:?} must start with http:// (plain HTTP on loopback)")
    })?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || rest.trim_end_matches('/') != authority {
        bail!("--url {url:?} must be just http://host:port, without a path");
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        bail!("--url host {host:?} is not loopback: chat-load only targets this machine");
    }
    Ok(format!("http://{authority}"))
}

/// The WebSocket endpoint for a base URL from [`loopback_base`].
pub fn ws_url(base: &str) -> String {
    format!("ws://{}/ws", base.trim_start_matches("http://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_urls_are_accepted() {
        assert_eq!(
            loopback_base("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            loopback_base("http://localhost:9/").unwrap(),
            "http://localhost:9"
        );
        assert_eq!(loopback_base("http://[::1]:9").unwrap(), "http://[::1]:9");
        assert!(loopback_base("http://127.8.9.1:1").is_ok());
        assert!(loopback_base("http://10.0.0.1:8080").is_err());
        assert!(loopback_base("http://example.com").is_err());
        assert!(loopback_base("https://127.0.0.1:8080").is_err());
        assert!(loopback_base("http://127.0.0.1:8080/x").is_err());
        assert_eq!(ws_url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/ws");
    }
}
