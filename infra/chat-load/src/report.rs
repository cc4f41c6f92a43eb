//! Turning what the connections saw into numbers, a verdict and the printed report.

use std::sync::atomic::Ordering;

use crate::cli::Args;
use crate::conn::Finished;
use crate::cpu::CpuWindow;
use crate::plan::Plan;
use crate::send_track::{ConnStats, REFUSED, Tracker};
use crate::stats::{Percentiles, per_second};

/// Error lines printed at most, so a broken run stays readable.
const PRINTED_ERRORS: usize = 10;

/// The outcome of one room's history check.
#[derive(Debug, Clone, Default)]
pub struct RoomCheck {
    pub room: usize,
    pub messages: usize,
    pub missing: usize,
    pub duplicates: usize,
    /// Our messages whose history seq differs from the seq in their reply.
    pub seq_mismatch: usize,
    pub seq_problems: Vec<String>,
    pub error: Option<String>,
}

impl RoomCheck {
    pub fn failed(room: usize, error: String) -> RoomCheck {
        RoomCheck {
            room,
            error: Some(error),
            ..RoomCheck::default()
        }
    }

    fn ok(&self) -> bool {
        self.error.is_none()
            && self.missing == 0
            && self.duplicates == 0
            && self.seq_mismatch == 0
            && self.seq_problems.is_empty()
    }
}

pub struct Report {
    label: String,
    shape: String,
    connections: usize,
    total: usize,
    sent: usize,
    target_rate: f64,
    drained: bool,
    reply: Percentiles,
    fanout: Percentiles,
    fanout_complete: Percentiles,
    echo_to_reply: Percentiles,
    offered_rate: f64,
    replies_per_sec: f64,
    frames_per_sec: f64,
    window_secs: f64,
    delivered: u64,
    expected_deliveries: u64,
    missing: u64,
    duplicates: u64,
    unexpected: u64,
    wrong_room: u64,
    out_of_order: u64,
    missing_replies: u64,
    errors: u64,
    error_lines: Vec<String>,
    rooms: Vec<RoomCheck>,
    gateway_cores: Option<f64>,
    tool_cores: f64,
}

