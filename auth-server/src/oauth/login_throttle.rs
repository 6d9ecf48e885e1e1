//! Brute-force protection for the password grant (RFC 6749 §4.3.2: the server "MUST
//! protect the endpoint against brute force attacks").
//!
//! Only *failed* attempts count, as OWASP's Authentication Cheat Sheet and Keycloak's
//! brute-force detector do, so a user who knows the password is never slowed down:
//!
//! - per username: `per_username` failures per window; a success resets the count.
//! - per client address: `per_address` failures per window, whatever usernames they
//!   name, so one address cannot spray guesses across many accounts. A success does
//!   not reset it (one valid account of the attacker's must not refill the budget).
//!   IPv6 addresses count per /64, the block one subscriber usually holds.
//!
//! Past either budget the login is refused with `invalid_grant` before the user is
//! looked up or any password is hashed, whatever the password, so a guesser learns
//! nothing and spends no Argon2 time of ours. Unknown usernames are counted like known
//! ones, so the refusal does not tell them apart.
//!
//! ```text
//! LoginThrottle::check ─► (refused) ─► invalid_grant "too many failed login attempts"
//!        └─► Attempt ─► password check ─┬─ Attempt::failed     count on both budgets
//!                                       └─ Attempt::succeeded  reset the username's
//! ```
//!
//! The counters live in the store ([`FailureStore`]): shared by every replica when it
//! is Redis, per process with the embedded store. A window is fixed from its first
//! failure. The budgets are checked before the password check and counted after it,
//! so guesses sent all at once may all pass the check: within one window a username
//! (or address) sees at most its budget plus the guesses in flight at that moment,
//! which the bounded hashing queue caps. The trade-off, as in every lockout: someone
//! can block a victim's password logins for a window (never their refresh tokens) by
//! guessing on their name.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use crate::store::{FailureStore, StoreResult};
use tracing::Instrument;

/// The budgets' window, as the settings name it ("per minute").
const WINDOW: Duration = Duration::from_secs(60);

pub struct LoginThrottle {
    per_username: u64,
    per_address: u64,
    window_secs: u64,
}

/// A login admitted by [`LoginThrottle::check`]: report its outcome with
/// [`Attempt::failed`] or [`Attempt::succeeded`].
#[must_use = "report the outcome, or the failure goes uncounted"]
pub struct Attempt {
    username_key: String,
    address_key: Option<String>,
    username_failures: u64,
    window_secs: u64,
}

impl LoginThrottle {
    /// Failures allowed per window (a minute) for one username and one address.
    pub fn new(per_username: NonZeroU32, per_address: NonZeroU32) -> Self {
        Self {
            per_username: u64::from(per_username.get()),
            per_address: u64::from(per_address.get()),
            window_secs: WINDOW.as_secs(),
        }
    }

    /// Another window length (whole seconds, at least one), for tests.
    pub fn with_window(self, window: Duration) -> Self {
        Self { window_secs: window.as_secs().max(1), ..self }
    }

    /// Admits a login of `username` from `address` (when known), or `None` when
    /// either budget is spent.
    pub async fn check<S: FailureStore + ?Sized>(
        &self,
        store: &S,
        username: &str,
        address: Option<IpAddr>,
    ) -> StoreResult<Option<Attempt>> {
        let username_key = format!("u:{username}");
        let address_key = address.map(address_key);
        let (username_failures, address_failures) = futures_util::future::join(store.failures(&username_key), async {
            match &address_key {
                Some(key) => store.failures(key).await,
                None => Ok(0),
            }
        })
        .instrument(tracing::debug_span!("store.failures"))
        .await;
        let (username_failures, address_failures) = (username_failures?, address_failures?);
        if username_failures >= self.per_username || address_failures >= self.per_address {
            return Ok(None);
        }
        Ok(Some(Attempt { username_key, address_key, username_failures, window_secs: self.window_secs }))
    }
}

impl Attempt {
    /// Counts the failure on the username's and the address's budgets.
    pub async fn failed<S: FailureStore + ?Sized>(self, store: &S) -> StoreResult<()> {
        let (username, address) =
            futures_util::future::join(store.record_failure(&self.username_key, self.window_secs), async {
                match &self.address_key {
                    Some(key) => store.record_failure(key, self.window_secs).await.map(drop),
                    None => Ok(()),
                }
            })
            .instrument(tracing::debug_span!("store.record_failure"))
            .await;
        username?;
        address
    }

