//! Pure helpers: latency percentiles, the history seq checker, number formatting.
//!
//! Latencies are kept as raw nanosecond samples and sorted once at the end: a run is
//! bounded (at most `messages × members × connections` samples), so exact percentiles
//! cost a few MB at most and need no histogram dependency.

use std::fmt;

/// p50/p90/p99/max of a set of latency samples, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    pub count: usize,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

impl Percentiles {
    /// Nearest-rank percentiles (the smallest sample with at least q of all samples at
    /// or below it), so p100 is the max and every value reported was actually observed.
    pub fn of(mut samples: Vec<u64>) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_unstable();
        Percentiles {
            count: samples.len(),
            p50: nearest_rank(&samples, 0.50),
            p90: nearest_rank(&samples, 0.90),
            p99: nearest_rank(&samples, 0.99),
            max: samples[samples.len() - 1],
        }
    }

    /// `p50/p90/p99/max` in milliseconds, for the table.
    pub fn compact(&self) -> String {
        if self.count == 0 {
            return "-".into();
        }
        format!(
            "{}/{}/{}/{}",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max)
        )
    }
}

impl Percentiles {
    /// `p50/max` in milliseconds, for a diagnostic column.
    pub fn compact_p50_max(&self) -> String {
        if self.count == 0 {
            return "-".into();
        }
        format!("{}/{}", ms(self.p50), ms(self.max))
    }
}

impl fmt::Display for Percentiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 0 {
            return write!(f, "no samples");
        }
        write!(
            f,
            "p50 {} ms  p90 {} ms  p99 {} ms  max {} ms  (n={})",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
            self.count
        )
    }
}

/// `sorted` must be non-empty and ascending.
fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Nanoseconds as milliseconds with a precision that suits the size.
pub fn ms(nanos: u64) -> String {
    let ms = nanos as f64 / 1e6;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else if ms < 100.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// What is wrong with a room's history seqs, read in page order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeqProblem {
    /// The first message is not seq 1 (seqs start at 1 in every room).
    BadStart { first: u64 },
    /// `next` came after `prev` but is not `prev + 1`.
    Gap { prev: u64, next: u64 },
    /// `next` came after `prev` and is not larger (duplicate or out of order).
    NotIncreasing { prev: u64, next: u64 },
}

impl fmt::Display for SeqProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeqProblem::BadStart { first } => write!(f, "history starts at seq {first}, not 1"),
            SeqProblem::Gap { prev, next } => write!(f, "gap: seq {prev} is followed by {next}"),
            SeqProblem::NotIncreasing { prev, next } => {
                write!(f, "seq {prev} is followed by {next} (not increasing)")
            }
        }
    }
}

/// Checks that a room's complete history is 1, 2, 3, … with nothing missing or repeated.
pub fn check_seqs(seqs: &[u64]) -> Vec<SeqProblem> {
    let mut problems = Vec::new();
    if let Some(&first) = seqs.first() {
        if first != 1 {
            problems.push(SeqProblem::BadStart { first });
        }
    }
    for pair in seqs.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        if next <= prev {
            problems.push(SeqProblem::NotIncreasing { prev, next });
        } else if next != prev + 1 {
            problems.push(SeqProblem::Gap { prev, next });
        }
    }
    problems
}

/// Events per second, 0 when no time passed.
pub fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<u64> = (1..=100).collect();
        let p = Percentiles::of(samples);
        assert_eq!(
            (p.count, p.p50, p.p90, p.p99, p.max),
            (100, 50, 90, 99, 100)
        );

        // Order of input does not matter; a single sample is every percentile.
        assert_eq!(Percentiles::of(vec![7]).p99, 7);
        let p = Percentiles::of(vec![30, 10, 20]);
        assert_eq!((p.p50, p.p90, p.max), (20, 30, 30));
        assert_eq!(Percentiles::of(Vec::new()), Percentiles::default());
        assert_eq!(Percentiles::of(Vec::new()).compact(), "-");
        assert_eq!(
            Percentiles::of(vec![1_000_000, 3_000_000]).compact_p50_max(),
            "1.00/3.00"
        );
    }

    #[test]
    fn millisecond_formatting_scales() {
        assert_eq!(ms(1_234_567), "1.23");
        assert_eq!(ms(12_345_678), "12.3");
        assert_eq!(ms(123_456_789), "123");
    }

    #[test]
    fn seq_checker_finds_gaps_repeats_and_a_bad_start() {
        assert!(check_seqs(&[]).is_empty());
        assert!(check_seqs(&[1, 2, 3, 4]).is_empty());
        assert_eq!(
            check_seqs(&[1, 2, 4]),
            vec![SeqProblem::Gap { prev: 2, next: 4 }]
        );
        assert_eq!(
            check_seqs(&[1, 2, 2, 3]),
            vec![SeqProblem::NotIncreasing { prev: 2, next: 2 }]
        );
        assert_eq!(
            check_seqs(&[1, 3, 2]),
            vec![
                SeqProblem::Gap { prev: 1, next: 3 },
                SeqProblem::NotIncreasing { prev: 3, next: 2 }
            ]
        );
        assert_eq!(check_seqs(&[2, 3]), vec![SeqProblem::BadStart { first: 2 }]);
    }

    #[test]
    fn rates_tolerate_zero_time() {
        assert_eq!(per_second(10, 0.0), 0.0);
        assert_eq!(per_second(10, 2.0), 5.0);
    }
}
