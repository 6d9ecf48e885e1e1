//! The demo API's document store contract
//! (`resource_server_demo::app::document_store::contract_tests`, feature `test-support`)
//! against a real private redis-server. The memory store runs the same suite in the
//! demo API's unit tests.

use resource_server_demo::app::document_store::contract_tests;
use resource_server_demo::app::{DocumentStore, StoreLimits};
use tests::redis::RedisServer;

#[tokio::test]
async fn redis_document_store_passes_the_contract() {
    let redis = RedisServer::start().await;
    // Every case wants an empty store: the database is flushed before each.
    let new_store = |limits: StoreLimits| {
        let redis = &redis;
        async move {
            let flushed = redis.command(&["FLUSHDB"]).await;
            assert!(flushed.starts_with("+OK"), "FLUSHDB: {flushed}");
            DocumentStore::redis(&redis.url(), limits).expect("a valid Redis URL")
        }
    };
    contract_tests::run_all(new_store).await;
}
