//! One access token as the client holds it: the value and two instants worked out from
//! `expires_in` (RFC 6749 §5.1), when to renew it and when it stops being usable.

use std::time::{Duration, Instant};

use crate::Secret;

/// Renewal starts this long before the end at most, however long the lifetime...
const MAX_MARGIN: Duration = Duration::from_secs(30);
/// ...and this long at least, so a short-lived token is not sent just as it expires
/// (a request takes time, and clocks differ a little).
const MIN_MARGIN: Duration = Duration::from_secs(1);
/// Longer lifetimes count as this: renewing once a day costs nothing, and an absurd
/// `expires_in` cannot overflow an `Instant`.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(86_400);

/// An access token and its timetable.
#[derive(Debug)]
pub(crate) struct CachedToken {
    value: Secret,
    renew_at: Instant,
    expires_at: Instant,
}

impl CachedToken {
    /// `requested_at`: when the token request was sent. `expires_in` counts from the
    /// answer, which came later: counting from the request errs on the early side.
    pub(crate) fn new(value: Secret, requested_at: Instant, lifetime: Duration) -> Self {
        let lifetime = lifetime.min(MAX_LIFETIME);
        let at = |after: Duration| requested_at.checked_add(after).unwrap_or(requested_at);
        let expires_at = at(lifetime);
        let renew_at = at(lifetime.saturating_sub(renewal_margin(lifetime)));
        Self { value, renew_at, expires_at }
    }

    pub(crate) fn value(&self) -> &Secret {
        &self.value
    }

    /// Before its renewal time: used without asking anything.
    pub(crate) fn is_fresh(&self, now: Instant) -> bool {
        now < self.renew_at
    }

    /// Not yet expired: still worth sending while a renewal fails.
    pub(crate) fn is_usable(&self, now: Instant) -> bool {
        now < self.expires_at
    }
}

/// How long before the end of `lifetime` a token is renewed: a tenth of it, between
/// [`MIN_MARGIN`] and [`MAX_MARGIN`], and never more than half of it, so that even a
/// 1 s token is used for a while before it is replaced.
pub(crate) fn renewal_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).clamp(MIN_MARGIN, MAX_MARGIN).min(lifetime / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(value: f64) -> Duration {
        Duration::from_secs_f64(value)
    }

    #[test]
    fn the_margin_is_a_tenth_between_one_and_thirty_seconds() {
        assert_eq!(renewal_margin(secs(300.0)), secs(30.0));
        assert_eq!(renewal_margin(secs(3600.0)), secs(30.0));
        assert_eq!(renewal_margin(secs(60.0)), secs(6.0));
        assert_eq!(renewal_margin(secs(5.0)), secs(1.0));
        assert_eq!(renewal_margin(secs(2.0)), secs(1.0));
        assert_eq!(renewal_margin(secs(1.0)), secs(0.5));
        assert_eq!(renewal_margin(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn fresh_until_the_margin_then_usable_until_the_end() {
        let t0 = Instant::now();
        let token = CachedToken::new(Secret::new("t"), t0, secs(60.0));
        assert!(token.is_fresh(t0));
        assert!(token.is_fresh(t0 + secs(53.9)));
        assert!(!token.is_fresh(t0 + secs(54.0)));
        assert!(token.is_usable(t0 + secs(59.9)));
        assert!(!token.is_usable(t0 + secs(60.0)));
    }

    #[test]
    fn a_huge_lifetime_counts_as_a_day() {
        let t0 = Instant::now();
        let token = CachedToken::new(Secret::new("t"), t0, Duration::MAX);
        assert!(token.is_fresh(t0 + secs(86_369.0)));
        assert!(!token.is_fresh(t0 + secs(86_370.0)));
        assert!(!token.is_usable(t0 + MAX_LIFETIME));
    }
}
