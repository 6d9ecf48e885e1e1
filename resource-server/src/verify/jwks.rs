//! The cached key set of local mode and the rules for refreshing it.
//!
//! ```text
//! spawn_refresher        background: fetch, sleep max-age (clamped), repeat;
//!                        on failure retry with backoff, keep the last good set
//! JwksCache::snapshot    request path: the current keys, no I/O, no await
//! key_for_unknown_kid    request path, only for a kid we do not know:
//!                        queue on one lock (coalescing: one fetch however many wait),
//!                        skip if someone else refreshed meanwhile,
//!                        skip if the last kid-driven fetch was < min_refetch_interval
//!                        ago (a flood of random kids is not a flood of fetches;
//!                        scheduled refreshes do not count, so a key rotated in just
//!                        after one is still picked up)
//! ```
//!
//! The verdict on a `kid` missing from the key set (see
//! [`JwksCache::key_for_unknown_kid`]):
//!
//! ```text
//! key set refreshed since the request looked         → look it up there; absent: 401
//! not rate-limited                                    → fetch now (coalesced):
//!                                                       the fresh set has it → the key
//!                                                       absent from it → 401
//!                                                       fetch failed → 503
//! rate-limited, kid checked absent by this interval's
//!   refetch (by it or a request waiting on it)        → 401 at once
//! rate-limited, a kid never checked                   → wait, lock released, until the
//!                                                       next refetch is allowed (≤ 5 s),
//!                                                       then as above: the first to wake
//!                                                       fetches, the others coalesce
//! rate-limited again after that one wait, or an
//!   interval longer than 5 s left                     → 503 + Retry-After: no verdict
//! ```
//!
//! So a flood of random kids still costs at most one fetch per interval, yet cannot
//! make a genuine new kid arriving in the same interval be refused 401 without any
//! refresh: it waits (bounded) for the next refetch and is judged by it. Waiting was
//! chosen over answering 503 at once because a token whose header was damaged
//! (another `kid`) deserves a verdict (401), and a genuine one should just work;
//! waiting requests hold no lock and no thread.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use shared_claims::ClaimValidator;

use super::backoff::Backoff;
use super::http::FetchError;
use super::key_set::VerificationKey;
use super::{KeySet, KeySource, VerifierMetrics, VerifyError};

/// Kids remembered as checked absent since the last kid-driven fetch: enough for the
/// handful a legitimate client could send, bounded against a flood (beyond it, a
/// rate-limited kid gets 503 rather than 401, the safe side).
const MAX_ABSENT_KIDS: usize = 1024;
/// Longest a request with a never-checked `kid` waits for the next refetch allowed,
/// when rate-limited. Longer intervals (a custom policy) get 503 at once.
const MAX_KID_WAIT: Duration = Duration::from_secs(5);

/// When to fetch the key set again.
#[derive(Debug, Clone)]
pub struct RefreshPolicy {
    /// At most one fetch triggered by unknown `kid`s per this interval.
    pub min_refetch_interval: Duration,
    /// Refresh interval when the JWKS response carries no `max-age`.
    pub default_max_age: Duration,
    /// Bounds applied to the announced `max-age`, so that `max-age=0` cannot make us
    /// poll in a loop and a year-long one cannot pin a withdrawn key.
    pub min_max_age: Duration,
    pub max_max_age: Duration,
    /// Backoff between failed attempts.
    pub retry_initial: Duration,
    pub retry_max: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            min_refetch_interval: Duration::from_secs(5),
            default_max_age: Duration::from_secs(300),
            min_max_age: Duration::from_secs(5),
            max_max_age: Duration::from_secs(3600),
            retry_initial: Duration::from_millis(250),
            retry_max: Duration::from_secs(30),
        }
    }
}

impl RefreshPolicy {
    fn refresh_after(&self, max_age: Option<Duration>) -> Duration {
        max_age.unwrap_or(self.default_max_age).clamp(self.min_max_age, self.max_max_age.max(self.min_max_age))
    }
}