impl Report {
    #[allow(clippy::too_many_arguments)] // one call site; the pieces come from different phases
    pub fn build(
        args: &Args,
        plan: &Plan,
        tracker: &Tracker,
        sent: usize,
        drained: bool,
        stats: Vec<Finished<ConnStats>>,
        rooms: Vec<RoomCheck>,
        cpu: CpuWindow,
    ) -> Report {
        let at = |v: u64| v.saturating_sub(1);
        let first_send = if sent > 0 {
            at(tracker.sent_at[0].load(Ordering::Acquire))
        } else {
            0
        };
        let last_send = if sent > 0 {
            at(tracker.sent_at[sent - 1].load(Ordering::Acquire))
        } else {
            0
        };
        let last_reply = tracker.last_reply_at.load(Ordering::Relaxed);
        let last_delivery = (0..sent)
            .map(|i| tracker.last_arrival[i].load(Ordering::Relaxed))
            .max()
            .unwrap_or(0);
        let secs = |end: u64| end.saturating_sub(first_send) as f64 / 1e9;

        // Exactly-once: each connection must hold every sent message of its user's
        // rooms once, and nothing of other rooms.
        let per_message = plan.deliveries_per_message() as u32;
        let in_room: Vec<Vec<bool>> = (0..plan.rooms)
            .map(|r| {
                let mut conns = vec![false; plan.connections()];
                plan.room_conns(r).for_each(|c| conns[c] = true);
                conns
            })
            .collect();
        let (mut missing, mut duplicates, mut unexpected) = (0u64, 0u64, 0u64);
        let (mut reply_samples, mut fanout_samples, mut echo_samples) =
            (Vec::new(), Vec::new(), Vec::new());
        let (mut wrong_room, mut out_of_order) = (0, 0);
        let mut tally = crate::conn::ErrorTally::default();
        for (c, Finished { stats: s, health }) in stats.into_iter().enumerate() {
            for (idx, &count) in s.counts.iter().enumerate() {
                // A refused message must reach no one; its refusal is counted as an error.
                let refused = tracker.reply_seq[idx].load(Ordering::Acquire) == REFUSED;
                let expected = idx < sent && !refused && in_room[plan.room_of(idx)][c];
                match (expected, count) {
                    (true, 0) => missing += 1,
                    (true, n) => duplicates += u64::from(n - 1),
                    (false, n) => unexpected += u64::from(n),
                }
            }
            reply_samples.extend(s.reply_latency);
            fanout_samples.extend(s.fanout_latency);
            echo_samples.extend(s.echo_to_reply);
            wrong_room += s.wrong_room;
            out_of_order += s.out_of_order;
            tally.add_connection(c, health);
        }
        tally.add_write_errors(tracker.write_errors.load(Ordering::Relaxed));
        let (errors, error_lines) = (tally.count, tally.lines);
        let complete: Vec<u64> = (0..sent)
            .filter(|&i| tracker.deliveries[i].load(Ordering::Relaxed) >= per_message)
            .map(|i| {
                tracker.last_arrival[i]
                    .load(Ordering::Relaxed)
                    .saturating_sub(at(tracker.sent_at[i].load(Ordering::Acquire)))
            })
            .collect();
        let answered = tracker.replies_ok.load(Ordering::Relaxed)
            + tracker.replies_err.load(Ordering::Relaxed);
        let replies_ok = tracker.replies_ok.load(Ordering::Relaxed);
        let delivered = tracker.delivered.load(Ordering::Relaxed);
        let (gateway, own) = cpu;
        Report {
            label: args.label.clone(),
            shape: format!("{}×{}×{}", plan.rooms, plan.members, plan.conns_per_user),
            connections: plan.connections(),
            total: args.messages,
            sent,
            target_rate: args.rate,
            drained,
            reply: Percentiles::of(reply_samples),
            fanout: Percentiles::of(fanout_samples),
            fanout_complete: Percentiles::of(complete),
            echo_to_reply: Percentiles::of(echo_samples),
            offered_rate: per_second(
                sent.saturating_sub(1) as u64,
                (last_send.saturating_sub(first_send)) as f64 / 1e9,
            ),
            replies_per_sec: per_second(replies_ok, secs(last_reply)),
            frames_per_sec: per_second(delivered, secs(last_delivery)),
            window_secs: secs(last_reply.max(last_delivery)),
            delivered,
            expected_deliveries: (sent as u64)
                .saturating_sub(tracker.replies_err.load(Ordering::Relaxed))
                * u64::from(per_message),
            missing,
            duplicates,
            unexpected,
            wrong_room,
            out_of_order,
            missing_replies: (sent as u64).saturating_sub(answered),
            // Refused replies are already among the readers' errors.
            errors,
            error_lines,
            rooms,
            gateway_cores: gateway.map(|(before, after)| after.cores_since(&before)),
            tool_cores: own.1.cores_since(&own.0),
        }
    }

    pub fn pass(&self) -> bool {
        self.sent > 0
            && self.drained
            && self.missing == 0
            && self.duplicates == 0
            && self.unexpected == 0
            && self.wrong_room == 0
            && self.missing_replies == 0
            && self.errors == 0
            && self.rooms.iter().all(RoomCheck::ok)
    }

