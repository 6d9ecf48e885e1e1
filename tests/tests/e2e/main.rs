//! End-to-end tests: the real `auth-server` binary (and a private `redis-server`) as
//! processes, driven over HTTP. One test binary with modules, so it links once.
//!
//! Store-dependent scenarios are written once as `async fn scenario(store: Store)` and
//! run on both stores by [`on_both_stores!`].

/// Defines a module `$name` with two tests, `embedded` and `redis`, each running the body
/// with its `Store`.
macro_rules! on_both_stores {
    ($(#[$meta:meta])* async fn $name:ident($store:ident: Store) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn embedded() {
                scenario(Store::Embedded).await
            }

            #[tokio::test]
            async fn redis() {
                scenario(Store::Redis).await
            }

            async fn scenario($store: Store) $body
        }
    };
}

mod client_auth;
mod harness;
mod logs;
mod metadata;
mod refresh_race;
mod restart;
mod startup;
mod store_contract;
mod support;
mod token_client_credentials;
mod token_errors;
mod token_password;
mod token_refresh;
