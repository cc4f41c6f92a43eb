//! The robots run in numbers: latencies as the asker saw them, pushes per answer per
//! connection, worker throughput, a verdict and the `TABLE_ROW:` line.

use std::sync::atomic::Ordering;

use super::handler::RobotStats;
use super::track::{AskTracker, COMPLETE, REFUSED};
use crate::cli::Args;
use crate::conn::Finished;
use crate::cpu::CpuWindow;
use crate::stats::{Percentiles, per_second};

pub struct RobotReport {
    label: String,
    robot: String,
    shape: String,
    connections: usize,
    total: usize,
    sent: usize,
    target_rate: f64,
    offered_rate: f64,
    drained: bool,
    reply: Percentiles,
    first_delta: Percentiles,
    complete: Percentiles,
    /// Completed answers per second, first ask → last final update at an asker.
    jobs_per_sec: f64,
    window_secs: f64,
    completed: u64,
    failed: u64,
    refused: u64,
    unfinished: u64,
    streaming: u64,
    /// Completed streamed answers whose asker saw no delta.
    no_delta: u64,
    pushes_mean: f64,
    pushes_max: u16,
    missing_finals: u64,
    duplicate_finals: u64,
    after_final: u64,
    index_gaps: u64,
    restarts: u64,
    orphans: u64,
    errors: u64,
    error_lines: Vec<String>,
    first_delta_target_ms: f64,
    max_pushes: u32,
    gateway_cores: Option<f64>,
    tool_cores: f64,
}

impl RobotReport {
    pub fn build(
        args: &Args,
        t: &AskTracker,
        sent: usize,
        drained: bool,
        stats: Vec<Finished<RobotStats>>,
        cpu: CpuWindow,
    ) -> RobotReport {
        let plan = &t.plan;
        let at = |v: u64| v.checked_sub(1);
        let load = |v: &[std::sync::atomic::AtomicU64], i: usize| at(v[i].load(Ordering::Acquire));
        let first_send = if sent > 0 {
            load(&t.sent_at, 0).unwrap_or(0)
        } else {
            0
        };
        let last_send = if sent > 0 {
            load(&t.sent_at, sent - 1).unwrap_or(0)
        } else {
            0
        };
        let since_send = |slots: &[std::sync::atomic::AtomicU64], i: usize| {
            Some(load(slots, i)?.saturating_sub(load(&t.sent_at, i)?))
        };
        let (mut reply, mut first_delta, mut complete) = (Vec::new(), Vec::new(), Vec::new());
        let mut no_delta = 0;
        for i in 0..sent {
            reply.extend(since_send(&t.reply_at, i));
            let delta = since_send(&t.first_delta_at, i);
            first_delta.extend(delta);
            if t.outcome[i].load(Ordering::Acquire) == COMPLETE {
                complete.extend(since_send(&t.final_at, i));
                if delta.is_none() && t.streaming.load(Ordering::Relaxed) > 0 {
                    no_delta += 1;
                }
            }
        }

        let mut in_room = vec![vec![false; plan.connections()]; plan.rooms];
        for (r, conns) in in_room.iter_mut().enumerate() {
            plan.room_conns(r).for_each(|c| conns[c] = true);
        }
        let (mut push_sum, mut push_n, mut pushes_max) = (0u64, 0u64, 0u16);
        let (mut missing_finals, mut duplicate_finals) = (0u64, 0u64);
        let (mut after_final, mut index_gaps, mut restarts, mut orphans) = (0, 0, 0, 0);
        let mut tally = crate::conn::ErrorTally::default();
        for (c, Finished { stats: s, health }) in stats.into_iter().enumerate() {
            for i in 0..sent.min(s.finals.len()) {
                let expected =
                    in_room[plan.room_of(i)][c] && t.outcome[i].load(Ordering::Acquire) != REFUSED;
                match (expected, s.finals[i]) {
                    (true, 0) => missing_finals += 1,
                    (true, n) => duplicate_finals += u64::from(n - 1),
                    (false, n) => duplicate_finals += u64::from(n),
                }
                if expected {
                    push_sum += u64::from(s.pushes[i]);
                    push_n += 1;
                    pushes_max = pushes_max.max(s.pushes[i]);
                }
            }
            after_final += s.after_final;
            index_gaps += s.index_gaps;
            restarts += s.restarts;
            orphans += s.orphans;
            tally.add_connection(c, health);
        }
        tally.add_write_errors(t.write_errors.load(Ordering::Relaxed));
        let (errors, error_lines) = (tally.count, tally.lines);
        let completed = t.completed.load(Ordering::Relaxed);
        let window = t
            .last_final_at
            .load(Ordering::Relaxed)
            .saturating_sub(first_send) as f64
            / 1e9;
        let (gateway, own) = cpu;
        RobotReport {
            label: args.label.clone(),
            robot: args.robot.clone(),
            shape: format!("{}×{}×{}", plan.rooms, plan.members, plan.conns_per_user),
            connections: plan.connections(),
            total: args.messages,
            sent,
            target_rate: args.rate,
            offered_rate: per_second(
                sent.saturating_sub(1) as u64,
                last_send.saturating_sub(first_send) as f64 / 1e9,
            ),
            drained,
            reply: Percentiles::of(reply),
            first_delta: Percentiles::of(first_delta),
            complete: Percentiles::of(complete),
            jobs_per_sec: per_second(completed, window),
            window_secs: window,
            completed,
            failed: t.failed.load(Ordering::Relaxed),
            refused: t.refused.load(Ordering::Relaxed),
            unfinished: (sent as u64).saturating_sub(t.finished.load(Ordering::Relaxed)),
            streaming: t.streaming.load(Ordering::Relaxed),
            no_delta,
            pushes_mean: if push_n > 0 {
                push_sum as f64 / push_n as f64
            } else {
                0.0
            },
            pushes_max,
            missing_finals,
            duplicate_finals,
            after_final,
            index_gaps,
            restarts,
            orphans,
            errors,
            error_lines,
            first_delta_target_ms: args.first_delta_p99_ms,
            max_pushes: args.max_pushes_per_answer,
            gateway_cores: gateway.map(|(before, after)| after.cores_since(&before)),
            tool_cores: own.1.cores_since(&own.0),
        }
    }

