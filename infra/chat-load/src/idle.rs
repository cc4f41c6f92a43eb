//! `--scenario idle`: the gateway's memory per open, idle, authenticated WebSocket.
//!
//! Logs the users in and opens the planned connections (`--rooms` ×
//! `--members-per-room` users × `--connections-per-user`; no rooms are created and
//! nothing is sent) in three steps: a few warm-up sockets, then half of the rest, then
//! the other half, reading the gateway's resident memory (`VmRSS` of `--gateway-pid`)
//! after each once it has settled. The cost of one socket is the growth over the
//! *last* half divided by its sockets: the first sockets reuse memory the gateway had
//! already freed (an argon2 login hash alone is 19 MiB), so the growth from the start
//! under-counts them; the last half's growth is the marginal cost. FAILs when a socket
//! closed early or that cost exceeds `--max-idle-socket-bytes`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cli::Args;
use crate::conn::{Conn, Handler, Health, Incoming, Writes};
use crate::setup;

/// Sockets opened before the first memory reading.
const WARM_UP: usize = 20;
/// Time for the gateway to finish `$connect` bookkeeping and return freed memory.
const SETTLE: Duration = Duration::from_secs(3);

struct Ignore;

impl Handler for Ignore {
    type Stats = ();
    fn frame(&mut self, _frame: Incoming<'_>, _text: &str, health: &mut Health) {
        health.other_frames += 1;
    }
    fn into_stats(self) {}
}

struct NoWrites;

impl Writes for NoWrites {
    fn stamp(&self, _idx: usize) {}
    fn write_failed(&self) {}
}

/// Resident set size of `pid`, bytes.
fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let kb: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmRSS in {path}"))?;
    Ok(kb * 1024)
}

pub async fn run(args: Args) -> anyhow::Result<bool> {
    args.validate()?;
    let pid = args
        .gateway_pid
        .context("--scenario idle needs --gateway-pid to read the gateway's memory")?;
    let (client, base) = setup::client(&args).await?;
    let (plan, by_index) = setup::users_and_plan(&args, &client, &base, "idle sockets").await?;
    let total = plan.connections();
    if total <= WARM_UP {
        bail!("--scenario idle needs more than {WARM_UP} connections, planned {total}");
    }
    let writes: Arc<dyn Writes> = Arc::new(NoWrites);
    let handler = |_| Ignore;
    // The warm-up sockets are the plan's first ones; the rest are opened afterwards.
    let mut warm_plan = (*plan).clone();
    warm_plan.conn_user.truncate(WARM_UP);
    let warm =
        setup::connect_all(&args, &warm_plan, &by_index, Arc::clone(&writes), handler).await?;
    tokio::time::sleep(SETTLE).await;
    let before = rss_bytes(pid)?;
    let rest: Vec<usize> = plan.conn_user[WARM_UP..].to_vec();
    let (first_half, second_half) = rest.split_at(rest.len() / 2);
    let mut half_plan = (*plan).clone();
    half_plan.conn_user = first_half.to_vec();
    let first =
        setup::connect_all(&args, &half_plan, &by_index, Arc::clone(&writes), handler).await?;
    tokio::time::sleep(SETTLE).await;
    let middle = rss_bytes(pid)?;
    half_plan.conn_user = second_half.to_vec();
    let second = setup::connect_all(&args, &half_plan, &by_index, writes, handler).await?;
    tokio::time::sleep(SETTLE).await;
    let after = rss_bytes(pid)?;
    let (n_first, n_second) = (first.len(), second.len());
    let opened = n_first + n_second;
    let overall = after.saturating_sub(before) as f64 / opened as f64;
    let per_socket = after.saturating_sub(middle) as f64 / n_second.max(1) as f64;

    let timeout = args.request_timeout();
    let mut closed_early = 0;
    let finished = futures::future::join_all(
        warm.into_iter()
            .chain(first)
            .chain(second)
            .map(|c: Conn<()>| c.finish(timeout)),
    )
    .await;
    for f in &finished {
        if f.health.closed_early.is_some() {
            closed_early += 1;
        }
    }
    let mib = |b: u64| b as f64 / 1048576.0;
    println!(
        "== chat-load {} (idle sockets) ==\ngateway RSS {:.1} MiB with {WARM_UP} sockets, {:.1} MiB with {}, {:.1} MiB with {}\nper idle socket: {per_socket:.0} bytes ({:.1} KiB) over the last {} (marginal); {overall:.0} bytes over all {opened}",
        args.label,
        mib(before),
        mib(middle),
        WARM_UP + n_first,
        mib(after),
        opened + WARM_UP,
        per_socket / 1024.0,
        n_second,
    );
    let limit = args.max_idle_socket_bytes as f64;
    let pass = closed_early == 0 && per_socket <= limit;
    if pass {
        println!(
            "PASS {}: {opened} idle sockets cost {per_socket:.0} bytes each (limit {limit:.0})",
            args.label
        );
    } else {
        println!(
            "FAIL {}: {per_socket:.0} bytes per idle socket (limit {limit:.0}); {closed_early} socket(s) closed early",
            args.label
        );
    }
    println!(
        "TABLE_ROW: | {} | {} | {:.1} | {:.1} | {:.1} | {per_socket:.0} | {overall:.0} | {} |",
        args.label,
        opened + WARM_UP,
        mib(before),
        mib(middle),
        mib(after),
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}
