//! The floor client: the standard scenario's sockets (120, of which 20 send, every
//! socket receiving every message), an open-loop pacer like `chat-load`'s, a parse of
//! every frame, and send → receive latency, loss and duplicate checks.

use std::time::Duration;

use anyhow::{Context, bail};
use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// The floor server's WebSocket URL, `ws://ADDR/ws`.
    #[arg(long)]
    url: String,
    /// Sockets to open; each receives every message.
    #[arg(long, default_value_t = 120)]
    sockets: usize,
    /// Of those, how many send (round-robin).
    #[arg(long, default_value_t = 20)]
    senders: usize,
    /// Offered messages per second.
    #[arg(long, default_value_t = 2500.0)]
    rate: f64,
    /// Seconds of offered load.
    #[arg(long, default_value_t = 8.0)]
    seconds: f64,
    /// The server's pid, to report its CPU next to this process's.
    #[arg(long)]
    server_pid: Option<u32>,
    /// After the last send, how long to wait for every delivery.
    #[arg(long, default_value_t = 20.0)]
    drain_seconds: f64,
}

/// The fields of a server frame the client reads, borrowed from the text.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    message: Option<Stamp>,
}

#[derive(Deserialize)]
struct Stamp {
    seq: u64,
    t: u64,
}

/// What one socket's reader saw.
#[derive(Default)]
struct Seen {
    latencies_ns: Vec<u64>,
    duplicates: u64,
    replies: u64,
    missing: u64,
    last_at_ns: u64,
}