/// What one successful fetch established: the keys and the issuer they speak for.
#[derive(Debug)]
pub(crate) struct KeySnapshot {
    pub validator: ClaimValidator,
    pub keys: KeySet,
    /// Increases with every successful fetch; 0 means "no snapshot yet".
    pub generation: u64,
}

pub(crate) struct JwksCache {
    source: Arc<dyn KeySource>,
    audience: String,
    leeway_secs: i64,
    policy: RefreshPolicy,
    current: RwLock<Option<Arc<KeySnapshot>>>,
    /// Held for the duration of a fetch: this is what coalesces concurrent fetches.
    /// Guards the time of the last `kid`-driven fetch, which rate-limits them.
    fetching: tokio::sync::Mutex<Option<Instant>>,
    /// Kids looked up and found absent in a key set fetched after they were first
    /// met, since the last kid-driven fetch (which clears it). While rate-limited,
    /// these get 401 and every other unknown kid gets 503.
    absent_kids: Mutex<HashSet<Box<str>>>,
    metrics: Arc<VerifierMetrics>,
}

impl JwksCache {
    pub(crate) fn new(
        source: Arc<dyn KeySource>,
        audience: String,
        leeway_secs: i64,
        policy: RefreshPolicy,
        metrics: Arc<VerifierMetrics>,
    ) -> Self {
        Self {
            source,
            audience,
            leeway_secs,
            policy,
            current: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(None),
            absent_kids: Mutex::new(HashSet::new()),
            metrics,
        }
    }

    pub(crate) fn snapshot(&self) -> Option<Arc<KeySnapshot>> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Installs keys directly, without a fetch (static key sets, tests).
    pub(crate) fn install(&self, issuer: String, keys: KeySet) {
        let generation = self.snapshot().map_or(0, |s| s.generation) + 1;
        let validator = ClaimValidator::new(issuer, self.audience.clone()).with_leeway(self.leeway_secs);
        let snapshot = Arc::new(KeySnapshot { validator, keys, generation });
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(snapshot);
    }

    /// Called when a token names a `kid` missing from the snapshot of generation
    /// `seen` (0: there was none). Returns the key and the snapshot it is from, or the
    /// verdict of the module table: [`VerifyError::UnknownKey`] once the `kid` was
    /// checked against a key set fetched after the request began, else
    /// [`VerifyError::Unavailable`].
    pub(crate) async fn key_for_unknown_kid(
        &self,
        kid: &str,
        seen: u64,
    ) -> Result<(Arc<KeySnapshot>, Arc<VerificationKey>), VerifyError> {
        const NO_KEYS: VerifyError = VerifyError::Unavailable("the signing keys are not available yet");
        let mut waited = false;
        let mut last_kid_fetch = loop {
            let last_kid_fetch = self.fetching.lock().await;
            let current = self.snapshot();
            if current.as_ref().map_or(0, |s| s.generation) != seen {
                // Refreshed while we queued or waited (coalesced), or since we looked:
                // a key set at least as recent as the token is the judge.
                return self.look_up(current.ok_or(NO_KEYS)?, kid);
            }
            let since = last_kid_fetch.map(|at| at.elapsed());
            let Some(remaining) = since.and_then(|since| self.policy.min_refetch_interval.checked_sub(since)) else {
                break last_kid_fetch; // not rate-limited: fetch now
            };
            if current.is_none() {
                return Err(NO_KEYS);
            }
            if self.known_absent(kid) {
                return Err(VerifyError::UnknownKey); // checked by this interval's refetch
            }
            if waited || remaining > MAX_KID_WAIT {
                // Still no fresh set after one wait (the refetch failed), or a policy
                // too patient to wait for: no verdict, rather than a wrong 401.
                return Err(VerifyError::Unavailable("the token's signing key is not known yet; retry shortly"));
            }
            // Wait for the next refetch allowed, without holding the lock; whoever
            // wakes first fetches, the others find its key set.
            drop(last_kid_fetch);
            tokio::time::sleep(remaining).await;
            waited = true;
        };
        *last_kid_fetch = Some(Instant::now());
        self.absent_kids.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.metrics.key_set_unknown_kid_fetch();
        if let Err(err) = self.fetch().await {
            tracing::warn!(error = %err, "JWK Set refetch for an unknown kid failed");
            // No fresh set to judge by: the kid may be one we cannot see yet.
            let snapshot = self.snapshot().ok_or(NO_KEYS)?;
            return match snapshot.keys.get(kid).cloned() {
                Some(key) => Ok((snapshot, key)),
                None => Err(VerifyError::Unavailable("the signing keys cannot be refreshed now")),
            };
        }
        self.look_up(self.snapshot().ok_or(NO_KEYS)?, kid)
    }

