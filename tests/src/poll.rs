//! Waiting for something that becomes true eventually, with a deadline instead of a
//! sleep-and-hope.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often [`poll_until`] asks again.
const INTERVAL: Duration = Duration::from_millis(25);

/// Calls `check` until it returns `Some`, and returns that value. Panics with `what` once
/// `timeout` has passed without success.
pub async fn poll_until<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    match try_poll_until(timeout, &mut check).await {
        Some(value) => value,
        None => panic!("timed out after {timeout:?} waiting for {what}"),
    }
}

/// Like [`poll_until`], but returns `None` on timeout so the caller can explain.
pub async fn try_poll_until<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(INTERVAL).await;
    }
}

/// Calls `check` until it returns `Ok`, and returns that value; on timeout returns the
/// last `Err`, so the caller can show what it saw instead.
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