pub async fn run(args: ClientArgs) -> anyhow::Result<bool> {
    if args.senders == 0 || args.senders > args.sockets || args.rate <= 0.0 {
        bail!("need 1 ≤ --senders ≤ --sockets and a positive --rate");
    }
    // Like chat-load, a load tool that only ever aims at this machine.
    if !loopback_ws_url(&args.url) {
        bail!("--url {:?} must be ws:// on loopback", args.url);
    }
    let messages = (args.rate * args.seconds).round() as usize;
    let base = Instant::now();
    let mut sinks = Vec::with_capacity(args.senders);
    let mut readers = Vec::with_capacity(args.sockets);
    for s in 0..args.sockets {
        let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(&args.url, Some(config), true)
                .await
                .with_context(|| format!("cannot open socket {s} at {}", args.url))?;
        let (sink, stream) = socket.split();
        let sends = if s < args.senders {
            sinks.push(sink);
            messages / args.senders + usize::from(s < messages % args.senders)
        } else {
            drop(sink);
            0
        };
        let deadline =
            base + Duration::from_secs_f64(args.seconds * 4.0 + args.drain_seconds + 10.0);
        readers.push(tokio::spawn(read_socket(
            stream, base, messages, sends, deadline,
        )));
    }
    // Every socket is open; the load window starts now.
    let cpu_before = (args.server_pid.map(cpu_seconds_of), cpu_seconds_of_self());
    let started = Instant::now();
    let first_send_ns = started.duration_since(base).as_nanos() as u64;
    pace(&mut sinks, base, started, messages, args.rate).await?;
    let sent_for = started.elapsed();
    let mut all = Seen::default();
    for reader in readers {
        let seen = reader.await.context("a reader task failed")?;
        all.latencies_ns.extend(seen.latencies_ns);
        all.duplicates += seen.duplicates;
        all.replies += seen.replies;
        all.missing += seen.missing;
        all.last_at_ns = all.last_at_ns.max(seen.last_at_ns);
    }
    let cpu_after = (args.server_pid.map(cpu_seconds_of), cpu_seconds_of_self());
    let busy = Duration::from_nanos(all.last_at_ns.saturating_sub(first_send_ns)).as_secs_f64();
    for mut sink in sinks {
        let _ = sink.close().await;
    }

    let deliveries = all.latencies_ns.len();
    let mut latencies = all.latencies_ns;
    latencies.sort_unstable();
    let server_cores = match (cpu_before.0, cpu_after.0) {
        (Some(Ok(a)), Some(Ok(b))) => format!("{:.2}", (b - a) / busy.max(1e-9)),
        _ => "-".into(),
    };
    let client_cores = match (cpu_before.1, cpu_after.1) {
        (Ok(a), Ok(b)) => format!("{:.2}", (b - a) / busy.max(1e-9)),
        _ => "-".into(),
    };
    let ok = all.missing == 0 && all.duplicates == 0 && all.replies == messages as u64;
    println!(
        "FLOOR_ROW: offered {:.0} msg/s | sent in {:.2} s | achieved {:.0} msg/s, {:.0} deliveries/s | latency ms p50 {} p90 {} p99 {} max {} | server CPU {} | client CPU {} | missing {} duplicates {} replies {}/{} | {}",
        args.rate,
        sent_for.as_secs_f64(),
        messages as f64 / busy.max(1e-9),
        deliveries as f64 / busy.max(1e-9),
        ms(rank(&latencies, 0.50)),
        ms(rank(&latencies, 0.90)),
        ms(rank(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or(0)),
        server_cores,
        client_cores,
        all.missing,
        all.duplicates,
        all.replies,
        messages,
        if ok { "PASS" } else { "FAIL" }
    );
    Ok(ok)
}

/// Sends message `k` at `started + k / rate` (open loop: a slow server shows up as
/// latency, not as a lower offered rate), round-robin over the sender sockets.
async fn pace(
    sinks: &mut [SplitSink<Socket, Message>],
    base: Instant,
    started: Instant,
    messages: usize,
    rate: f64,
) -> anyhow::Result<()> {
    for k in 0..messages {
        let due = started + Duration::from_secs_f64(k as f64 / rate);
        if Instant::now() < due {
            tokio::time::sleep_until(due).await;
        }
        let t = base.elapsed().as_nanos() as u64;
        let sink = &mut sinks[k % sinks.len()];
        sink.send(Message::text(format!(r#"{{"t":{t},"i":{k}}}"#)))
            .await
            .context("a send failed")?;
    }
    Ok(())
}

/// Reads one socket until it has every message and the replies to its own sends, or
/// the deadline passes.
async fn read_socket(
    mut stream: futures::stream::SplitStream<Socket>,
    base: Instant,
    messages: usize,
    sends: usize,
    deadline: Instant,
) -> Seen {
    let mut seen = Seen::default();
    let mut got = vec![false; messages];
    let mut events = 0usize;
    while events < messages || (seen.replies as usize) < sends {
        let frame = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => text,
            Ok(Some(Ok(_))) => continue,
            _ => break,
        };
        let now = base.elapsed().as_nanos() as u64;
        let Ok(frame) = serde_json::from_str::<Frame<'_>>(frame.as_str()) else {
            continue;
        };
        match (frame.kind, frame.message) {
            ("message.created", Some(stamp)) => {
                let Some(slot) = got.get_mut(stamp.seq as usize) else {
                    continue;
                };
                if std::mem::replace(slot, true) {
                    seen.duplicates += 1;
                    continue;
                }
                events += 1;
                seen.latencies_ns.push(now.saturating_sub(stamp.t));
                seen.last_at_ns = seen.last_at_ns.max(now);
            }
            ("reply", _) => {
                seen.replies += 1;
                seen.last_at_ns = seen.last_at_ns.max(now);
            }
            _ => {}
        }
    }
    seen.missing = (messages - events) as u64;
    seen
}

/// `ws://` to 127.0.0.0/8, `[::1]` or `localhost`.
fn loopback_ws_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("ws://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Nearest-rank percentile of ascending samples (0 for none).
fn rank(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let at = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[at - 1]
}

fn ms(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1e6)
}

/// utime + stime of a process from `/proc/<pid>/stat` (fields 14 and 15, counted after
/// the command name's closing parenthesis), in seconds.
fn cpu_seconds_of(pid: u32) -> anyhow::Result<f64> {
    proc_cpu(&format!("/proc/{pid}/stat"))
}

fn cpu_seconds_of_self() -> anyhow::Result<f64> {
    proc_cpu("/proc/self/stat")
}

fn proc_cpu(path: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let ticks: Vec<u64> = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    match ticks.as_slice() {
        // USER_HZ is 100 on Linux.
        [user, system] => Ok((user + system) as f64 / 100.0),
        _ => bail!("cannot parse {path}"),
    }
}
