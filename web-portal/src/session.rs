//! A signed-in browser session: the tokens, kept server-side, and their refresh.
//!
//! ```text
//! Session::access_token        lock (bounded wait); refresh if the token expires within
//!                              its margin; the current access token
//! Session::after_rejection(t)  lock; if the API refused `t` and `t` is still current,
//!                              refresh; the current access token
//! ```
//!
//! The tokens sit behind an async mutex held across the refresh, so a session has at
//! most one refresh in flight: concurrent requests wait for it and then use its
//! result. With rotating refresh tokens a second, parallel refresh would present a
//! token that was just rotated, which the server treats as reuse and answers by
//! revoking the whole session. For the same reason the refresh runs in a task of its
//! own that holds the lock: a request dropped mid-refresh (the browser went away)
//! cannot lose the rotated tokens.
//!
//! What a refresh found out is kept for those still waiting: a refused refresh token
//! ends the tokens for good (nobody presents it again), and an unreachable
//! authorization server is remembered for a few seconds, so queued requests answer
//! 503 at once instead of each trying again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use shared_claims::Secret;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::provider::{IssuedTokens, Provider, TokenError, AUTH_SERVER_TIMEOUT};

/// The longest margin before expiry at which a token is refreshed ahead of time.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(30);
/// Assumed lifetime of an access token whose response named none (RFC 6749 §5.1 makes
/// `expires_in` only recommended).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// The longest lifetime believed: a larger `expires_in` (up to 2^64 s) would overflow
/// `Instant`, and a day-old access token is refreshed in any case.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a failed refresh (authorization server unavailable) answers for the
/// session before the next attempt.
const FAILURE_MEMORY: Duration = Duration::from_secs(5);
/// The longest a request waits for the session's lock: one refresh and some slack.
const LOCK_WAIT: Duration = AUTH_SERVER_TIMEOUT.saturating_add(Duration::from_secs(5));

struct Tokens {
    access_token: Secret,
    refresh_token: Option<Secret>,
    /// When to refresh ahead of expiry.
    refresh_at: Instant,
    /// The refresh token was refused: nothing more to try.
    ended: bool,
    /// The last refresh could not reach the authorization server: until when that
    /// answer stands, and why.
    unavailable: Option<(Instant, String)>,
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
            ended: false,
            unavailable: None,
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
    tokens: Arc<Mutex<Tokens>>,
}

impl Session {
    pub(crate) fn new(issued: IssuedTokens) -> Self {
        Self { tokens: Arc::new(Mutex::new(Tokens::new(issued, Instant::now()))) }
    }

    async fn lock(&self) -> Result<OwnedMutexGuard<Tokens>, SessionError> {
        tokio::time::timeout(LOCK_WAIT, self.tokens.clone().lock_owned())
            .await
            .map_err(|_| SessionError::Unavailable("the session is busy refreshing".to_owned()))
    }

    /// A current access token, refreshed first if it is close to expiry.
    pub(crate) async fn access_token(
        &self,
        provider: &Arc<Provider>,
        http: &reqwest::Client,
    ) -> Result<Secret, SessionError> {
        let mut tokens = self.lock().await?;
        if tokens.ended {
            return Err(SessionError::Ended);
        }
        if Instant::now() >= tokens.refresh_at {
            tokens = refresh(tokens, provider, http).await?;
        }
        Ok(tokens.access_token.clone())
    }

    /// A new access token after the API refused `rejected` as invalid: refreshed once,
    /// unless a concurrent request has refreshed since `rejected` was handed out.
    pub(crate) async fn after_rejection(
        &self,
        rejected: &Secret,
        provider: &Arc<Provider>,
        http: &reqwest::Client,
    ) -> Result<Secret, SessionError> {
        let mut tokens = self.lock().await?;
        if tokens.ended {
            return Err(SessionError::Ended);
        }
        if tokens.access_token == *rejected {
            tokens = refresh(tokens, provider, http).await?;
        }
        Ok(tokens.access_token.clone())
    }

    /// The refresh token, for revocation at sign-out.
    pub(crate) async fn refresh_token(&self) -> Option<Secret> {
        self.lock().await.ok()?.refresh_token.clone()
    }
}

/// Refreshes in a task of its own that holds the lock; the lock comes back with the
/// outcome.
async fn refresh(
    tokens: OwnedMutexGuard<Tokens>,
    provider: &Arc<Provider>,
    http: &reqwest::Client,
) -> Result<OwnedMutexGuard<Tokens>, SessionError> {
    if let Some((until, why)) = &tokens.unavailable {
        if Instant::now() < *until {
            return Err(SessionError::Unavailable(why.clone()));
        }
    }
    let (provider, http) = (provider.clone(), http.clone());
    let task = tokio::spawn(async move {
        let mut tokens = tokens;
        let outcome = refresh_locked(&mut tokens, &provider, &http).await;
        outcome.map(|()| tokens)
    });
    task.await.map_err(|err| SessionError::Unavailable(format!("the refresh did not finish: {err}")))?
}

async fn refresh_locked(tokens: &mut Tokens, provider: &Provider, http: &reqwest::Client) -> Result<(), SessionError> {
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        tokens.ended = true;
        return Err(SessionError::Ended);
    };
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
            tokens.ended = true;
            tokens.refresh_token = None;
            Err(SessionError::Ended)
        }
        Err(TokenError::Other(why)) => {
            tracing::warn!(error = %why, "cannot refresh the access token");
            let until = Instant::now().checked_add(FAILURE_MEMORY).unwrap_or_else(Instant::now);
            tokens.unavailable = Some((until, why.clone()));
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
        let day = MAX_LIFETIME;
        for lifetime in [u64::MAX, u64::MAX / 2, 10 * 365 * 24 * 60 * 60] {
            let refresh_at = Tokens::new(issued(Some(lifetime)), now).refresh_at;
            assert_eq!(refresh_at, now + day - MAX_REFRESH_MARGIN, "{lifetime}");
        }
    }
}