    /// `kid` in a snapshot fetched after the request began; remembered when absent.
    fn look_up(
        &self,
        snapshot: Arc<KeySnapshot>,
        kid: &str,
    ) -> Result<(Arc<KeySnapshot>, Arc<VerificationKey>), VerifyError> {
        match snapshot.keys.get(kid).cloned() {
            Some(key) => Ok((snapshot, key)),
            None => {
                let mut absent = self.absent_kids.lock().unwrap_or_else(PoisonError::into_inner);
                if absent.len() < MAX_ABSENT_KIDS {
                    absent.insert(kid.into());
                }
                Err(VerifyError::UnknownKey)
            }
        }
    }

    fn known_absent(&self, kid: &str) -> bool {
        self.absent_kids.lock().unwrap_or_else(PoisonError::into_inner).contains(kid)
    }

    /// A scheduled refresh; returns how long to wait before the next one.
    async fn refresh(&self) -> Result<Duration, FetchError> {
        let _fetching = self.fetching.lock().await;
        let max_age = self.fetch().await?;
        Ok(self.policy.refresh_after(max_age))
    }

    /// One fetch; the caller holds `fetching`.
    async fn fetch(&self) -> Result<Option<Duration>, FetchError> {
        let result = self.source.fetch().await;
        self.metrics.key_set_fetch(result.is_ok());
        let fetched = result?;
        tracing::debug!(keys = fetched.keys.len(), issuer = %fetched.issuer, "JWK Set fetched");
        self.install(fetched.issuer, fetched.keys);
        Ok(fetched.max_age)
    }
}

/// Keeps the key set fresh in the background until the cache is dropped.
pub(crate) fn spawn_refresher(cache: &Arc<JwksCache>, runtime: &tokio::runtime::Handle) {
    let weak: Weak<JwksCache> = Arc::downgrade(cache);
    runtime.spawn(async move {
        let mut backoff = None;
        loop {
            let Some(cache) = weak.upgrade() else { return };
            let backoff =
                backoff.get_or_insert_with(|| Backoff::new(cache.policy.retry_initial, cache.policy.retry_max));
            let delay = match cache.refresh().await {
                Ok(delay) => {
                    backoff.reset();
                    delay
                }
                Err(err) => {
                    let delay = backoff.next_delay();
                    let held = cache.snapshot().map_or(0, |s| s.keys.len());
                    tracing::warn!(error = %err, retry_in = ?delay, keys_held = held,
                        "cannot fetch the JWK Set; keeping the last good one");
                    delay
                }
            };
            drop(cache);
            tokio::time::sleep(delay).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_max_age_is_clamped() {
        let policy = RefreshPolicy::default();
        assert_eq!(policy.refresh_after(None), policy.default_max_age);
        assert_eq!(policy.refresh_after(Some(Duration::ZERO)), policy.min_max_age);
        assert_eq!(policy.refresh_after(Some(Duration::from_secs(60))), Duration::from_secs(60));
        assert_eq!(policy.refresh_after(Some(Duration::from_secs(999_999))), policy.max_max_age);
    }
}
