//! The store contract suite (`auth_server::store::contract_tests`, feature
//! `test-support`) against a real private redis-server. The embedded store runs the
//! same suite in the auth server's unit tests.

use auth_server::store::{contract_tests, RedisStore};
use tests::redis::RedisServer;

#[tokio::test]
async fn redis_store_passes_the_contract() {
    let redis = RedisServer::start().await;
    let store = RedisStore::connect(&redis.url(), [9u8; 32]).await.expect("connect to the private redis-server");
    contract_tests::run_all(&store).await;
    // Twice on one database: every run uses fresh ids.
    contract_tests::run_all(&store).await;
}
