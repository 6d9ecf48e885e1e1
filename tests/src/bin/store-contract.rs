//! `store-contract`: runs the store contract suite (`auth_server::store::contract_tests`)
//! twice against the Redis of `REDIS_URL`, or the Redis Cluster of `REDIS_CLUSTER_URLS`
//! (comma-separated node URLs), and prints that it passed; a failed case panics,
//! which exits non-zero with the case's message. Run by the end-to-end tests
//! (`tests::store_contract`) to give the store a trust store of its own.

// A failed case is a panic, like in any test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_server::store::{contract_tests, RedisStore, RedisTarget};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let target = match (std::env::var("REDIS_URL"), std::env::var("REDIS_CLUSTER_URLS")) {
        (Ok(url), Err(_)) => RedisTarget::Node(url),
        (Err(_), Ok(urls)) => RedisTarget::Cluster(urls.split(',').map(str::to_owned).collect()),
        _ => panic!("set exactly one of REDIS_URL and REDIS_CLUSTER_URLS"),
    };
    let store = RedisStore::connect_to(&target, [9u8; 32])
        .await
        .unwrap_or_else(|e| panic!("cannot connect: {}", shared_claims::error_chain(&e)));
    contract_tests::run_all(&store).await;
    // Twice on one database: every run uses fresh ids.
    contract_tests::run_all(&store).await;
    println!("{}", tests::store_contract::PASSED);
}