    /// Resets the username's failures (the address's stay).
    pub async fn succeeded<S: FailureStore + ?Sized>(self, store: &S) -> StoreResult<()> {
        if self.username_failures == 0 {
            // Nothing to reset, as far as the check saw: spare the store a write.
            return Ok(());
        }
        store.clear_failures(&self.username_key).instrument(tracing::debug_span!("store.clear_failures")).await
    }
}

/// The counter of an address: IPv4 (or IPv4-mapped IPv6) as is, IPv6 by its /64.
fn address_key(address: IpAddr) -> String {
    match address.to_canonical() {
        IpAddr::V4(v4) => format!("a:{v4}"),
        IpAddr::V6(v6) => {
            let network = std::net::Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64));
            format!("a:{network}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn throttle(per_username: u32, per_address: u32) -> LoginThrottle {
        LoginThrottle::new(NonZeroU32::new(per_username).unwrap(), NonZeroU32::new(per_address).unwrap())
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    async fn fail(throttle: &LoginThrottle, store: &MemoryStore, username: &str, address: Option<IpAddr>) -> bool {
        match throttle.check(store, username, address).await.unwrap() {
            Some(attempt) => {
                attempt.failed(store).await.unwrap();
                true
            }
            None => false,
        }
    }

    async fn succeed(throttle: &LoginThrottle, store: &MemoryStore, username: &str, address: Option<IpAddr>) -> bool {
        match throttle.check(store, username, address).await.unwrap() {
            Some(attempt) => {
                attempt.succeeded(store).await.unwrap();
                true
            }
            None => false,
        }
    }

    #[tokio::test]
    async fn successes_are_never_throttled() {
        let (throttle, store) = (throttle(3, 3), MemoryStore::new());
        for _ in 0..25 {
            assert!(succeed(&throttle, &store, "alice", ip("192.0.2.1")).await);
        }
    }

    #[tokio::test]
    async fn failures_are_throttled_per_username_and_a_success_resets_them() {
        let (throttle, store) = (throttle(3, 100), MemoryStore::new());
        assert!(fail(&throttle, &store, "alice", ip("192.0.2.1")).await);
        assert!(fail(&throttle, &store, "alice", ip("192.0.2.2")).await);
        assert!(succeed(&throttle, &store, "alice", ip("192.0.2.3")).await);
        for _ in 0..3 {
            assert!(fail(&throttle, &store, "alice", None).await);
        }
        assert!(!succeed(&throttle, &store, "alice", ip("192.0.2.4")).await, "spent: even the right password");
        assert!(succeed(&throttle, &store, "bob", ip("192.0.2.4")).await, "each username has its own budget");
    }

    #[tokio::test]
    async fn failures_are_throttled_per_address_and_a_success_does_not_reset_them() {
        let (throttle, store) = (throttle(100, 3), MemoryStore::new());
        assert!(fail(&throttle, &store, "u1", ip("192.0.2.1")).await);
        assert!(fail(&throttle, &store, "u2", ip("192.0.2.1")).await);
        assert!(succeed(&throttle, &store, "alice", ip("192.0.2.1")).await);
        assert!(fail(&throttle, &store, "u3", ip("192.0.2.1")).await);
        assert!(!succeed(&throttle, &store, "alice", ip("192.0.2.1")).await);
        assert!(!succeed(&throttle, &store, "alice", ip("::ffff:192.0.2.1")).await, "IPv4-mapped is the same");
        assert!(succeed(&throttle, &store, "alice", ip("192.0.2.2")).await);
        assert!(succeed(&throttle, &store, "alice", None).await, "no address: the username's budget only");
    }

    #[tokio::test]
    async fn ipv6_addresses_count_per_64() {
        let (throttle, store) = (throttle(100, 2), MemoryStore::new());
        assert!(fail(&throttle, &store, "u1", ip("2001:db8:1:2::1")).await);
        assert!(fail(&throttle, &store, "u2", ip("2001:db8:1:2:ffff::9")).await);
        assert!(!succeed(&throttle, &store, "alice", ip("2001:db8:1:2::77")).await);
        assert!(succeed(&throttle, &store, "alice", ip("2001:db8:1:3::1")).await);
    }

    #[tokio::test]
    async fn budgets_return_once_the_window_has_passed() {
        let (throttle, store) = (throttle(1, 1).with_window(Duration::from_secs(1)), MemoryStore::new());
        assert!(fail(&throttle, &store, "alice", ip("192.0.2.1")).await);
        assert!(!succeed(&throttle, &store, "alice", ip("192.0.2.1")).await);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !succeed(&throttle, &store, "alice", ip("192.0.2.1")).await {
            assert!(std::time::Instant::now() < deadline, "still throttled 10 s after a 1 s window");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
