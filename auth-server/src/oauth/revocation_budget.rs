//! A bound on how many revocation records one session or one client can create, so
//! that revoking in a loop (refresh, revoke the new access token, again) cannot grow
//! the revocations in force, and with them every resource server's snapshot and
//! memory, without limit.
//!
//! Each session, and each client for its tokens without a session, may revoke
//! [`REVOCATIONS_PER_MINUTE`] access tokens one by one per minute (a GCRA budget, all
//! usable at once, per replica). Past it:
//! - an access token of a session revokes the whole session instead: one record
//!   covers every token of it, whatever it had issued (RFC 7009 §2.1 allows revoking
//!   related tokens);
//! - an access token without a session (`client_credentials`) is refused with 503
//!   (RFC 7009 §2.2.1: the client must assume the token still exists and may retry
//!   later); it expires within `AUTH_ACCESS_TTL` anyway.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Access tokens one session (or one client, for its session-less tokens) may
/// revoke one by one per minute, unless `AUTH_REVOCATIONS_PER_MINUTE` says otherwise.
pub(crate) const REVOCATIONS_PER_MINUTE: u32 = 10;

/// Every this many checks, keys whose budget has fully recovered are forgotten.
const PRUNE_EVERY: u32 = 4_096;

pub struct RevocationBudget {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU32,
}

impl Default for RevocationBudget {
    fn default() -> Self {
        Self::new(NonZeroU32::new(REVOCATIONS_PER_MINUTE).unwrap_or(NonZeroU32::MIN))
    }
}

impl RevocationBudget {
    /// `per_minute` revocations per session, and per client for its tokens without one.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self { limiter: RateLimiter::keyed(Quota::per_minute(per_minute)), checks: AtomicU32::new(0) }
    }

    /// Spends one revocation of session `sid`'s budget; false when none is left.
    pub fn allow_session(&self, sid: &str) -> bool {
        self.allow(format!("sid:{sid}"))
    }

    /// Spends one revocation of `client_id`'s budget for tokens without a session.
    pub fn allow_client(&self, client_id: &str) -> bool {
        self.allow(format!("client:{client_id}"))
    }

    fn allow(&self, key: String) -> bool {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&key).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_and_clients_have_separate_budgets() {
        let budget = RevocationBudget::default();
        assert!((0..REVOCATIONS_PER_MINUTE).all(|_| budget.allow_session("s1")));
        assert!(!budget.allow_session("s1"));
        assert!(budget.allow_session("s2"));
        assert!(budget.allow_client("s1"), "a client key never shares a session's budget");
    }
}
