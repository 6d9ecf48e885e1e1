//! Whether the revocation view can be trusted: it was synchronised once (a snapshot
//! applied) and the feed has been heard from (any bytes, keepalive comments included)
//! within `RS_REVOCATION_MAX_STALENESS`.
//!
//! Times are passed in (`now: Instant`), so the decision is a pure function of the
//! recorded contact and the caller's clock; the request path reads two atomics.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `last_contact` value meaning "never heard from".
const NEVER: u64 = 0;

#[derive(Debug)]
pub(crate) struct FeedHealth {
    origin: Instant,
    max_staleness: Duration,
    /// Milliseconds from `origin` to the last contact, plus one (0: never).
    last_contact: AtomicU64,
    /// A snapshot has been applied: from now on the view is complete up to its cursor
    /// and resuming keeps it so.
    synced: AtomicBool,
    /// The auth server's metadata announces no feed at all.
    absent: AtomicBool,
    /// The liveness last reported (log lines, gauge): each transition is reported once.
    reported_live: AtomicBool,
}

/// A change of liveness, to be logged once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    BecameLive,
    BecameStale,
}

impl FeedHealth {
    pub(crate) fn new(max_staleness: Duration, origin: Instant) -> Self {
        Self {
            origin,
            max_staleness,
            last_contact: AtomicU64::new(NEVER),
            synced: AtomicBool::new(false),
            absent: AtomicBool::new(false),
            reported_live: AtomicBool::new(false),
        }
    }

    pub(crate) fn max_staleness(&self) -> Duration {
        self.max_staleness
    }

    /// Bytes arrived from the feed at `now`.
    pub(crate) fn contact(&self, now: Instant) {
        let millis = u64::try_from(now.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX - 1);
        self.last_contact.fetch_max(millis + 1, Ordering::AcqRel);
    }

    /// A snapshot was applied: the view is complete.
    pub(crate) fn mark_synced(&self) {
        self.synced.store(true, Ordering::Release);
    }

    /// The view may have lost a revocation (an unreadable event): not trusted again
    /// until a fresh snapshot is applied, whatever the contact.
    pub(crate) fn mark_unsynced(&self) {
        self.synced.store(false, Ordering::Release);
    }

    pub(crate) fn is_synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }

    pub(crate) fn set_absent(&self, absent: bool) {
        self.absent.store(absent, Ordering::Release);
    }

    /// The auth server announces no revocation feed.
    pub(crate) fn is_absent(&self) -> bool {
        self.absent.load(Ordering::Acquire)
    }

    /// Trusted at `now`: synchronised, and heard from within the staleness bound.
    pub(crate) fn is_live_at(&self, now: Instant) -> bool {
        self.synced.load(Ordering::Acquire) && self.since_contact(now).is_some_and(|age| age <= self.max_staleness)
    }

    pub(crate) fn is_live(&self) -> bool {
        self.is_live_at(Instant::now())
    }

    /// Time since the last contact, `None` if there was none.
    pub(crate) fn since_contact(&self, now: Instant) -> Option<Duration> {
        match self.last_contact.load(Ordering::Acquire) {
            NEVER => None,
            stamp => Some(now.saturating_duration_since(self.origin + Duration::from_millis(stamp - 1))),
        }
    }

    /// Liveness at `now` compared with what was last reported. Several callers may
    /// race; the atomic swap makes exactly one of them see each transition.
    pub(crate) fn transition(&self, now: Instant) -> Option<Transition> {
        let live = self.is_live_at(now);
        match (self.reported_live.swap(live, Ordering::AcqRel), live) {
            (false, true) => Some(Transition::BecameLive),
            (true, false) => Some(Transition::BecameStale),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: Duration = Duration::from_secs(30);

    #[test]
    fn live_only_once_synced_and_while_heard_from() {
        let t0 = Instant::now();
        let health = FeedHealth::new(BOUND, t0);
        assert!(!health.is_live_at(t0));
        health.contact(t0);
        assert!(!health.is_live_at(t0), "contact without a snapshot is not enough");
        health.mark_synced();
        assert!(health.is_live_at(t0 + BOUND));
        assert!(!health.is_live_at(t0 + BOUND + Duration::from_millis(1)));
        health.contact(t0 + BOUND + Duration::from_secs(5));
        assert!(health.is_live_at(t0 + BOUND + Duration::from_secs(6)));
        assert_eq!(health.since_contact(t0 + BOUND + Duration::from_secs(6)), Some(Duration::from_secs(1)));
    }

    #[test]
    fn unsynced_is_not_live_whatever_the_contact() {
        let t0 = Instant::now();
        let health = FeedHealth::new(BOUND, t0);
        health.mark_synced();
        health.contact(t0);
        assert!(health.is_live_at(t0));
        health.mark_unsynced();
        assert!(!health.is_synced());
        health.contact(t0 + Duration::from_secs(1));
        assert!(!health.is_live_at(t0 + Duration::from_secs(1)), "contact alone does not restore trust");
        assert_eq!(health.transition(t0), None, "never reported live");
        health.mark_synced();
        assert!(health.is_live_at(t0 + Duration::from_secs(1)));
    }

    #[test]
    fn contact_never_moves_backwards() {
        let t0 = Instant::now();
        let health = FeedHealth::new(BOUND, t0);
        health.contact(t0 + Duration::from_secs(10));
        health.contact(t0 + Duration::from_secs(1));
        assert_eq!(health.since_contact(t0 + Duration::from_secs(10)), Some(Duration::ZERO));
    }

    #[test]
    fn each_transition_is_reported_once() {
        let t0 = Instant::now();
        let health = FeedHealth::new(BOUND, t0);
        assert_eq!(health.transition(t0), None, "never live is not a transition");
        health.mark_synced();
        health.contact(t0);
        assert_eq!(health.transition(t0), Some(Transition::BecameLive));
        assert_eq!(health.transition(t0 + Duration::from_secs(1)), None);
        let late = t0 + BOUND + Duration::from_secs(1);
        assert_eq!(health.transition(late), Some(Transition::BecameStale));
        assert_eq!(health.transition(late), None);
        health.contact(late);
        assert_eq!(health.transition(late), Some(Transition::BecameLive));
    }
}
