//! How long a failed delivery waits before its next attempt: exponential backoff with full
//! jitter (a uniformly random wait between zero and `base · 2^(attempt-1)`, capped).
//!
//! Full jitter rather than a fixed schedule because the failures come in herds: when the
//! CRM is down, every pending delivery fails at once, and fixed delays would bring them
//! all back at once too.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff { base, cap: cap.max(base) }
    }

    /// The longest wait after the `failures`-th failed attempt (1 for the first):
    /// `base · 2^(failures-1)`, at most `cap`.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(63);
        let base = self.base.as_nanos();
        let grown = base.saturating_mul(1u128 << doublings);
        Duration::from_nanos(grown.min(self.cap.as_nanos()).min(u64::MAX as u128) as u64)
    }

    /// A random wait in `[0, ceiling(failures)]`.
    pub fn delay(&self, failures: u32, jitter: &mut Jitter) -> Duration {
        let ceiling = self.ceiling(failures).as_nanos() as u64;
        Duration::from_nanos(if ceiling == 0 { 0 } else { jitter.next_u64() % (ceiling + 1) })
    }
}

/// A small random number generator for jitter (xorshift64*), seeded from the standard
/// library's per-process random hasher keys: no need for cryptographic quality, only for
/// two processes (or two deliveries) not to pick the same waits.
pub struct Jitter(u64);

impl Jitter {
    pub fn new() -> Jitter {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
        Jitter(h.finish() | 1)
    }

    pub fn seeded(seed: u64) -> Jitter {
        Jitter(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

impl Default for Jitter {
    fn default() -> Self {
        Jitter::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn ceiling_doubles_from_the_base_and_stops_at_the_cap() {
        let b = Backoff::new(1000 * MS, 600_000 * MS);
        assert_eq!(b.ceiling(1), 1000 * MS);
        assert_eq!(b.ceiling(2), 2000 * MS);
        assert_eq!(b.ceiling(5), 16_000 * MS);
        assert_eq!(b.ceiling(10), 512_000 * MS);
        assert_eq!(b.ceiling(11), 600_000 * MS, "1024 s is past the 10 min cap");
        assert_eq!(b.ceiling(1000), 600_000 * MS, "no overflow however many failures");
        assert_eq!(b.ceiling(0), 1000 * MS);
        assert_eq!(Backoff::new(50 * MS, 10 * MS).cap, 50 * MS, "a cap below the base is raised to it");
    }

    #[test]
    fn delays_stay_within_zero_and_the_ceiling_and_spread_over_it() {
        let b = Backoff::new(50 * MS, 2000 * MS);
        let mut jitter = Jitter::seeded(7);
        for failures in 1..=20 {
            let ceiling = b.ceiling(failures);
            let delays: Vec<Duration> = (0..500).map(|_| b.delay(failures, &mut jitter)).collect();
            assert!(delays.iter().all(|d| *d <= ceiling), "failure {failures}: a delay above {ceiling:?}");
            // Full jitter: the waits cover the whole range, not just its top.
            let low = delays.iter().filter(|d| **d < ceiling / 4).count();
            let high = delays.iter().filter(|d| **d > ceiling * 3 / 4).count();
            assert!(low > 50 && high > 50, "failure {failures}: {low} low and {high} high of 500");
        }
    }

    #[test]
    fn two_generators_do_not_repeat_each_other() {
        let (mut a, mut b) = (Jitter::new(), Jitter::new());
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_ne!(xs, ys);
    }
}
