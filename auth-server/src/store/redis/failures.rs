//! Failure counters in Redis, shared by every replica: one string per counter
//! (`as:{f:<key>}`), incremented and given its window's expiry by one script, so a
//! count never outlives its window and concurrent failures are all counted.

use async_trait::async_trait;

use super::{keys, unavailable, RedisStore};
use crate::store::{FailureStore, StoreResult};

#[async_trait]
impl FailureStore for RedisStore {
    async fn failures(&self, key: &str) -> StoreResult<u64> {
        let count: Option<u64> = redis::cmd("GET")
            .arg(keys::failures(key))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(count.unwrap_or(0))
    }

    async fn record_failure(&self, key: &str, window_secs: u64) -> StoreResult<u64> {
        self.inner
            .scripts
            .record_failure
            .key(keys::failures(key))
            .arg(window_secs.max(1))
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)
    }

    async fn clear_failures(&self, key: &str) -> StoreResult<()> {
        redis::cmd("DEL").arg(keys::failures(key)).query_async::<()>(&mut self.connection()).await.map_err(unavailable)
    }
}
