//! The access token a client holds, and its renewal: one renewal in flight however
//! many callers need a token.
//!
//! ```text
//! TokenCache::token
//!   ├─ current token fresh?         yes → it (no lock awaited, no call)
//!   ├─ wait for the renewal lock    (a caller arriving during a renewal waits here)
//!   ├─ fresh now?                   yes → it (renewed while we waited)
//!   ├─ the last attempt failed less than its backoff ago (so: also one we waited for)?
//!   │                               yes → the old token while it is usable, else that error
//!   └─ TokenSource::fetch           one token request; success replaces the token
//! TokenCache::invalidate(token)     a 401 invalid_token: drops the token if it is still
//!                                   the current one, so many such 401s cause one renewal
//! ```
//!
//! A renewal that fails leaves the old token in use until it expires, and puts off the
//! next attempt (doubling from [`RETRY_INITIAL`] up to [`RETRY_MAX`], counted from the
//! failure): the callers that waited for that renewal, and those that come during the
//! backoff, get the failure at once instead of each calling the auth server in turn.
//!
//! The renewal runs on the caller that took the lock; if that caller is cancelled
//! (dropped mid-request), the next waiter takes the lock and starts again.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::cached_token::CachedToken;
use super::error::TokenError;
use super::metrics::ClientMetrics;
use super::token_response::IssuedToken;
use crate::verify::backoff::Backoff;

/// First wait after a failed renewal before the next attempt...
const RETRY_INITIAL: Duration = Duration::from_millis(250);
/// ...doubling after each further failure up to this.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Where tokens come from: the auth server's token endpoint, or a test's stand-in.
pub(crate) trait TokenSource: Send + Sync + 'static {
    fn fetch(&self) -> BoxFuture<'_, Result<IssuedToken, TokenError>>;
}

/// The time now; a test moves it by hand.
pub(crate) type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

pub(crate) struct TokenCache {
    source: Box<dyn TokenSource>,
    clock: Clock,
    /// Read by every request; held only to copy or replace the pointer.
    current: Mutex<Option<Arc<CachedToken>>>,
    /// Held across a renewal: the single flight.
    renewal: tokio::sync::Mutex<Renewal>,
    metrics: Arc<ClientMetrics>,
}

/// What the last attempts taught.
struct Renewal {
    failure: Option<Failure>,
    backoff: Backoff,
}

struct Failure {
    error: TokenError,
    /// No new attempt before this.
    retry_at: Instant,
}

impl TokenCache {
    pub(crate) fn new(source: Box<dyn TokenSource>, clock: Clock, metrics: Arc<ClientMetrics>) -> Self {
        Self {
            source,
            clock,
            current: Mutex::new(None),
            renewal: tokio::sync::Mutex::new(Renewal {
                failure: None,
                backoff: Backoff::new(RETRY_INITIAL, RETRY_MAX),
            }),
            metrics,
        }
    }

    /// A token to send: the current one while fresh, else a renewed one.
    pub(crate) async fn token(&self) -> Result<Arc<CachedToken>, TokenError> {
        let current = self.current();
        if let Some(token) = current.filter(|token| token.is_fresh((self.clock)())) {
            return Ok(token);
        }
        let mut renewal = self.renewal.lock().await;
        let now = (self.clock)();
        let current = self.current();
        if let Some(token) = current.as_ref().filter(|token| token.is_fresh(now)) {
            return Ok(token.clone());
        }
        if let Some(failure) = &renewal.failure {
            if now < failure.retry_at {
                return usable_or(current, now, &failure.error);
            }
        }
        let requested_at = (self.clock)();
        let outcome = self.source.fetch().await;
        self.metrics.token_request(outcome.is_ok());
        match outcome {
            Ok(issued) => {
                let token = Arc::new(CachedToken::new(issued.value, requested_at, issued.lifetime));
                *self.lock_current() = Some(token.clone());
                renewal.failure = None;
                renewal.backoff.reset();
                Ok(token)
            }
            Err(error) => {
                let now = (self.clock)();
                let delay = renewal.backoff.next_delay();
                tracing::warn!(
                    error = %shared_claims::error_chain(&error),
                    retry_in_ms = delay.as_millis() as u64,
                    "access token renewal failed"
                );
                let result = usable_or(current, now, &error);
                renewal.failure = Some(Failure { error, retry_at: now + delay });
                result
            }
        }
    }

    /// Forgets `failed` (refused by a service as `invalid_token`) if it is still the
    /// current token: the next [`Self::token`] renews. A token already replaced is
    /// left alone, so concurrent refusals of one token cause one renewal. Returns
    /// whether it was dropped.
    pub(crate) fn invalidate(&self, failed: &Arc<CachedToken>) -> bool {
        let mut current = self.lock_current();
        if current.as_ref().is_some_and(|token| Arc::ptr_eq(token, failed)) {
            *current = None;
            true
        } else {
            false
        }
    }

    fn current(&self) -> Option<Arc<CachedToken>> {
        self.lock_current().clone()
    }

    fn lock_current(&self) -> std::sync::MutexGuard<'_, Option<Arc<CachedToken>>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The old token while it has not expired, else `error`.
fn usable_or(
    current: Option<Arc<CachedToken>>,
    now: Instant,
    error: &TokenError,
) -> Result<Arc<CachedToken>, TokenError> {
    current.filter(|token| token.is_usable(now)).ok_or_else(|| error.clone())
}
