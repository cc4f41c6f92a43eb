//! The scenario, phase by phase: users → connections → rooms → paced sends → drain →
//! history check → close → report. Every wait has a deadline from the flags.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

use crate::cli::Args;
use crate::conn::{Conn, Finished, Writes};
use crate::cpu::CpuSample;
use crate::plan::Plan;
use crate::report::{Report, RoomCheck};
use crate::send_track::{ConnStats, REFUSED, SendHandler, Tracker};
use crate::setup;
use crate::stats::check_seqs;

/// `history.get` page size: the protocol's maximum.
const HISTORY_PAGE: usize = 200;
/// After every count matched, wait this long so a late duplicate is still seen.
const DUPLICATE_GRACE: Duration = Duration::from_millis(300);

/// Runs the scenario; `Ok(true)` = PASS.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    args.validate()?;
    let timeout = args.request_timeout();
    let (client, base) = setup::client(&args).await?;

    let (plan, by_index) = setup::users_and_plan(
        &args,
        &client,
        &base,
        &format!("{} messages", args.messages),
    )
    .await?;
    let run_id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    let tracker = Arc::new(Tracker::new(
        Arc::clone(&plan),
        format!("ld-{run_id:x}-"),
        args.messages,
    ));
    let writes: Arc<dyn Writes> = tracker.clone();
    let conns = setup::connect_all(&args, &plan, &by_index, writes, |c| {
        SendHandler::new(c, Arc::clone(&tracker))
    })
    .await?;
    let room_ids = setup::create_rooms(&args, &plan, &by_index, &conns, &[]).await?;
    tracker
        .room_ids
        .set(room_ids.clone())
        .map_err(|_| anyhow!("room ids were set twice"))?;

    let gateway_before = args.gateway_pid.map(CpuSample::of_pid).transpose()?;
    let self_before = CpuSample::of_self()?;
    let sent = send_all(&args, &plan, &tracker, &conns, &room_ids).await;
    let drained = drain(&args, &plan, &tracker, sent).await;
    let cpu_window = (
        gateway_before.zip(args.gateway_pid.map(CpuSample::of_pid).transpose()?),
        (self_before, CpuSample::of_self()?),
    );

    let mut checks = Vec::with_capacity(plan.rooms);
    for (r, room_id) in room_ids.iter().enumerate() {
        let reader = &conns[plan.user_conns[plan.room_members[r][0]][0]];
        let check = check_history(reader, room_id, r, &tracker, sent, timeout)
            .await
            .unwrap_or_else(|e| RoomCheck::failed(r, format!("{e:#}")));
        checks.push(check);
    }
    println!("history checked in {}/{} rooms", checks.len(), plan.rooms);

    let stats: Vec<Finished<ConnStats>> =
        futures::future::join_all(conns.into_iter().map(|c| c.finish(timeout))).await;
    let report = Report::build(
        &args, &plan, &tracker, sent, drained, stats, checks, cpu_window,
    );
    report.print();
    Ok(report.pass())
}

/// Open-loop pacing: message `i` is due at `start + i / rate`, whatever happened to
/// earlier ones, so a slow gateway shows as latency rather than a politely slower
/// client. Only `--max-in-flight` (unanswered sends) and `--duration` hold it back.
/// Returns how many messages were handed to their connections (indices `0..sent`).
async fn send_all(
    args: &Args,
    plan: &Plan,
    tracker: &Arc<Tracker>,
    conns: &[Conn<ConnStats>],
    room_ids: &[String],
) -> usize {
    let total = args.messages;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.duration);
    let sent = Arc::new(AtomicUsize::new(0));
    let progress = spawn_progress(args, plan, tracker, &sent, start);
    let padding = "x".repeat(args.text_bytes);
    let mut count = 0;
    'send: for idx in 0..total {
        if args.rate > 0.0 {
            let due = start + Duration::from_secs_f64(idx as f64 / args.rate);
            if due >= deadline {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
        }
        loop {
            let answered = (tracker.replies_ok.load(Ordering::Relaxed)
                + tracker.replies_err.load(Ordering::Relaxed)) as usize;
            if count - answered.min(count) < args.max_in_flight {
                break;
            }
            if Instant::now() >= deadline {
                break 'send;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if Instant::now() >= deadline {
            break;
        }
        let mut text = format!("m{idx} {padding}");
        text.truncate(args.text_bytes);
        let frame = json!({
            "action": "message.send",
            "requestId": format!("m{idx}"),
            "roomId": room_ids[plan.room_of(idx)],
            "clientMsgId": tracker.client_msg_id(idx),
            "text": text,
        })
        .to_string();
        if conns[plan.sender_conn(idx)].send_load(idx, frame).is_err() {
            // The writer is gone (socket failed); the report counts it via the missing
            // reply, so stop rather than pile up sends on dead sockets.
            tracker.write_errors.fetch_add(1, Ordering::Relaxed);
            break;
        }
        count += 1;
        sent.store(count, Ordering::Relaxed);
    }
    progress.abort();
    println!(
        "sent {count}/{total} in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    count
}

/// Prints a progress line every `--progress-every` seconds until aborted.
fn spawn_progress(
    args: &Args,
    plan: &Plan,
    tracker: &Arc<Tracker>,
    sent: &Arc<AtomicUsize>,
    start: Instant,
) -> tokio::task::JoinHandle<()> {
    let (tracker, sent) = (Arc::clone(tracker), Arc::clone(sent));
    let (total, per_message) = (args.messages, plan.deliveries_per_message());
    let every = Duration::from_secs_f64(args.progress_every);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at((Instant::now() + every).into(), every);
        loop {
            tick.tick().await;
            let s = sent.load(Ordering::Relaxed);
            println!(
                "[{:>6.1} s] sent {s}/{total}  replies {}  delivered {}/{}",
                start.elapsed().as_secs_f64(),
                tracker.replies_ok.load(Ordering::Relaxed)
                    + tracker.replies_err.load(Ordering::Relaxed),
                tracker.delivered.load(Ordering::Relaxed),
                s * per_message,
            );
        }
    })
}