    fn failures(&self) -> Vec<String> {
        let mut why = Vec::new();
        let mut add = |bad: bool, text: String| {
            if bad {
                why.push(text);
            }
        };
        add(self.sent == 0, "nothing was sent".into());
        add(
            !self.drained,
            "replies/deliveries still missing at the drain timeout".into(),
        );
        add(
            self.missing > 0,
            format!("{} deliveries missing", self.missing),
        );
        add(
            self.duplicates > 0,
            format!("{} duplicate deliveries", self.duplicates),
        );
        add(
            self.unexpected > 0,
            format!("{} deliveries to non-members", self.unexpected),
        );
        add(
            self.wrong_room > 0,
            format!("{} deliveries with the wrong roomId", self.wrong_room),
        );
        add(
            self.missing_replies > 0,
            format!("{} replies missing", self.missing_replies),
        );
        add(self.errors > 0, format!("{} errors", self.errors));
        for r in self.rooms.iter().filter(|r| !r.ok()) {
            let mut parts = Vec::new();
            if let Some(e) = &r.error {
                parts.push(e.clone());
            }
            if r.missing + r.duplicates + r.seq_mismatch > 0 {
                parts.push(format!(
                    "{} missing, {} duplicated, {} seq ≠ reply seq",
                    r.missing, r.duplicates, r.seq_mismatch
                ));
            }
            parts.extend(r.seq_problems.iter().take(3).cloned());
            why.push(format!("room {} history: {}", r.room, parts.join("; ")));
        }
        why
    }

    pub fn print(&self) {
        let rate = if self.target_rate > 0.0 {
            format!("{:.0} msg/s", self.target_rate)
        } else {
            "max".into()
        };
        println!();
        println!(
            "== chat-load {} ({} rooms×members×conns/user, {} connections) ==",
            self.label, self.shape, self.connections
        );
        println!("reply latency      {}", self.reply);
        println!(
            "fan-out latency    {}  (each delivery to a connection other than the sender's)",
            self.fanout
        );
        println!(
            "fan-out complete   {}  (until every member connection had it)",
            self.fanout_complete
        );
        println!(
            "echo → reply gap   {}  (sender's own message.created to its reply; queued back to back, so ≫1 ms = TCP delay)",
            self.echo_to_reply
        );
        println!(
            "throughput         sent {}/{} (target {rate}, offered {:.1} msg/s); replies {:.1} msg/s; delivered {} frames, {:.1} frames/s over {:.2} s",
            self.sent,
            self.total,
            self.offered_rate,
            self.replies_per_sec,
            self.delivered,
            self.frames_per_sec,
            self.window_secs
        );
        let history: usize = self.rooms.iter().map(|r| r.messages).sum();
        println!(
            "correctness        deliveries {}/{}, missing {}, duplicates {}, to non-members {}, wrong room {}; replies missing {}; errors {}; history {} rooms / {} messages, {} with seq problems; arrivals out of seq order {} (allowed)",
            self.delivered,
            self.expected_deliveries,
            self.missing,
            self.duplicates,
            self.unexpected,
            self.wrong_room,
            self.missing_replies,
            self.errors,
            self.rooms.len(),
            history,
            self.rooms.iter().filter(|r| !r.ok()).count(),
            self.out_of_order
        );
        let gateway = self.gateway_cores.map_or("-".into(), |c| format!("{c:.2}"));
        println!(
            "cpu (cores busy)   gateway {gateway}, chat-load {:.2} during sending + drain",
            self.tool_cores
        );
        crate::report::print_error_lines(&self.error_lines);
        if self.pass() {
            println!(
                "PASS {}: every connection got each of {} messages exactly once; history gapless",
                self.label, self.sent
            );
        } else {
            println!("FAIL {}: {}", self.label, self.failures().join("; "));
        }
        println!(
            "TABLE_ROW: | {} | {} | {} | {}/{} | {rate} | {:.0} | {:.0} | {} | {} | {} | {} | {gateway} | {:.2} | {} |",
            self.label,
            self.shape,
            self.connections,
            self.sent,
            self.total,
            self.replies_per_sec,
            self.frames_per_sec,
            self.reply.compact(),
            self.fanout.compact(),
            self.fanout_complete.compact(),
            self.echo_to_reply.compact_p50_max(),
            self.tool_cores,
            if self.pass() { "PASS" } else { "FAIL" }
        );
    }
}

/// The first [`PRINTED_ERRORS`] error lines of a run, then how many more there were.
pub(crate) fn print_error_lines(lines: &[String]) {
    for line in lines.iter().take(PRINTED_ERRORS) {
        println!("error: {line}");
    }
    if lines.len() > PRINTED_ERRORS {
        println!("error: … and {} more", lines.len() - PRINTED_ERRORS);
    }
}
