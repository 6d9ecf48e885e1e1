//! Failure counters in the embedded store: one process's budgets. Expired counters
//! are dropped every [`PRUNE_EVERY`] recorded failures, so a spray of fresh names
//! keeps memory bounded by the failures of one window.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::MemoryStore;
use crate::store::{FailureStore, StoreResult};

const PRUNE_EVERY: u32 = 1_024;

#[derive(Default)]
pub(super) struct Failures {
    counts: HashMap<String, Count>,
    records_since_prune: u32,
}

struct Count {
    failures: u64,
    expires: Instant,
}

impl Failures {
    fn live(&self, key: &str, now: Instant) -> Option<&Count> {
        self.counts.get(key).filter(|count| count.expires > now)
    }
}

#[async_trait]
impl FailureStore for MemoryStore {
    async fn failures(&self, key: &str) -> StoreResult<u64> {
        Ok(self.failure_counts().live(key, Instant::now()).map_or(0, |count| count.failures))
    }

    async fn record_failure(&self, key: &str, window_secs: u64) -> StoreResult<u64> {
        let now = Instant::now();
        let mut failures = self.failure_counts();
        failures.records_since_prune += 1;
        if failures.records_since_prune >= PRUNE_EVERY {
            failures.records_since_prune = 0;
            failures.counts.retain(|_, count| count.expires > now);
        }
        let window = Duration::from_secs(window_secs.max(1));
        let count = failures.counts.entry(key.to_owned()).or_insert(Count { failures: 0, expires: now });
        if count.expires <= now {
            *count = Count { failures: 0, expires: now + window };
        }
        count.failures += 1;
        Ok(count.failures)
    }

    async fn clear_failures(&self, key: &str) -> StoreResult<()> {
        self.failure_counts().counts.remove(key);
        Ok(())
    }
}
