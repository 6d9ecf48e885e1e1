//! End-to-end tests: the real `auth-server` binary (and a private `redis-server`) as
//! processes, driven over HTTP. One test binary with modules, so it links once.
//!
//! Store-dependent scenarios are written once as `async fn scenario(store: Store)` and
//! run on several stores: on the embedded store and Redis by [`on_both_stores!`], on
//! those and a Redis Cluster by [`on_three_stores!`], on any list by [`on_stores!`].
//! Resource-server scenarios are written once as `async fn scenario(verify: Verify)`
//! and run in both verification modes (the design's two diagrams) by [`on_both_modes!`].

// Test code: helpers panic with what went wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Defines a module `$name` with one test per `test_name: StoreVariant` pair, each
/// running the body with that `Store`.
macro_rules! on_stores {
    ([$($test:ident: $store:ident),+ $(,)?] $(#[$meta:meta])* async fn $name:ident($s:ident: Store) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(
                #[tokio::test]
                async fn $test() {
                    scenario(Store::$store).await
                }
            )+

            async fn scenario($s: Store) $body
        }
    };
}

/// Defines a module `$name` with two tests, `embedded` and `redis`, each running the body
/// with its `Store`.
macro_rules! on_both_stores {
    ($($scenario:tt)*) => {
        on_stores! { [embedded: Embedded, redis: Redis] $($scenario)* }
    };
}

/// Like [`on_both_stores!`], with a third test, `redis_cluster`, on a Redis Cluster.
macro_rules! on_three_stores {
    ($($scenario:tt)*) => {
        on_stores! { [embedded: Embedded, redis: Redis, redis_cluster: RedisCluster] $($scenario)* }
    };
}

/// Defines a module `$name` with two tests, `local` and `introspect`, each running the
/// body against a resource server in that `Verify` mode.
macro_rules! on_both_modes {
    ($(#[$meta:meta])* async fn $name:ident($verify:ident: Verify) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn local() {
                scenario(Verify::Local).await
            }

            #[tokio::test]
            async fn introspect() {
                scenario(Verify::Introspect).await
            }

            async fn scenario($verify: Verify) $body
        }
    };
}

mod admin_api;
mod admin_cli;
mod bearer_attacks;
mod bearer_expiry;
mod bearer_status_table;
mod client_auth;
mod client_deletion;
mod code_flow;
mod demo_api;
mod demo_documents_replicas;
mod demo_documents_store;
mod faults;
mod harness;
mod harness_redis_cluster;
mod issuer_behind_gateway;
mod key_persistence;
mod key_phases;
mod key_revocation;
mod key_rotation_load;
mod key_rotation_storm;
mod key_support;
mod login_throttle;
mod logs;
mod metadata;
mod off_the_shelf_client;
mod redis_tls;
mod refresh_race;
mod refresh_redis_kill;
mod restart;
mod revocation_causes;
mod revocation_reconnect;
mod revocation_replicas;
mod revocation_scale;
mod service_client;
mod session_expiry;
mod shutdown;
mod slow_clients;
mod startup;
mod store_cluster_failover;
mod store_contract;
mod store_outage;
mod store_slot_discipline;
mod support;
mod token_client_credentials;
mod token_errors;
mod token_password;
mod token_refresh;
