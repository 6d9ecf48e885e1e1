//! Waiting in tests for something that becomes true eventually: poll with a deadline
//! instead of sleeping and hoping, and fail naming what was awaited. Test support
//! only (feature `test-support`); every crate's tests and the end-to-end harness use
//! this one loop.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often the check is made again.
const INTERVAL: Duration = Duration::from_millis(10);

/// Calls `check` until it returns `Ok`, and returns that value; once `timeout` has
/// passed, returns the last `Err`, so the caller can show what it saw instead.
pub async fn poll_until_ok<T, E, F, Fut>(timeout: Duration, mut check: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let outcome = check().await;
        if outcome.is_ok() || Instant::now() >= deadline {
            return outcome;
        }
        tokio::time::sleep(INTERVAL).await;
    }
}

/// Calls `check` until it returns `Some`, and returns that value; `None` once
/// `timeout` has passed, so the caller can explain.
pub async fn try_poll_until<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    poll_until_ok(timeout, || {
        let attempt = check();
        async move { attempt.await.ok_or(()) }
    })
    .await
    .ok()
}

/// Calls `check` until it returns `Some`, and returns that value. Panics naming `what`
/// once `timeout` has passed without success.
#[allow(clippy::panic)] // A test helper: a timeout fails the test.
pub async fn poll_until<T, F, Fut>(timeout: Duration, what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    match try_poll_until(timeout, check).await {
        Some(value) => value,
        None => panic!("timed out after {timeout:?} waiting for {what}"),
    }
}

/// [`poll_until`] for a condition that needs no awaiting.
pub async fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    poll_until(timeout, what, || std::future::ready(condition().then_some(()))).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_what_the_check_found() {
        let mut calls = 0;
        let found = poll_until(Duration::from_secs(5), "the third call", || {
            calls += 1;
            std::future::ready((calls == 3).then_some(calls))
        })
        .await;
        assert_eq!(found, 3);
    }

    #[tokio::test]
    async fn gives_up_at_the_deadline() {
        let last = poll_until_ok(Duration::ZERO, || std::future::ready(Err::<(), _>("never"))).await;
        assert_eq!(last, Err("never"));
        assert_eq!(try_poll_until(Duration::ZERO, || std::future::ready(None::<()>)).await, None);
    }

    #[tokio::test]
    #[should_panic(expected = "waiting for the impossible")]
    async fn a_timeout_names_what_was_awaited() {
        wait_until(Duration::ZERO, "the impossible", || false).await;
    }
}
