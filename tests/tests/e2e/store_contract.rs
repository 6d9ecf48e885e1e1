//! The store contract suite (`auth_server::store::contract_tests`, feature
//! `test-support`) against real private Redis servers: one node, a Redis Cluster of
//! three primaries and three replicas, and both over TLS. The embedded store runs the
//! same suite in the auth server's unit tests.
//!
//! Over TLS the store must trust the test's CA, which only its process's trust store
//! can say (`SSL_CERT_FILE`): those runs are in a child process of their own
//! (`tests::store_contract`), so the test process's environment stays untouched.

use std::sync::Arc;

use auth_server::store::{contract_tests, RedisStore};
use tests::store_contract::run_in_child;
use tests::{RedisCluster, RedisServer, TlsFiles};

#[tokio::test]
async fn redis_store_passes_the_contract() {
    let redis = RedisServer::start().await;
    let store = RedisStore::connect(&redis.url(), [9u8; 32]).await.expect("connect to the private redis-server");
    contract_tests::run_all(&store).await;
    // Twice on one database: every run uses fresh ids.
    contract_tests::run_all(&store).await;
}

#[tokio::test]
async fn redis_store_passes_the_contract_on_a_cluster() {
    let cluster = RedisCluster::start().await;
    let store = RedisStore::connect_cluster(&cluster.urls(), [9u8; 32]).await.expect("connect to the private cluster");
    contract_tests::run_all(&store).await;
    contract_tests::run_all(&store).await;
}

#[tokio::test]
async fn redis_store_passes_the_contract_over_tls() {
    let tls = Arc::new(TlsFiles::generate());
    let redis = RedisServer::start_tls(&tls).await;
    let env = [("REDIS_URL", redis.url()), ("SSL_CERT_FILE", tls.ca_file().display().to_string())];
    if let Err(failure) = run_in_child(&env).await {
        panic!("{failure}");
    }
}

#[tokio::test]
async fn redis_store_passes_the_contract_on_a_cluster_over_tls() {
    let tls = Arc::new(TlsFiles::generate());
    let cluster = RedisCluster::start_tls(&tls).await;
    let env =
        [("REDIS_CLUSTER_URLS", cluster.urls().join(",")), ("SSL_CERT_FILE", tls.ca_file().display().to_string())];
    if let Err(failure) = run_in_child(&env).await {
        panic!("{failure}");
    }
}

/// How many runs may end in a connection timeout (the TLS handshake on a loaded
/// machine) before one reaches the certificate check.
const ATTEMPTS: usize = 5;

/// The child process does check the certificate: trusting another CA, it fails to
/// connect.
#[tokio::test]
async fn the_contract_process_refuses_an_untrusted_redis() {
    let tls = Arc::new(TlsFiles::generate());
    let redis = RedisServer::start_tls(&tls).await;
    let stranger = TlsFiles::generate();
    let env = [("REDIS_URL", redis.url()), ("SSL_CERT_FILE", stranger.ca_file().display().to_string())];
    let mut timed_out = Vec::new();
    for _ in 0..ATTEMPTS {
        let failure = run_in_child(&env).await.expect_err("an untrusted certificate");
        if failure.contains("certificate verify failed") {
            return;
        }
        assert!(failure.contains("timed out"), "refused for its certificate: {failure}");
        timed_out.push(failure);
    }
    panic!("{ATTEMPTS} runs timed out before the certificate check:\n{}", timed_out.join("\n"));
}