/// Waits until every sent message has its reply and every accepted one all its
/// deliveries (a refused message has none), or the drain timeout passes. `true` when
/// everything arrived.
async fn drain(args: &Args, plan: &Plan, tracker: &Tracker, sent: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(args.drain_timeout);
    loop {
        let refused = tracker.replies_err.load(Ordering::Relaxed);
        let answered = tracker.replies_ok.load(Ordering::Relaxed) + refused;
        let expected = (sent as u64).saturating_sub(refused) * plan.deliveries_per_message() as u64;
        let delivered = tracker.delivered.load(Ordering::Relaxed);
        if answered >= sent as u64 && delivered >= expected {
            tokio::time::sleep(DUPLICATE_GRACE).await;
            return true;
        }
        if Instant::now() >= deadline {
            println!(
                "drain timed out after {} s: replies {answered}/{sent}, delivered {delivered}/{expected}",
                args.drain_timeout
            );
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Pages the room's whole history (`afterSeq`, 200 at a time) and checks it.
async fn check_history(
    conn: &Conn<ConnStats>,
    room_id: &str,
    room: usize,
    tracker: &Tracker,
    sent: usize,
    timeout: Duration,
) -> anyhow::Result<RoomCheck> {
    let plan = &tracker.plan;
    let mut seqs = Vec::new();
    // Seq at which each of our messages appears in history (0 = absent).
    let mut history_seq = vec![0u64; sent];
    let mut duplicates = 0usize;
    let mut after = 0u64;
    // Bounded even if the server kept saying hasMore: one page per 200 messages we
    // sent, plus room for system messages.
    let max_pages = sent / HISTORY_PAGE + 50;
    for _ in 0..max_pages {
        let data = conn
            .request(
                json!({"action": "history.get", "roomId": room_id, "afterSeq": after, "limit": HISTORY_PAGE}),
                timeout,
            )
            .await?;
        let messages = data
            .get("messages")
            .and_then(Value::as_array)
            .with_context(|| format!("history.get answer lacks messages: {data}"))?;
        for m in messages {
            let seq = m
                .get("seq")
                .and_then(Value::as_u64)
                .with_context(|| format!("message without seq: {m}"))?;
            seqs.push(seq);
            after = after.max(seq);
            if let Some(idx) = m
                .get("clientMsgId")
                .and_then(Value::as_str)
                .and_then(|c| tracker.index_of(c))
            {
                if idx >= sent || plan.room_of(idx) != room {
                    bail!("history of room {room} holds message {idx}, which was not sent there");
                }
                if history_seq[idx] != 0 {
                    duplicates += 1;
                }
                history_seq[idx] = seq;
            }
        }
        let has_more = data
            .get("hasMore")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !has_more {
            let mut check = RoomCheck {
                room,
                messages: seqs.len(),
                duplicates,
                ..RoomCheck::default()
            };
            check.seq_problems = check_seqs(&seqs).iter().map(ToString::to_string).collect();
            for idx in (room..sent).step_by(plan.rooms) {
                let reply = tracker.reply_seq[idx].load(Ordering::Acquire);
                match history_seq[idx] {
                    // A refused message is rightly absent; the refusal is an error already.
                    0 if reply == REFUSED => {}
                    0 => check.missing += 1,
                    seq if reply != 0 && seq != reply => check.seq_mismatch += 1,
                    _ => {}
                }
            }
            return Ok(check);
        }
        if messages.is_empty() {
            bail!("history.get said hasMore but returned no messages after seq {after}");
        }
    }
    bail!("history of room {room} did not end within {max_pages} pages")
}
