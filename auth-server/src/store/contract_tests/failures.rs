//! Contract cases for the failure counters of the login throttle.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::Run;
use crate::store::Store;

/// A window longer than any case here takes.
const LONG_WINDOW: u64 = 600;

pub(super) async fn counts_and_clears<S: Store + ?Sized>(store: &S, run: &Run) {
    let key = run.id("u:{alice}");
    let lookalike = key.replace('{', "%7B").replace('}', "%7D");
    assert_eq!(store.failures(&key).await.expect("failures"), 0);
    for expected in 1..=3 {
        assert_eq!(store.record_failure(&key, LONG_WINDOW).await.expect("record"), expected);
    }
    assert_eq!(store.failures(&key).await.expect("failures"), 3);
    assert_eq!(store.failures(&lookalike).await.expect("failures"), 0, "key encoding collides");

    store.clear_failures(&key).await.expect("clear");
    assert_eq!(store.failures(&key).await.expect("failures"), 0);
    store.clear_failures(&key).await.expect("clearing nothing is fine");
    assert_eq!(store.record_failure(&key, LONG_WINDOW).await.expect("record"), 1, "counts afresh after a clear");
    store.clear_failures(&key).await.expect("clear");
}

/// Concurrent failures are each counted once.
pub(super) async fn concurrent_failures_all_count<S: Store + ?Sized>(store: &S, run: &Run) {
    let key = run.id("a:127.0.0.1");
    let counts = join_all((0..20).map(|_| store.record_failure(&key, LONG_WINDOW))).await;
    let mut counts: Vec<u64> = counts.into_iter().map(|c| c.expect("record")).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<u64>>());
    assert_eq!(store.failures(&key).await.expect("failures"), 20);
    store.clear_failures(&key).await.expect("clear");
}

/// The window opens with the first failure and is not extended by later ones: failing
/// steadily, the count starts again from 1 once the window has passed.
pub(super) async fn window_is_fixed_from_the_first_failure<S: Store + ?Sized>(store: &S, run: &Run) {
    let key = run.id("u:window");
    assert_eq!(store.record_failure(&key, 1).await.expect("record"), 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut highest = 1;
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let count = store.record_failure(&key, 1).await.expect("record");
        if count < highest {
            assert_eq!(count, 1, "a new window starts from one failure");
            break;
        }
        highest = count;
        assert!(Instant::now() < deadline, "a 1 s window still counts {count} failures after 10 s");
    }
    // And an idle counter is forgotten.
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.failures(&key).await.expect("failures") != 0 {
        assert!(Instant::now() < deadline, "a 1 s window was not forgotten after 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
