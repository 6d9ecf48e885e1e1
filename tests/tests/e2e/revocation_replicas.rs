//! Two auth-server replicas behind one Redis (or one Redis Cluster): a resource server following either one
//! hears of a revocation accepted by either one.
//!
//! ```text
//!                      ┌─► replica 1 ◄── RS A's feed (connected while routed to 1)
//! RS A, RS B ─► Relay ─┤
//!   (issuer = relay)   └─► replica 2 ◄── RS B's feed (connected while routed to 2)
//! ```
//!
//! The relay stands where the load balancer would: both replicas announce its URL as
//! their issuer, and which replica an RS's feed connection reaches is chosen when it
//! connects. Each replica's `auth_revocation_feed_subscribers` gauge shows who follows whom.

use std::time::Duration;

use tests::bootstrap::*;
use tests::fleet::REVOCATION_DEADLINE;
use tests::{poll_until, AuthServer, AuthStack, ClientAuth, Fleet, OAuthClient, Relay, ResourceOptions, Store};

/// The replica's count of open revocation-feed streams (Prometheus text).
async fn feed_subscribers(auth: &AuthServer) -> Option<u64> {
    let metrics = OAuthClient::new(auth.ops_url()).get("/metrics").await;
    let text = metrics.text();
    text.lines()
        .find_map(|line| line.strip_prefix("auth_revocation_feed_subscribers "))
        .and_then(|v| v.trim().parse().ok())
}

/// Waits until `auth` has at least one feed subscriber; returns how many.
async fn await_subscribers(auth: &AuthServer, what: &str) -> u64 {
    poll_until(Duration::from_secs(15), what, || async move { feed_subscribers(auth).await.filter(|n| *n > 0) }).await
}

on_stores! {
    [redis: Redis, redis_cluster: RedisCluster]
    async fn a_revocation_at_either_replica_reaches_resource_servers_following_either(store: Store) {
        let _heavy = tests::heavy::shared().await;
        let relay = Relay::start().await;
        let stack = AuthStack::start_with(store, |o| o.env("AUTH_ISSUER", relay.url())).await;
        let replica = stack.start_replica(|o| o).await;

        relay.route_to(stack.auth.addr());
        let mut fleet = Fleet::start_each(vec![("A".into(), ResourceOptions::new(relay.url()))]).await;
        let first_followers = await_subscribers(&stack.auth, "RS A to follow replica 1").await;
        assert_eq!(feed_subscribers(&replica).await, Some(0), "nobody follows replica 2 yet");
        relay.route_to(replica.addr());
        fleet.absorb(Fleet::start_each(vec![("B".into(), ResourceOptions::new(relay.url()))]).await);
        let second_followers = await_subscribers(&replica, "RS B to follow replica 2").await;
        assert_eq!(feed_subscribers(&stack.auth).await, Some(first_followers), "RS B does not follow replica 1");

        let first_client = stack.client();
        let second_client = OAuthClient::new(replica.base_url());
        let alice = first_client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let alice_again = second_client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let bob = first_client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
        for token in [alice.access_token(), alice_again.access_token(), bob.access_token()] {
            fleet.assert_all_accept(token, "a fresh token").await;
        }

        let revoked = first_client.revoke(alice.access_token(), ClientAuth::Public(WEB_APP)).await;
        assert_eq!(revoked.status, 200, "{revoked:?}");
        fleet.await_all_refuse(alice.access_token(), "a token revoked at replica 1", REVOCATION_DEADLINE).await;

        let revoked = second_client.revoke(alice_again.refresh_token(), ClientAuth::Public(WEB_APP)).await;
        assert_eq!(revoked.status, 200, "{revoked:?}");
        fleet.await_all_refuse(alice_again.access_token(), "a session revoked at replica 2", REVOCATION_DEADLINE).await;

        fleet.assert_all_accept(bob.access_token(), "bob's token").await;
        // Both feeds stayed where they were: each replica served its own follower.
        assert_eq!(feed_subscribers(&stack.auth).await, Some(first_followers), "replica 1's followers");
        assert_eq!(feed_subscribers(&replica).await, Some(second_followers), "replica 2's followers");
    }
}
