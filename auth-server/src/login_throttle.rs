//! Brute-force protection for the password grant (RFC 6749 §4.3.2: the server "MUST
//! protect the endpoint against brute force attacks").
//!
//! Each username gets a budget of attempts per minute (a GCRA rate limiter); past it,
//! the login is refused with `invalid_grant` before any password is checked, whatever
//! the password, so a guesser learns nothing and spends no Argon2 time of ours. The
//! budget is per replica and applies to unknown usernames alike. The trade-off, as in
//! every lockout: someone can throttle a victim's password logins (never their
//! refresh tokens) by guessing on their name.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Every this many checks, usernames whose budget has fully recovered are forgotten,
/// so a spray of random usernames cannot grow memory without bound.
const PRUNE_EVERY: u32 = 4_096;

pub struct LoginThrottle {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU32,
}

impl LoginThrottle {
    /// `per_minute` attempts per username, all usable at once.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self { limiter: RateLimiter::keyed(Quota::per_minute(per_minute)), checks: AtomicU32::new(0) }
    }

    /// Spends one attempt of `username`'s budget; false when none is left.
    pub fn allow(&self, username: &str) -> bool {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&username.to_owned()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_username_has_its_own_budget() {
        let throttle = LoginThrottle::new(NonZeroU32::new(3).unwrap());
        assert!((0..3).all(|_| throttle.allow("alice")));
        assert!(!throttle.allow("alice"));
        assert!(throttle.allow("bob"));
    }
}
