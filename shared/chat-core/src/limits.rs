//! Rate limiting: per connection (PROTOCOL §6: 20 actions/s sustained, burst 40), and
//! per user across all their connections, so opening more sockets buys no more budget.
//!
//! A token bucket per connection, kept in the process that handles the frames. Under
//! the local gateway that is exact; on Lambda each warm instance keeps its own buckets,
//! so the limit is per instance — API Gateway's route throttling is the hard cap there.
//!
//! Every frame takes a token before it is parsed (PROTOCOL §6: unparseable frames
//! count too). A refused frame is answered `rate_limited`, but those answers have a
//! budget of their own (as many per second as actions): a client flooding garbage
//! would otherwise buy one push per frame, so past that budget refused frames are
//! dropped without an answer.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

use crate::ids::ConnectionId;

#[derive(Debug, Clone, Copy)]
struct TokenBucket {
    tokens: f64,
    /// Budget for `rate_limited` answers while the connection is over its limit.
    answers: f64,
    last: Instant,
}

/// What to do with one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateVerdict {
    /// Within the limit: handle it.
    Allow,
    /// Over the limit: answer `rate_limited`, do nothing else.
    Refuse,
    /// Over the limit and out of answers too: drop it without a push.
    Drop,
}

/// Token buckets keyed by connection (or, for the per-user budget, by user).
pub struct RateLimiter<K = ConnectionId> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// `per_second == 0` turns limiting off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(per_second)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `conn`; `false` when the connection is over its limit.
    pub fn allow(&self, conn: &K) -> bool {
        self.check(conn) == RateVerdict::Allow
    }

    /// Takes one token for `conn`, and says how to treat the frame if there was none.
    pub fn check(&self, conn: &K) -> RateVerdict {
        self.check_at(conn, Instant::now())
    }

    #[cfg(test)]
    fn allow_at(&self, conn: &K, now: Instant) -> bool {
        self.check_at(conn, now) == RateVerdict::Allow
    }

    fn check_at(&self, conn: &K, now: Instant) -> RateVerdict {
        if self.per_second <= 0.0 {
            return RateVerdict::Allow;
        }
        // A poisoned lock only means another thread panicked mid-update; the map is
        // still usable, and refusing all traffic would be worse.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(conn.clone()).or_insert(TokenBucket {
            tokens: self.burst,
            answers: self.per_second,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.answers = (bucket.answers + elapsed * self.per_second).min(self.per_second);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            RateVerdict::Allow
        } else if bucket.answers >= 1.0 {
            bucket.answers -= 1.0;
            RateVerdict::Refuse
        } else {
            RateVerdict::Drop
        }
    }

    /// Drops the bucket of a closed connection.
    pub fn forget(&self, conn: &K) {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        buckets.remove(conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_allowed_then_refused_then_refilled() {
        let limiter = RateLimiter::new(20, 40);
        let conn = ConnectionId::parse("c1").unwrap();
        let t0 = Instant::now();
        let allowed = (0..50).filter(|_| limiter.allow_at(&conn, t0)).count();
        assert_eq!(allowed, 40);
        assert!(!limiter.allow_at(&conn, t0));
        // 20 tokens/s: after 100 ms two more actions are allowed.
        let t1 = t0 + Duration::from_millis(100);
        assert!(limiter.allow_at(&conn, t1));
        assert!(limiter.allow_at(&conn, t1));
        assert!(!limiter.allow_at(&conn, t1));
    }

    #[test]
    fn refusals_are_answered_within_their_own_budget_then_dropped() {
        let limiter = RateLimiter::new(5, 10);
        let conn = ConnectionId::parse("c1").unwrap();
        let t0 = Instant::now();
        let verdicts: Vec<RateVerdict> = (0..30).map(|_| limiter.check_at(&conn, t0)).collect();
        let count = |v| verdicts.iter().filter(|&&x| x == v).count();
        assert_eq!(count(RateVerdict::Allow), 10, "the burst");
        assert_eq!(count(RateVerdict::Refuse), 5, "one second of answers");
        assert_eq!(count(RateVerdict::Drop), 15);
        assert_eq!(
            verdicts[10],
            RateVerdict::Refuse,
            "the first refusal is answered"
        );
        // A second later both budgets have refilled.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(limiter.check_at(&conn, t1), RateVerdict::Allow);
    }

    #[test]
    fn connections_have_separate_buckets_and_zero_means_off() {
        let limiter = RateLimiter::new(1, 1);
        let (a, b) = (
            ConnectionId::parse("a").unwrap(),
            ConnectionId::parse("b").unwrap(),
        );
        assert!(limiter.allow(&a));
        assert!(!limiter.allow(&a));
        assert!(limiter.allow(&b));
        let off: RateLimiter = RateLimiter::new(0, 0);
        assert!((0..1000).all(|_| off.allow(&a)));
    }
}
