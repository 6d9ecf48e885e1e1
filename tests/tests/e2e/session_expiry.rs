//! Session lifetimes with short TTLs: the sliding window (`AUTH_REFRESH_IDLE_TTL`,
//! renewed by each refresh) and the absolute limit (`AUTH_REFRESH_MAX_TTL`, from login,
//! never extended). Times are read from the shared clock in whole seconds, as the
//! server reads them, and bracket each request, so every assertion holds whatever the
//! machine's load; the waits have deadlines.

use std::time::{Duration, Instant};

use tests::bootstrap::*;
use tests::{poll_until, AuthStack, OAuthClient, Reply, Store};

use crate::support::*;

/// The idle window of the sliding-expiry test, seconds.
const IDLE_TTL: i64 = 3;
/// The absolute session lifetime of the absolute-expiry test, seconds.
const MAX_TTL: i64 = 3;
/// Pause between prompt refreshes: pacing, not a guess at timing.
const PACE: Duration = Duration::from_millis(100);
/// Every loop and wait of these tests ends by then.
const DEADLINE: Duration = Duration::from_secs(30);

/// One refresh with the unix times read just before and just after it.
async fn timed_refresh(client: &OAuthClient, refresh_token: &str) -> (i64, Reply, i64) {
    let before = now();
    let reply = client.token_refresh(WEB_APP, refresh_token).await;
    (before, reply, now())
}

on_both_stores! {
    /// Prompt refreshes keep a session alive past its first idle window; once left
    /// unused for the window, its refresh token is `invalid_grant`.
    async fn sliding_expiry(store: Store) {
        let idle = IDLE_TTL.to_string();
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_REFRESH_IDLE_TTL", idle)).await;
        let client = stack.client();
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        // The first window ends at most IDLE_TTL after the login answered.
        let first_window_end = now() + IDLE_TTL;

        let started = Instant::now();
        let mut current = login.refresh_token().to_owned();
        let last_success = loop {
            assert!(started.elapsed() < DEADLINE, "prompt refreshes did not outlast the first window in {DEADLINE:?}");
            let (before, reply, after) = timed_refresh(&client, &current).await;
            assert_eq!(reply.status, 200, "a prompt refresh keeps the session alive: {reply:?}");
            current = reply.refresh_token().to_owned();
            if before >= first_window_end {
                // The server answered at or after the first window's end: the window slid.
                break after;
            }
            tokio::time::sleep(PACE).await;
        };

        // Left unused: once the window since the last refresh has certainly passed
        // (its server time was at most `last_success`), the token is refused.
        let idle_end = last_success + IDLE_TTL;
        poll_until(DEADLINE, "the idle window to pass", || async move { (now() >= idle_end).then_some(()) }).await;
        let (_, refused, _) = timed_refresh(&client, &current).await;
        assert_oauth_error(&refused, 400, "invalid_grant");
        let again = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        assert_eq!(again.status, 200, "logging in again starts a new session: {again:?}");
    }
}

on_both_stores! {
    /// Refreshing as often as we like does not carry a session past `AUTH_REFRESH_MAX_TTL`
    /// from login: it is refused, and not before that limit.
    async fn absolute_expiry(store: Store) {
        let max = MAX_TTL.to_string();
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_REFRESH_MAX_TTL", max)).await;
        let client = stack.client();
        let login_before = now();
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let login_after = now();

        let started = Instant::now();
        let mut current = login.refresh_token().to_owned();
        let mut successes = 0;
        let (refused, refused_after) = loop {
            assert!(started.elapsed() < DEADLINE, "refreshes were still accepted after {DEADLINE:?}");
            let (before, reply, after) = timed_refresh(&client, &current).await;
            if reply.status != 200 {
                break (reply, after);
            }
            // The server's clock read at least `before`, and the session ends at most
            // MAX_TTL after `login_after`.
            assert!(
                before < login_after + MAX_TTL,
                "a refresh at {before} extended the session past login ({login_after}) + {MAX_TTL} s"
            );
            successes += 1;
            current = reply.refresh_token().to_owned();
            tokio::time::sleep(PACE).await;
        };
        assert_oauth_error(&refused, 400, "invalid_grant");
        assert!(successes > 0, "no refresh succeeded before the limit");
        assert!(
            refused_after >= login_before + MAX_TTL,
            "refused at {refused_after}, before login ({login_before}) + {MAX_TTL} s"
        );
    }
}
