//! Exponential backoff for background retries against the auth server.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Doubles the wait after each failure, from `initial` up to `max`; reset on success.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, max, next: initial }
    }

    /// The wait before the next attempt; grows for the one after.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        // Saturating: a huge `initial` or `max` must not overflow-panic.
        self.next = self.next.saturating_mul(2).min(self.max);
        delay
    }

    /// [`Self::next_delay`] with "equal jitter": half the delay plus a random part of
    /// the other half, so that many resource servers cut off together (an auth-server
    /// restart) do not all reconnect in the same millisecond.
    pub(crate) fn next_delay_jittered(&mut self) -> Duration {
        let delay = self.next_delay();
        let half = delay / 2;
        let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(random_u64() % spread.saturating_add(1))
    }

    pub(crate) fn reset(&mut self) {
        self.next = self.initial;
    }
}

/// A random number from the standard library's per-instance SipHash keys: plenty for
/// spreading reconnections, no extra crate.
fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let delays: Vec<_> = (0..4).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350]);
        backoff.reset();
        assert_eq!(backoff.next_delay().as_millis(), 100);
    }

    #[test]
    fn huge_delays_saturate_instead_of_overflowing() {
        let mut backoff = Backoff::new(Duration::MAX / 2 + Duration::from_secs(1), Duration::MAX);
        backoff.next_delay();
        assert_eq!(backoff.next_delay(), Duration::MAX);
        assert_eq!(backoff.next_delay(), Duration::MAX);
        backoff.next_delay_jittered();
    }

    #[test]
    fn jitter_stays_within_half_and_full_delay() {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_millis(200));
        let delays: Vec<_> = (0..100).map(|_| backoff.next_delay_jittered()).collect();
        assert!(delays.iter().all(|d| (Duration::from_millis(100)..=Duration::from_millis(200)).contains(d)));
        assert!(delays.iter().any(|d| *d != delays[0]), "delays vary");
    }
}
