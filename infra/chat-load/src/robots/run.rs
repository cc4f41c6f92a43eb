//! The robots scenario, phase by phase: users → connections → rooms with the robot →
//! paced asks → drain until every answer ended at every member connection → report.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::anyhow;
use serde_json::json;

use super::handler::{RobotHandler, RobotStats};
use super::report::RobotReport;
use super::track::AskTracker;
use crate::cli::Args;
use crate::conn::{Conn, Finished, Writes};
use crate::cpu::CpuSample;
use crate::setup;

/// Runs the scenario; `Ok(true)` = PASS.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    args.validate()?;
    let timeout = args.request_timeout();
    let (client, base) = setup::client(&args).await?;
    let what = format!("{} asks to {}", args.messages, args.robot);
    let (plan, users) = setup::users_and_plan(&args, &client, &base, &what).await?;
    let run_id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    let tracker = Arc::new(AskTracker::new(
        Arc::clone(&plan),
        format!("rb-{run_id:x}-"),
        args.messages,
    ));
    let writes: Arc<dyn Writes> = tracker.clone();
    let conns = setup::connect_all(&args, &plan, &users, writes, |c| {
        RobotHandler::new(c, Arc::clone(&tracker))
    })
    .await?;
    let robots = [args.robot.clone()];
    let room_ids = setup::create_rooms(&args, &plan, &users, &conns, &robots).await?;
    tracker
        .room_ids
        .set(room_ids.clone())
        .map_err(|_| anyhow!("room ids were set twice"))?;

    let gateway_before = args.gateway_pid.map(CpuSample::of_pid).transpose()?;
    let self_before = CpuSample::of_self()?;
    let sent = ask_all(&args, &tracker, &conns, &room_ids).await;
    let drained = drain(&args, &tracker, sent).await;
    let cpu_window = (
        gateway_before.zip(args.gateway_pid.map(CpuSample::of_pid).transpose()?),
        (self_before, CpuSample::of_self()?),
    );
    let stats: Vec<Finished<RobotStats>> =
        futures::future::join_all(conns.into_iter().map(|c| c.finish(timeout))).await;
    let report = RobotReport::build(&args, &tracker, sent, drained, stats, cpu_window);
    report.print();
    Ok(report.pass())
}

/// Open-loop pacing as in the send scenario (ask `i` is due at `start + i / rate`),
/// except that `--max-in-flight` bounds asks whose answer has not ended yet: a robot
/// answer lasts seconds, so unanswered replies would not hold anything back.
async fn ask_all(
    args: &Args,
    tracker: &Arc<AskTracker>,
    conns: &[Conn<RobotStats>],
    room_ids: &[String],
) -> usize {
    let plan = &tracker.plan;
    let total = args.messages;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.duration);
    let sent = Arc::new(AtomicUsize::new(0));
    let progress = spawn_progress(args, tracker, &sent, start);
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
            let finished = tracker.finished.load(Ordering::Relaxed) as usize;
            if count - finished.min(count) < args.max_in_flight {
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
        let frame = json!({
            "action": "robot.ask",
            "requestId": format!("a{idx}"),
            "roomId": room_ids[plan.room_of(idx)],
            "robot": args.robot,
            "text": format!("chat-load ask {idx}: tell me a joke"),
            "clientMsgId": tracker.client_msg_id(idx),
        })
        .to_string();
        if conns[plan.sender_conn(idx)].send_load(idx, frame).is_err() {
            tracker.write_errors.fetch_add(1, Ordering::Relaxed);
            break;
        }
        count += 1;
        sent.store(count, Ordering::Relaxed);
    }
    progress.abort();
    println!(
        "asked {count}/{total} in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    count
}

fn spawn_progress(
    args: &Args,
    tracker: &Arc<AskTracker>,
    sent: &Arc<AtomicUsize>,
    start: Instant,
) -> tokio::task::JoinHandle<()> {
    let (tracker, sent) = (Arc::clone(tracker), Arc::clone(sent));
    let total = args.messages;
    let every = Duration::from_secs_f64(args.progress_every);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at((Instant::now() + every).into(), every);
        loop {
            tick.tick().await;
            let s = sent.load(Ordering::Relaxed);
            let done = tracker.finished.load(Ordering::Relaxed) as usize;
            println!(
                "[{:>6.1} s] asked {s}/{total}  answered {done}  in flight {}  failed {}",
                start.elapsed().as_secs_f64(),
                s.saturating_sub(done),
                tracker.failed.load(Ordering::Relaxed),
            );
        }
    })
}

/// Waits until every ask has an outcome at its asker and every accepted answer's final
/// update reached every member connection, or the drain timeout passes.
async fn drain(args: &Args, tracker: &AskTracker, sent: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(args.drain_timeout);
    let per_answer = tracker.plan.deliveries_per_message() as u64;
    loop {
        let finished = tracker.finished.load(Ordering::Relaxed);
        let refused = tracker.refused.load(Ordering::Relaxed);
        let expected = (sent as u64).saturating_sub(refused) * per_answer;
        let finals = tracker.finals_total.load(Ordering::Relaxed);
        if finished >= sent as u64 && finals >= expected {
            // A late duplicate or stray delta still counts against the answer.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return true;
        }
        if Instant::now() >= deadline {
            println!(
                "drain timed out after {} s: answers ended {finished}/{sent}, final updates {finals}/{expected}",
                args.drain_timeout
            );
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
