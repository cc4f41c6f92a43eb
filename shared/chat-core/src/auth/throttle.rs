//! Slowing down password guessing without letting an attacker lock the real user out.
//!
//! Failed logins are counted per *(account, source address)* and per *source address*:
//!
//! - an account guessed from one address: after [`FREE_PAIR_FAILURES`] failures, each
//!   further failure shuts that address out of that account for twice as long as the
//!   last (1 s, 2 s, 4 s, … up to [`MAX_DELAY`]);
//! - one address spraying many accounts: after [`FREE_SOURCE_FAILURES`] failures in
//!   [`WINDOW`], the address is shut out of every account the same way.
//!
//! There is deliberately no per-account block: the person who owns the account, logging
//! in from their own address, is never refused because someone elsewhere guessed. A
//! success clears that pair's record. A refusal is `rate_limited` with the seconds to
//! wait (`Retry-After`).
//!
//! The counts live in the process that checks passwords: exact on the local gateway,
//! per warm instance on Lambda, where the WAF rate-based rule in `template.yaml` is the
//! shared cap.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Failures one address may make against one account before delays start.
pub const FREE_PAIR_FAILURES: u32 = 5;
/// Failures one address may make across all accounts within [`WINDOW`].
pub const FREE_SOURCE_FAILURES: u32 = 20;
/// How long failures are remembered after the last one.
pub const WINDOW: Duration = Duration::minutes(15);
/// The longest a source waits.
pub const MAX_DELAY: Duration = Duration::minutes(15);
/// Records kept before the oldest are forgotten, so a flood of made-up usernames or
/// spoofed addresses cannot grow memory without bound.
const MAX_RECORDS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
    blocked_until: Option<DateTime<Utc>>,
}

impl Failures {
    fn new(now: DateTime<Utc>) -> Self {
        Failures {
            count: 0,
            last: now,
            blocked_until: None,
        }
    }

    fn expired(&self, now: DateTime<Utc>) -> bool {
        now - self.last > WINDOW && self.blocked_until.is_none_or(|until| until <= now)
    }

    /// Counts one failure; past `free` of them, blocks for a doubling delay.
    fn fail(&mut self, free: u32, now: DateTime<Utc>) {
        self.count = self.count.saturating_add(1);
        self.last = now;
        if self.count > free {
            let doublings = (self.count - free - 1).min(20);
            let delay = (Duration::seconds(1) * 2i32.pow(doublings)).min(MAX_DELAY);
            self.blocked_until = Some(now + delay);
        }
    }

    fn wait(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.blocked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }
}

#[derive(Default)]
struct Records {
    pairs: HashMap<(String, String), Failures>,
    sources: HashMap<String, Failures>,
}

/// See the module documentation.
#[derive(Default)]
pub struct LoginThrottle {
    records: Mutex<Records>,
}

impl LoginThrottle {
    /// `Err(wait)` when `source` must not try `username` yet.
    pub fn check(&self, username: &str, source: &str, now: DateTime<Utc>) -> Result<(), Duration> {
        let records = self.lock();
        let pair = records.pairs.get(&key(username, source));
        let by_source = records.sources.get(source);
        let wait = [pair, by_source]
            .into_iter()
            .flatten()
            .filter_map(|f| f.wait(now))
            .max();
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Records a wrong password (or unknown user) from `source`.
    pub fn failed(&self, username: &str, source: &str, now: DateTime<Utc>) {
        let mut records = self.lock();
        if records.pairs.len() + records.sources.len() >= MAX_RECORDS {
            records.pairs.retain(|_, f| !f.expired(now));
            records.sources.retain(|_, f| !f.expired(now));
        }
        let pair = records
            .pairs
            .entry(key(username, source))
            .or_insert_with(|| Failures::new(now));
        reset_if_expired(pair, now);
        pair.fail(FREE_PAIR_FAILURES, now);
        let by_source = records
            .sources
            .entry(source.to_string())
            .or_insert_with(|| Failures::new(now));
        reset_if_expired(by_source, now);
        by_source.fail(FREE_SOURCE_FAILURES, now);
    }

    /// A successful login clears that account's record for `source`.
    pub fn succeeded(&self, username: &str, source: &str) {
        self.lock().pairs.remove(&key(username, source));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        // A panic elsewhere mid-update leaves usable counts; failing open on logins
        // would be worse than a slightly stale count.
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn key(username: &str, source: &str) -> (String, String) {
    (username.trim().to_lowercase(), source.to_string())
}

fn reset_if_expired(failures: &mut Failures, now: DateTime<Utc>) {
    if failures.expired(now) {
        *failures = Failures::new(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn one_address_guessing_one_account_waits_longer_each_time() {
        let t = LoginThrottle::default();
        for _ in 0..FREE_PAIR_FAILURES {
            assert!(t.check("alice", "10.0.0.9", at(0)).is_ok());
            t.failed("alice", "10.0.0.9", at(0));
        }
        assert!(
            t.check("alice", "10.0.0.9", at(0)).is_ok(),
            "the free tries"
        );
        t.failed("alice", "10.0.0.9", at(0));
        assert_eq!(
            t.check("Alice", "10.0.0.9", at(0)),
            Err(Duration::seconds(1))
        );
        assert!(t.check("alice", "10.0.0.9", at(1)).is_ok());
        t.failed("alice", "10.0.0.9", at(1));
        assert_eq!(
            t.check("alice", "10.0.0.9", at(1)),
            Err(Duration::seconds(2))
        );
        t.failed("alice", "10.0.0.9", at(3));
        assert_eq!(
            t.check("alice", "10.0.0.9", at(3)),
            Err(Duration::seconds(4))
        );
    }

    #[test]
    fn the_real_user_elsewhere_is_not_locked_out() {
        let t = LoginThrottle::default();
        for _ in 0..50 {
            t.failed("alice", "203.0.113.7", at(0));
        }
        assert!(t.check("alice", "203.0.113.7", at(0)).is_err());
        assert!(
            t.check("alice", "198.51.100.1", at(0)).is_ok(),
            "alice at home"
        );
        assert!(t.check("bob", "198.51.100.1", at(0)).is_ok());
    }

    #[test]
    fn spraying_many_accounts_from_one_address_is_throttled() {
        let t = LoginThrottle::default();
        for i in 0..FREE_SOURCE_FAILURES {
            t.failed(&format!("user{i}"), "203.0.113.7", at(0));
        }
        assert!(t.check("fresh", "203.0.113.7", at(0)).is_ok());
        t.failed("fresh", "203.0.113.7", at(0));
        assert!(t.check("another", "203.0.113.7", at(0)).is_err());
    }

    #[test]
    fn success_clears_and_failures_are_forgotten_after_the_window() {
        let t = LoginThrottle::default();
        for _ in 0..=FREE_PAIR_FAILURES {
            t.failed("alice", "a", at(0));
        }
        assert!(t.check("alice", "a", at(0)).is_err());
        t.succeeded("alice", "a");
        assert!(t.check("alice", "a", at(0)).is_ok());
        for _ in 0..=FREE_PAIR_FAILURES {
            t.failed("bob", "b", at(0));
        }
        let later = at(0) + WINDOW + Duration::seconds(1);
        assert!(t.check("bob", "b", later).is_ok());
        t.failed("bob", "b", later);
        assert!(
            t.check("bob", "b", later).is_ok(),
            "the count started again"
        );
    }

    #[test]
    fn delays_are_capped() {
        let t = LoginThrottle::default();
        for _ in 0..60 {
            t.failed("alice", "a", at(0));
        }
        assert_eq!(t.check("alice", "a", at(0)), Err(MAX_DELAY));
    }
}
