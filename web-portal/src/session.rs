//! A signed-in browser session: the tokens, kept server-side, and their refresh.
//!
//! ```text
//! Session::access_token        lock; refresh if the token expires within its margin;
//!                              the current access token
//! Session::after_rejection(t)  lock; if the API refused `t` and `t` is still current,
//!                              refresh; the current access token
//! ```
//!
//! The tokens sit behind an async mutex held across the refresh, so a session has at
//! most one refresh in flight: concurrent requests wait for it and then use its
//! result. With rotating refresh tokens a second, parallel refresh would present a
//! token that was just rotated, which the server treats as reuse and answers by
//! revoking the whole session.

use std::time::{Duration, Instant};

use shared_claims::Secret;
use tokio::sync::Mutex;

use crate::provider::{IssuedTokens, Provider, TokenError};

/// The longest margin before expiry at which a token is refreshed ahead of time.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(30);
/// Assumed lifetime of an access token whose response named none (RFC 6749 §5.1 makes
/// `expires_in` only recommended).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// The longest lifetime believed: a larger `expires_in` (up to 2^64 s) would overflow
/// `Instant`, and a day-old access token is refreshed in any case.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

struct Tokens {
    access_token: Secret,
    refresh_token: Option<Secret>,
    /// When to refresh ahead of expiry.
    refresh_at: Instant,
}

impl Tokens {
    fn new(issued: IssuedTokens, now: Instant) -> Self {
        let lifetime = issued.expires_in.unwrap_or(DEFAULT_LIFETIME).min(MAX_LIFETIME);
        // A third of the lifetime, at most 30 s: short-lived tokens are not refreshed
        // on every request, long-lived ones shortly before they expire.
        let margin = (lifetime / 3).min(MAX_REFRESH_MARGIN);
        Self {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            refresh_at: now.checked_add(lifetime - margin).unwrap_or(now),
        }
    }
}

/// Why a session has no usable access token.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    /// The refresh token was refused or there is none: the user must sign in again.
    #[error("the session has ended")]
    Ended,
    /// The authorization server could not be reached or failed: try again later.
    #[error("cannot refresh the access token: {0}")]
    Unavailable(String),
}

/// One browser's tokens.
pub(crate) struct Session {
    tokens: Mutex<Tokens>,
}

impl Session {
    pub(crate) fn new(issued: IssuedTokens) -> Self {
        Self { tokens: Mutex::new(Tokens::new(issued, Instant::now())) }
    }

    /// A current access token, refreshed first if it is close to expiry.
    pub(crate) async fn access_token(
        &self,
        provider: &Provider,
        http: &reqwest::Client,
    ) -> Result<Secret, SessionError> {
        let mut tokens = self.tokens.lock().await;
        if Instant::now() >= tokens.refresh_at {
            refresh(&mut tokens, provider, http).await?;
        }
        Ok(tokens.access_token.clone())
    }

    /// A new access token after the API refused `rejected` as invalid: refreshed once,
    /// unless a concurrent request has refreshed since `rejected` was handed out.
    pub(crate) async fn after_rejection(
        &self,
        rejected: &Secret,
        provider: &Provider,
        http: &reqwest::Client,
    ) -> Result<Secret, SessionError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.access_token == *rejected {
            refresh(&mut tokens, provider, http).await?;
        }
        Ok(tokens.access_token.clone())
    }

    /// The refresh token, for revocation at sign-out.
    pub(crate) async fn refresh_token(&self) -> Option<Secret> {
        self.tokens.lock().await.refresh_token.clone()
    }
}

async fn refresh(tokens: &mut Tokens, provider: &Provider, http: &reqwest::Client) -> Result<(), SessionError> {
    let Some(refresh_token) = tokens.refresh_token.clone() else { return Err(SessionError::Ended) };
    match provider.refresh(http, &refresh_token).await {
        Ok(mut issued) => {
            // RFC 6749 §6: a response without a new refresh token keeps the old one.
            issued.refresh_token = issued.refresh_token.or(Some(refresh_token));
            *tokens = Tokens::new(issued, Instant::now());
            tracing::info!("access token refreshed");
            Ok(())
        }
        Err(TokenError::InvalidGrant) => {
            tracing::info!("refresh refused (invalid_grant): the session has ended");
            Err(SessionError::Ended)
        }
        Err(TokenError::Other(why)) => {
            tracing::warn!(error = %why, "cannot refresh the access token");
            Err(SessionError::Unavailable(why))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(lifetime: Option<u64>) -> IssuedTokens {
        IssuedTokens {
            access_token: Secret::new("a"),
            refresh_token: Some(Secret::new("r")),
            expires_in: lifetime.map(Duration::from_secs),
        }
    }

    #[test]
    fn refreshes_a_third_of_the_lifetime_early_at_most_30_s() {
        let now = Instant::now();
        assert_eq!(Tokens::new(issued(Some(3)), now).refresh_at, now + Duration::from_secs(2));
        assert_eq!(Tokens::new(issued(Some(300)), now).refresh_at, now + Duration::from_secs(270));
        assert_eq!(Tokens::new(issued(None), now).refresh_at, now + Duration::from_secs(40));
        assert_eq!(Tokens::new(issued(Some(0)), now).refresh_at, now);
    }

    #[test]
    fn a_huge_lifetime_is_capped_at_a_day() {
        let now = Instant::now();
        let day = Duration::from_secs(24 * 60 * 60);
        for lifetime in [u64::MAX, u64::MAX / 2, 10 * 365 * 24 * 60 * 60] {
            let refresh_at = Tokens::new(issued(Some(lifetime)), now).refresh_at;
            assert_eq!(refresh_at, now + day - MAX_REFRESH_MARGIN, "{lifetime}");
        }
    }
}
