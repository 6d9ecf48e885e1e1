//! Session lifetimes with short TTLs: the sliding window (`AUTH_REFRESH_IDLE_TTL`,
//! renewed by each refresh) and the absolute limit (`AUTH_REFRESH_MAX_TTL`, from login,
//! never extended). Times are read from the shared clock in whole seconds, as the
//! server reads them, and bracket each request, so every assertion holds whatever the
//! machine's load: a refresh must succeed only when the brackets prove the session
//! was still live when the server read its clock; when a stall left that unproven
//! and the refresh was refused, the test logs in again (a bounded number of times).
//! The waits have deadlines.

use std::time::{Duration, Instant};

use tests::bootstrap::*;
use tests::{poll_until, AuthStack, OAuthClient, Reply, Store};

use crate::support::*;

/// The idle window of the sliding-expiry test, seconds.
const IDLE_TTL: i64 = 5;
/// The absolute session lifetime of the absolute-expiry test, seconds.
const MAX_TTL: i64 = 5;
/// Pause between prompt refreshes: pacing, not a guess at timing.
const PACE: Duration = Duration::from_millis(100);
/// Every loop and wait of these tests ends by then.
const DEADLINE: Duration = Duration::from_secs(30);
/// How many sessions a test may start when a stall left an outcome unproven.
const LOGINS: usize = 3;

/// One refresh with the unix times read just before and just after it.
async fn timed_refresh(client: &OAuthClient, refresh_token: &str) -> (i64, Reply, i64) {
    let before = now();
    let reply = client.token_refresh(WEB_APP, refresh_token).await;
    (before, reply, now())
}

/// A login with the unix times read just before and just after it.
async fn timed_login(client: &OAuthClient) -> (i64, Reply, i64) {
    let before = now();
    let reply = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    assert_eq!(reply.status, 200, "login: {reply:?}");
    (before, reply, now())
}

on_both_stores! {
    /// Prompt refreshes keep a session alive past its first idle window; once left
    /// unused for the window, its refresh token is `invalid_grant`.
    async fn sliding_expiry(store: Store) {
        let idle = IDLE_TTL.to_string();
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_REFRESH_IDLE_TTL", idle)).await;
        let client = stack.client();
        let started = Instant::now();
        let mut logins = Vec::new();
        let (current, last_success) = 'session: loop {
            assert!(logins.len() < LOGINS, "{LOGINS} sessions were cut short by stalls: {logins:?}");
            let (login_before, login, login_after) = timed_login(&client).await;
            // The first window ends at most IDLE_TTL after the login answered.
            let first_window_end = login_after + IDLE_TTL;
            let mut current = login.refresh_token().to_owned();
            // When the last success (the login, then each refresh) was sent: the server
            // read its clock for it no earlier.
            let mut previous_before = login_before;
            loop {
                assert!(
                    started.elapsed() < DEADLINE,
                    "prompt refreshes did not outlast the first window in {DEADLINE:?}"
                );
                let (before, reply, after) = timed_refresh(&client, &current).await;
                if reply.status != 200 {
                    // The window since the last success ends no earlier than IDLE_TTL after
                    // that success was sent; the server read its clock by `after`.
                    assert!(
                        after >= previous_before + IDLE_TTL,
                        "a prompt refresh (answered by {after}, the last success sent at {previous_before}, \
                         window {IDLE_TTL} s) was refused: {reply:?}"
                    );
                    logins.push(format!("refused at {after}, the last success sent at {previous_before}"));
                    continue 'session;
                }
                current = reply.refresh_token().to_owned();
                previous_before = before;
                if before >= first_window_end {
                    // The server answered at or after the first window's end: the window slid.
                    break 'session (current, after);
                }
                tokio::time::sleep(PACE).await;
            }
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
        let started = Instant::now();
        let mut logins = Vec::new();
        let (login_before, login_after, first) = loop {
            assert!(logins.len() < LOGINS, "{LOGINS} sessions ended before a first refresh: {logins:?}");
            let (login_before, login, login_after) = timed_login(&client).await;
            let first = timed_refresh(&client, login.refresh_token()).await;
            let (before, reply, after) = &first;
            if reply.status == 200 {
                assert!(
                    *before < login_after + MAX_TTL,
                    "a refresh at {before} extended the session past login ({login_after}) + {MAX_TTL} s"
                );
                break (login_before, login_after, first);
            }
            // The session ends no earlier than MAX_TTL after the login was sent; the
            // server read its clock for the refresh by `after`.
            assert!(
                *after >= login_before + MAX_TTL,
                "the first refresh (answered by {after}) was refused before login ({login_before}) + {MAX_TTL} s: \
                 {reply:?}"
            );
            logins.push(format!("login at {login_before}, first refresh refused at {after}"));
        };

        // Refresh until refused: each success within the limit, the refusal not before it.
        let (_, first_reply, _) = first;
        let mut current = first_reply.refresh_token().to_owned();
        let mut successes = 1;
        let (refused, refused_after) = loop {
            assert!(started.elapsed() < DEADLINE, "refreshes were still accepted after {DEADLINE:?}");
            tokio::time::sleep(PACE).await;
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
        };
        assert_oauth_error(&refused, 400, "invalid_grant");
        assert!(
            refused_after >= login_before + MAX_TTL,
            "refused at {refused_after}, before login ({login_before}) + {MAX_TTL} s (after {successes} refreshes)"
        );
    }
}
