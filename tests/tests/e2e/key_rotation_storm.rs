//! A burst of 100 manual rotations (`POST /admin/keys/rotate`) in a row must not fill
//! the JWKS: resource servers keep a bounded number of its keys (the first 64), and
//! a JWKS grown past that would cut off the active key. A key that never signed a
//! token leaves the set the moment it is superseded, so the burst leaves the key
//! that signed the admin's token (retired, published while that token lives) and
//! the new active key; a new token is accepted by every resource server.
//!
//! ```text
//! AuthStack (Redis or a Redis Cluster; tick 1 s, skew 2 s: a retired key is
//!   published 300 + 3 s)
//!   ─► Fleet: 3 local-mode resource servers
//! ops token, alice's token (key K0) ─► accepted everywhere
//! POST /admin/keys/rotate × 100 ─► each answer: K0 retired + the new active key
//! GET /admin/keys, GET /.well-known/jwks.json ─► the JWKS is exactly the published
//!   keys, active first, each able to verify a live access token
//! new token (the new active key) and alice's token ─► accepted everywhere
//! ```

use std::collections::BTreeSet;

use reqwest::Method;
use tests::bootstrap::*;
use tests::{AdminClient, AuthStack, Fleet, Jwks, Store};

use crate::key_support::*;

const ROTATIONS: usize = 100;
const ACCESS_TTL: i64 = 300;
const REFRESH_INTERVAL: i64 = 1;
const CLOCK_SKEW: i64 = 2;
/// How long after `retired_at` a retired key can still verify a live access token.
const PUBLISHED_AFTER_RETIREMENT: i64 = ACCESS_TTL + REFRESH_INTERVAL + CLOCK_SKEW;

on_stores! {
    [redis: Redis, redis_cluster: RedisCluster]
    async fn a_hundred_admin_rotations_in_a_row_keep_the_jwks_small_and_new_tokens_working(store: Store) {
        let _heavy = tests::heavy::shared().await;
        let stack = AuthStack::start_with(store, |o| {
            o.env("AUTH_ACCESS_TTL", ACCESS_TTL.to_string())
                .env("AUTH_KEY_REFRESH_INTERVAL", REFRESH_INTERVAL.to_string())
                .env("AUTH_CLOCK_SKEW", CLOCK_SKEW.to_string())
        })
        .await;
        let client = stack.client();
        let fleet = Fleet::start(&stack.base_url(), 3, 0).await;
        let admin = AdminClient::login(&client).await;
        let before = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let first = kid_of(before.access_token());
        fleet.assert_all_accept(before.access_token(), "a token from before the rotations").await;

        let mut actives = BTreeSet::new();
        for round in 1..=ROTATIONS {
            let keys = parse_keys(&admin.request(Method::POST, &format!("{KEYS_PATH}/rotate"), None).await);
            let active = active(&keys).kid.clone();
            assert!(actives.insert(active.clone()), "rotation {round} activated a key seen before: {keys:?}");
            // The key that signed tokens stays; every key superseded unused is gone.
            let retired = find(&keys, &first).unwrap_or_else(|| panic!("rotation {round} dropped {first}: {keys:?}"));
            assert_eq!(retired.state, "retired", "rotation {round}: {keys:?}");
            assert_eq!(keys.len(), 2, "rotation {round} kept a key that never signed anything: {keys:?}");
        }

        let keys = list_keys(&admin).await;
        let jwks = Jwks::fetch(&client).await;
        let now = shared_claims::unix_now();
        let published: Vec<&KeyInfo> =
            keys.iter().filter(|k| ["next", "active", "retired"].contains(&k.state.as_str())).collect();
        assert_eq!(
            jwks_kids(&jwks),
            published.iter().map(|k| k.kid.clone()).collect::<BTreeSet<_>>(),
            "the JWKS is exactly the published keys of {keys:?}"
        );
        for key in &published {
            if key.state == "retired" {
                let retired_at = key.retired_at.unwrap_or_else(|| panic!("retired without a date: {keys:?}"));
                assert!(
                    now < retired_at + PUBLISHED_AFTER_RETIREMENT,
                    "{} is published though every access token it signed has expired: {keys:?}",
                    key.kid
                );
            }
        }
        let active_kid = active(&keys).kid.clone();
        assert_eq!(jwks.kids().first().copied(), Some(active_kid.as_str()), "the active key is listed first");
        assert_eq!(jwks.kids().len(), 2, "{:?}", jwks.kids());

        let fresh = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        assert_eq!(kid_of(fresh.access_token()), active_kid, "new tokens carry the last rotation's key");
        fleet.assert_all_accept(fresh.access_token(), "a token after 100 rotations").await;
        fleet.assert_all_accept(before.access_token(), "a token from before the rotations, still live").await;
        let service = client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await;
        fleet.assert_all_accept(service.access_token(), "a service token after 100 rotations").await;
    }
}
