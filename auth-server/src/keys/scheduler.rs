//! Automatic rotation: one background task per replica ticks every
//! [`KeyPolicy::refresh_interval`](super::KeyPolicy::refresh_interval) seconds.
//!
//! ```text
//! run(clock) ─► every refresh interval, or when woken:
//!   tick(now) ─► KeyRing::change(lifecycle::plan(keys, now, policy))
//!                  ─ nothing due ─► the set read is installed (this is the reload)
//!                  ─ a transition ─► compare-and-set; won: apply, ask again
//!                                                   lost: re-read, re-plan (the
//!                                                   winner's change is now read)
//! follow_revocations(feed) ─► a `Revocation::Key` from any replica ─► wake
//! ```
//!
//! Every replica runs the same rules on the same stored set, so each transition is
//! performed by exactly one of them (the compare-and-set winner) and all converge.
//! [`KeyScheduler::tick`] takes the time as a parameter: tests drive the clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, Notify};

use super::lifecycle::{self, KeyPolicy, Transition};
use super::{KeyError, KeyRing};
use crate::store::{Revocation, RevocationEvent};

/// Transitions applied in one tick at most: enough for repair, activation,
/// publication and removal falling due together.
const MAX_STEPS: usize = 4;

pub(crate) struct KeyScheduler {
    ring: Arc<KeyRing>,
    policy: KeyPolicy,
    wake: Notify,
    /// Ticks finished by [`Self::run`]: lets a test wait for one instead of sleeping.
    runs: AtomicU64,
}

impl KeyScheduler {
    pub(crate) fn new(ring: Arc<KeyRing>, policy: KeyPolicy) -> Arc<Self> {
        Arc::new(Self { ring, policy, wake: Notify::new(), runs: AtomicU64::new(0) })
    }

    /// How many ticks [`Self::run`] has finished: what tests wait on instead of sleeping.
    #[cfg(test)]
    pub(crate) fn finished_ticks(&self) -> u64 {
        self.runs.load(Ordering::Acquire)
    }

    /// Reloads the key set and applies every transition due at `now`; returns what
    /// this replica applied (empty when nothing was due or another replica won).
    pub(crate) async fn tick(&self, now: i64) -> Result<Vec<Transition>, KeyError> {
        let mut applied = Vec::new();
        for _ in 0..MAX_STEPS {
            match self.ring.change(now, |keys| lifecycle::plan(keys, now, &self.policy)).await? {
                Some(change) => applied.push(change.transition),
                None => break,
            }
        }
        Ok(applied)
    }

    /// Makes the running task tick now (e.g. another replica revoked a key).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Ticks for the life of the process, reading the time from `clock`. A failed
    /// tick (store unreachable) is logged; the key set in force stays in use.
    pub(crate) async fn run(self: Arc<Self>, clock: impl Fn() -> i64 + Send + 'static) {
        let period = Duration::from_secs(self.policy.refresh_interval.unsigned_abs());
        loop {
            if let Err(err) = self.tick(clock()).await {
                tracing::warn!(error = %shared_claims::error_chain(&err), "signing key lifecycle: tick failed; keeping the key set in force");
            }
            self.runs.fetch_add(1, Ordering::Release);
            let _ = tokio::time::timeout(period, self.wake.notified()).await;
        }
    }

    /// Wakes the task whenever the revocation feed carries a key revocation, so a
    /// key revoked on another replica stops signing here within the feed's poll
    /// interval rather than one tick. A lagging receiver may have missed one: wake.
    pub(crate) async fn follow_revocations(self: Arc<Self>, mut events: broadcast::Receiver<Arc<RevocationEvent>>) {
        loop {
            match events.recv().await {
                Ok(event) if matches!(event.revocation, Revocation::Key { .. }) => self.wake(),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => self.wake(),
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}
