//! The revocation feed at scale and over quiet periods: a resource server joining an
//! auth server with 300 000 revocations in force synchronises (the snapshot comes in
//! bounded pages) and refuses what is revoked; a quiet feed keeps a resource server
//! with a 5 s staleness bound ready, without reconnecting.

use std::time::{Duration, Instant};

use auth_server::store::{RedisStore, Revocation, RevocationEvent};
use reqwest::Method;
use tests::bootstrap::*;
use tests::fleet::REVOCATION_DEADLINE;
use tests::{poll_until, AuthStack, ClientAuth, Credentials, ResourceOptions, ResourceServer, Store};

const SEEDED: usize = 300_000;

#[tokio::test]
async fn a_resource_server_syncs_300000_revocations_and_refuses_each_revoked_token() {
    let _heavy = tests::heavy::exclusive().await;
    let stack = AuthStack::start(Store::Redis).await;
    let redis = stack.redis.as_ref().expect("a Redis stack");

    // What a resource server holds with an empty view, for the memory figure below.
    let mut baseline = ResourceServer::start(ResourceOptions::new(stack.base_url())).await;
    let empty_rss = baseline.resident_bytes().expect("the baseline's resident memory");
    baseline.stop();

    let started = Instant::now();
    let store = RedisStore::connect(&redis.url(), [9u8; 32]).await.expect("connect to the private redis-server");
    let until = shared_claims::unix_now() + 3_600;
    let seeded: Vec<RevocationEvent> = (0..SEEDED)
        .map(|i| RevocationEvent {
            cursor: String::new(),
            revocation: Revocation::Token { jti: format!("seeded-{i:08}-0123456789abcdef") },
            expires_at: until,
            audiences: vec![DOCUMENTS_AUDIENCE.to_owned()],
        })
        .collect();
    store.import_revocations(&seeded).await.expect("seed the revocations");
    eprintln!("seeded {SEEDED} revocations in {:?}", started.elapsed());

    let client = stack.client();
    let alice = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    let bob = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
    let revoked = client.revoke(alice.access_token(), ClientAuth::Public(WEB_APP)).await;
    assert_eq!(revoked.status, 200, "{revoked:?}");

    // `start` waits (bounded) until `/readyz` says the key set and a complete
    // revocation view are in.
    let started = Instant::now();
    let resource = ResourceServer::start(ResourceOptions::new(stack.base_url())).await;
    eprintln!("resource server ready with {SEEDED} revocations in force after {:?}", started.elapsed());
    let api = resource.api();
    assert_eq!(api.me(Credentials::Bearer(alice.access_token())).await.status, 401, "revoked before it started");
    assert_eq!(api.me(Credentials::Bearer(bob.access_token())).await.status, 200, "bob's token is fine");

    // Live revocations still arrive beside the seeded ones.
    let bob_again = client.token_password(WEB_APP, BOB, BOB_PASSWORD, None).await;
    assert_eq!(api.me(Credentials::Bearer(bob_again.access_token())).await.status, 200);
    let revoked = client.revoke(bob_again.access_token(), ClientAuth::Public(WEB_APP)).await;
    assert_eq!(revoked.status, 200, "{revoked:?}");
    poll_until(REVOCATION_DEADLINE, "the live revocation refused", || async {
        (api.me(Credentials::Bearer(bob_again.access_token())).await.status == 401).then_some(())
    })
    .await;
    assert_eq!(api.me(Credentials::Bearer(bob.access_token())).await.status, 200);

    let full_rss = resource.resident_bytes().expect("the resource server's resident memory");
    let per_revocation = full_rss.saturating_sub(empty_rss) as f64 / SEEDED as f64;
    eprintln!(
        "resource server memory: {empty_rss} bytes empty, {full_rss} bytes with {SEEDED} revocations in force: \
         {per_revocation:.0} bytes per revocation"
    );
    assert!(full_rss > empty_rss, "the view takes memory");
}

/// The shortest sensible staleness bound keeps a quiet, healthy feed live: the
/// resource server asks for a keepalive that fits it, so it neither turns stale nor
/// keeps replacing an idle connection.
#[tokio::test]
async fn a_quiet_feed_keeps_a_5_s_staleness_bound_ready_without_reconnecting() {
    let _heavy = tests::heavy::shared().await;
    let stack = AuthStack::start(Store::Embedded).await;
    let options = ResourceOptions::new(stack.base_url()).env("RS_REVOCATION_MAX_STALENESS", "5");
    let resource = ResourceServer::start(options).await;
    let api = resource.api();

    // Twice the bound and more, with nothing happening on the feed.
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(12) {
        let ready = api.request(Method::GET, "/readyz", Credentials::None, None).await;
        assert_eq!(ready.status, 200, "ready throughout a quiet period: {ready:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let metrics = tests::OAuthClient::new(resource.ops_url()).get("/metrics").await;
    let text = metrics.text();
    assert!(text.contains("rs_revocation_feed_reconnects_total 0\n"), "one connection all along: {text}");
}
