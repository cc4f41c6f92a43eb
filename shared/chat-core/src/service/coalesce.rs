//! Turning a robot's text stream into a few `message.delta` events.
//!
//! An LLM emits a token every few milliseconds; one push per token would cost hundreds
//! of PostToConnection calls per answer per employee. The [`Coalescer`] buffers text and
//! lets a delta out when the buffer is big enough or has waited long enough, and spends
//! at most [`DeltaPolicy::max_deltas`] deltas on one answer. The wait grows as deltas are
//! spent (doubling every [`DOUBLING_EVERY`] deltas), so a long answer still streams
//! visibly for several seconds instead of using its budget in the first second. The
//! first delta goes out at once: it is what makes an answer feel fast.
//!
//! Pure bookkeeping over instants the caller passes in, so it is tested without clocks.

use std::time::Duration;

use tokio::time::Instant;

/// Deltas between two doublings of the wait.
pub const DOUBLING_EVERY: u32 = 4;

/// How deltas are cut (DESIGN §4: ~50–100 ms per delta, tens of pushes per answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeltaPolicy {
    /// Shortest wait between two deltas.
    pub min_interval: Duration,
    /// A buffer this big goes out without waiting.
    pub flush_bytes: usize,
    /// Most deltas for one answer. With the final `message.updated`, an answer costs at
    /// most `max_deltas + 1` pushes per connection.
    pub max_deltas: u32,
}

impl Default for DeltaPolicy {
    fn default() -> Self {
        DeltaPolicy {
            min_interval: Duration::from_millis(50),
            flush_bytes: 1024,
            max_deltas: 19,
        }
    }
}

/// One answer's text as it streams.
#[derive(Debug)]
pub struct Coalescer {
    policy: DeltaPolicy,
    /// Everything received so far (the stored answer).
    text: String,
    /// Where in `text` the next delta starts.
    sent_up_to: usize,
    deltas: u32,
    last_delta: Option<Instant>,
}

impl Coalescer {
    pub fn new(policy: DeltaPolicy) -> Self {
        Coalescer {
            policy,
            text: String::new(),
            sent_up_to: 0,
            deltas: 0,
            last_delta: None,
        }
    }

    /// Adds text; returns a delta when one is due now.
    pub fn push(&mut self, fragment: &str, now: Instant) -> Option<String> {
        self.text.push_str(fragment);
        self.take_if_due(now)
    }

    /// The buffered text as a delta, if its time has come.
    pub fn take_if_due(&mut self, now: Instant) -> Option<String> {
        let pending = self.text.len() - self.sent_up_to;
        if pending == 0 || self.deltas >= self.streaming_budget() {
            return None;
        }
        let due = match self.next_due() {
            None => true,
            Some(at) => now >= at || pending >= self.policy.flush_bytes,
        };
        if !due {
            return None;
        }
        let delta = self.text[self.sent_up_to..].to_string();
        self.sent_up_to = self.text.len();
        self.deltas += 1;
        self.last_delta = Some(now);
        Some(delta)
    }

    /// When buffered text should go out even if nothing more arrives; `None` when
    /// nothing is waiting (or the budget is spent).
    pub fn flush_at(&self) -> Option<Instant> {
        let pending = self.text.len() > self.sent_up_to;
        if !pending || self.deltas >= self.streaming_budget() {
            return None;
        }
        Some(self.next_due().unwrap_or_else(Instant::now))
    }

    /// The stream has ended: whatever is still buffered, as the last delta, so the
    /// deltas always join up to the stored text. One delta of the budget is kept for it.
    pub fn finish(&mut self) -> Option<String> {
        if self.text.len() == self.sent_up_to || self.deltas >= self.policy.max_deltas {
            return None;
        }
        let delta = self.text[self.sent_up_to..].to_string();
        self.sent_up_to = self.text.len();
        self.deltas += 1;
        Some(delta)
    }

    /// Deltas available while the stream runs: the budget less the one for the tail.
    fn streaming_budget(&self) -> u32 {
        self.policy.max_deltas.saturating_sub(1)
    }

    /// Earliest instant the next delta may go (`None`: at once, none sent yet).
    fn next_due(&self) -> Option<Instant> {
        let last = self.last_delta?;
        let doublings = (self.deltas.saturating_sub(1) / DOUBLING_EVERY).min(16);
        Some(last + self.policy.min_interval * 2u32.pow(doublings))
    }

    /// Deltas handed out so far.
    pub fn deltas(&self) -> u32 {
        self.deltas
    }

    /// The whole answer.
    pub fn into_text(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(base: Instant, n: u64) -> Instant {
        base + Duration::from_millis(n)
    }

    #[test]
    fn the_first_fragment_goes_at_once_then_waits_the_interval() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(DeltaPolicy::default());
        assert_eq!(c.push("Hel", t0).as_deref(), Some("Hel"));
        assert_eq!(c.push("lo", ms(t0, 10)), None, "too soon after the first");
        assert_eq!(c.flush_at(), Some(ms(t0, 50)));
        assert_eq!(c.take_if_due(ms(t0, 50)).as_deref(), Some("lo"));
        assert_eq!(c.flush_at(), None, "nothing waiting");
        assert_eq!(c.into_text(), "Hello");
    }

    #[test]
    fn a_full_buffer_goes_without_waiting() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(DeltaPolicy::default());
        c.push("a", t0);
        assert_eq!(c.push(&"b".repeat(1023), ms(t0, 1)), None);
        assert_eq!(c.push("c", ms(t0, 2)).map(|d| d.len()), Some(1024));
    }

    #[test]
    fn one_token_per_millisecond_for_ten_seconds_costs_at_most_the_budget() {
        let t0 = Instant::now();
        let policy = DeltaPolicy::default();
        let mut c = Coalescer::new(policy);
        let mut joined = String::new();
        for i in 0..10_000u64 {
            if let Some(d) = c.push("x", ms(t0, i)) {
                joined.push_str(&d);
            }
        }
        assert_eq!(
            c.deltas(),
            policy.max_deltas - 1,
            "one delta is kept for the tail"
        );
        assert!(joined.len() < 10_000, "the budget ran out before the end");
        joined.push_str(&c.finish().unwrap_or_default());
        assert_eq!(c.deltas(), policy.max_deltas);
        assert_eq!(
            joined.len(),
            10_000,
            "the deltas join up to the whole answer"
        );
        assert_eq!(c.finish(), None);
        assert_eq!(c.into_text().len(), 10_000, "the stored answer is whole");
    }

    #[test]
    fn the_wait_doubles_so_the_budget_lasts_seconds() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(DeltaPolicy::default());
        let mut last = None;
        for i in 0..10_000u64 {
            if c.push("x", ms(t0, i)).is_some() {
                last = Some(i);
            }
        }
        let last = last.unwrap_or_default();
        assert!(
            last > 3_500,
            "the 18th delta should come after ~4 s of streaming, came at {last} ms"
        );
    }
}
