//! Per-connection rate limiting (PROTOCOL §5: 20 actions/s sustained, burst 40).
//!
//! A token bucket per connection, kept in the process that handles the frames. Under
//! the local gateway that is exact; on Lambda each warm instance keeps its own buckets,
//! so the limit is per instance — API Gateway's route throttling is the hard cap there.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::ids::ConnectionId;

#[derive(Debug, Clone, Copy)]
struct TokenBucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by connection.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<ConnectionId, TokenBucket>>,
}

impl RateLimiter {
    /// `per_second == 0` turns limiting off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(per_second)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `conn`; `false` when the connection is over its limit.
    pub fn allow(&self, conn: &ConnectionId) -> bool {
        self.allow_at(conn, Instant::now())
    }

    fn allow_at(&self, conn: &ConnectionId, now: Instant) -> bool {
        if self.per_second <= 0.0 {
            return true;
        }
        // A poisoned lock only means another thread panicked mid-update; the map is
        // still usable, and refusing all traffic would be worse.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(conn.clone()).or_insert(TokenBucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Drops the bucket of a closed connection.
    pub fn forget(&self, conn: &ConnectionId) {
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
    fn connections_have_separate_buckets_and_zero_means_off() {
        let limiter = RateLimiter::new(1, 1);
        let (a, b) = (
            ConnectionId::parse("a").unwrap(),
            ConnectionId::parse("b").unwrap(),
        );
        assert!(limiter.allow(&a));
        assert!(!limiter.allow(&a));
        assert!(limiter.allow(&b));
        let off = RateLimiter::new(0, 0);
        assert!((0..1000).all(|_| off.allow(&a)));
    }
}