    /// The first-delta target applies to streamed answers when a target is set.
    fn first_delta_checked(&self) -> bool {
        self.first_delta_target_ms > 0.0 && self.streaming > 0
    }

    fn failures(&self) -> Vec<String> {
        let mut why = Vec::new();
        let mut add = |bad: bool, text: String| {
            if bad {
                why.push(text);
            }
        };
        add(self.sent == 0, "nothing was asked".into());
        add(
            !self.drained,
            "answers still open at the drain timeout".into(),
        );
        add(self.failed > 0, format!("{} answers failed", self.failed));
        add(self.refused > 0, format!("{} asks refused", self.refused));
        add(
            self.unfinished > 0,
            format!(
                "{} answers did not end within the drain timeout",
                self.unfinished
            ),
        );
        add(
            self.missing_finals > 0,
            format!(
                "{} final updates missing at member connections",
                self.missing_finals
            ),
        );
        add(
            self.duplicate_finals > 0,
            format!(
                "{} duplicate or misdirected final updates",
                self.duplicate_finals
            ),
        );
        add(
            self.after_final > 0,
            format!("{} pushes after an answer's final update", self.after_final),
        );
        add(
            self.index_gaps > 0,
            format!("{} delta index gaps", self.index_gaps),
        );
        add(
            self.no_delta > 0,
            format!("{} streamed answers without a delta", self.no_delta),
        );
        add(self.errors > 0, format!("{} errors", self.errors));
        add(
            u32::from(self.pushes_max) > self.max_pushes,
            format!(
                "an answer cost a connection {} pushes (target ≤ {})",
                self.pushes_max, self.max_pushes
            ),
        );
        let p99_ms = self.first_delta.p99 as f64 / 1e6;
        add(
            self.first_delta_checked()
                && (self.first_delta.count == 0 || p99_ms > self.first_delta_target_ms),
            format!(
                "first-delta p99 {p99_ms:.1} ms (target ≤ {} ms)",
                self.first_delta_target_ms
            ),
        );
        why
    }

    pub fn pass(&self) -> bool {
        self.failures().is_empty()
    }

    pub fn print(&self) {
        let rate = if self.target_rate > 0.0 {
            format!("{} asks/s", self.target_rate)
        } else {
            "max".into()
        };
        println!();
        println!(
            "== chat-load {} (robots: {}; {} rooms×members×conns/user, {} connections) ==",
            self.label, self.robot, self.shape, self.connections
        );
        println!("ask reply          {}", self.reply);
        println!(
            "ask → first delta  {}  (at the asker's connection)",
            self.first_delta
        );
        println!(
            "ask → complete     {}  (final message.updated at the asker's connection)",
            self.complete
        );
        println!(
            "throughput         asked {}/{} (target {rate}, offered {:.1} asks/s); completed {} answers, {:.1} answers/s over {:.2} s",
            self.sent,
            self.total,
            self.offered_rate,
            self.completed,
            self.jobs_per_sec,
            self.window_secs
        );
        println!(
            "pushes per answer  mean {:.2}, max {} per member connection (deltas + final update; target ≤ {})",
            self.pushes_mean, self.pushes_max, self.max_pushes
        );
        println!(
            "correctness        failed {}, refused {}, not ended {}, final updates missing {}, duplicate {}, pushes after final {}, delta index gaps {}, restarts {} (allowed), orphan pushes {}, errors {}",
            self.failed,
            self.refused,
            self.unfinished,
            self.missing_finals,
            self.duplicate_finals,
            self.after_final,
            self.index_gaps,
            self.restarts,
            self.orphans,
            self.errors
        );
        let gateway = self.gateway_cores.map_or("-".into(), |c| format!("{c:.2}"));
        println!(
            "cpu (cores busy)   gateway {gateway}, chat-load {:.2} during asking + drain",
            self.tool_cores
        );
        crate::report::print_error_lines(&self.error_lines);
        let target = if self.first_delta_checked() {
            format!("first-delta p99 ≤ {} ms", self.first_delta_target_ms)
        } else {
            "first-delta target not checked".into()
        };
        if self.pass() {
            println!(
                "PASS {}: {} answers complete at every member connection, ≤ {} pushes each; {target}",
                self.label, self.completed, self.max_pushes
            );
        } else {
            println!("FAIL {}: {}", self.label, self.failures().join("; "));
        }
        println!(
            "TABLE_ROW: | {} | {} | {} | {} | {}/{} | {rate} | {:.1} | {:.1} | {} | {} | {:.1}/{} | {} | {gateway} | {:.2} | {} |",
            self.label,
            self.robot,
            self.shape,
            self.connections,
            self.sent,
            self.total,
            self.offered_rate,
            self.jobs_per_sec,
            self.first_delta.compact(),
            self.complete.compact(),
            self.pushes_mean,
            self.pushes_max,
            self.failed + self.refused + self.unfinished,
            self.tool_cores,
            if self.pass() { "PASS" } else { "FAIL" }
        );
    }
}
