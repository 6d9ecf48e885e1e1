//! Two auth-server replicas on one Redis behind a relay that balances between them (a
//! load balancer with a passive health check), one SIGKILLed under the mixed load: the
//! other serves everything, logins, refreshes, revocations and the revocation feed of
//! the resource server, which reconnects to it.
//!
//! ```text
//!                             ┌─► replica 1 (followed by the RS's feed; SIGKILLed)
//! load, resource server ─► Relay
//!   (issuer = relay URL)      └─► replica 2 (serves everything afterwards)
//! ```
//!
//! Exchanges in flight on the killed replica break; the load retries them as a client
//! would (a refresh retried with its token may meet reuse detection if the dead replica
//! had rotated it: counted, not a failure). Nothing else may fail.

use std::time::{Duration, Instant};

use tests::faults::StackProcess;
use tests::poll::try_poll_until;
use tests::{AuthStack, OAuthClient, Relay, ResourceOptions, ResourceServer, Store};

use super::load;
use super::tally::Op;
use crate::key_support::{metrics_text, sample};

const CHAINS: usize = 3;
/// Workers of the load: the chains, the login worker and the revoker.
const WORKERS: usize = CHAINS + 2;
const PROGRESS: usize = 3;
const PROGRESS_DEADLINE: Duration = Duration::from_secs(60);
/// Generous: the resource server reconnects with a short backoff.
const RECONNECT_DEADLINE: Duration = Duration::from_secs(30);
const KILLED: &str = "replica 1 killed";

/// The auth server's count of open revocation-feed streams.
async fn feed_subscribers(ops_url: &str) -> u64 {
    sample(&metrics_text(ops_url).await, "auth_revocation_feed_subscribers").unwrap_or(0)
}

#[tokio::test]
async fn one_replica_killed_under_load_the_other_serves_everything() {
    let _alone = tests::heavy::exclusive().await;
    let relay = Relay::start().await;
    let mut stack = AuthStack::start_with(Store::Redis, |o| o.env("AUTH_ISSUER", relay.url())).await;
    let survivor = stack.start_replica(|o| o).await;
    // The resource server's feed starts on the replica that will die.
    relay.route_to(stack.auth.addr());
    let resource = ResourceServer::start(ResourceOptions::new(relay.url())).await;
    let doomed_url = stack.auth.ops_url();
    let followed = try_poll_until(RECONNECT_DEADLINE, || {
        let doomed_url = doomed_url.clone();
        async move { (feed_subscribers(&doomed_url).await > 0).then_some(()) }
    })
    .await;
    assert!(followed.is_some(), "the resource server follows replica 1's feed");
    relay.balance(&[stack.auth.addr(), survivor.addr()]);

    let client = OAuthClient::new(relay.url());
    let api = resource.api();
    let running = load::start(&client, &api, CHAINS);
    let load = running.load.clone();
    load.await_progress(PROGRESS, PROGRESS_DEADLINE, "on both replicas").await;

    load.tally.set_phase(KILLED);
    stack.auth.kill();
    let killed = Instant::now();
    let survivor_url = survivor.ops_url();
    let reconnected = try_poll_until(RECONNECT_DEADLINE, || {
        let survivor_url = survivor_url.clone();
        async move { (feed_subscribers(&survivor_url).await > 0).then_some(()) }
    })
    .await;
    let reconnect_took = killed.elapsed();
    assert!(reconnected.is_some(), "the resource server's feed did not reconnect to replica 2");
    // Progress made entirely after the kill, revocations included.
    load.await_progress(PROGRESS, PROGRESS_DEADLINE, "on the surviving replica").await;
    load.await_progress(PROGRESS, PROGRESS_DEADLINE, "on the surviving replica, again").await;

    let load = running.finish(&api).await;
    let all = load.tally.all_outcomes();
    eprintln!(
        "faults::replica_kill: feed on replica 2 {reconnect_took:?} after the kill; outcomes {all:?}\n{}",
        load.summary()
    );
    let problems = load.tally.problems();
    assert!(problems.is_empty(), "problems under the load:\n{}", problems.join("\n"));
    for op in [Op::Login, Op::Refresh, Op::Revoke, Op::Api] {
        let outcomes = load.tally.outcomes(KILLED, op);
        assert!(outcomes.contains_key("200"), "{op:?} served after the kill: {outcomes:?}");
        let failed: Vec<&String> = outcomes.keys().filter(|o| !matches!(o.as_str(), "200" | "broken")).collect();
        // A refresh retried after a break may meet reuse detection; the load counts
        // that apart and checks it followed a break.
        let failed: Vec<&&String> =
            failed.iter().filter(|o| !(op == Op::Refresh && o.as_str() == "400 invalid_grant")).collect();
        assert!(failed.is_empty(), "{op:?} after the kill: {outcomes:?}");
    }
    // Each worker had at most the exchange in flight and one pooled connection to the
    // dead replica broken.
    let broken = all.get("broken").copied().unwrap_or(0);
    assert!(broken <= 2 * WORKERS, "{broken} broken exchanges for {WORKERS} workers");
}
