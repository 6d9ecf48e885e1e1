//! A Redis Cluster loses a primary under the mixed load: the primary of the
//! revocations' slot (`{rev}`: every revocation, the feed, every introspection) is
//! SIGKILLed and not restarted. While the cluster promotes its replica, requests
//! answer 200 or 503 with `Retry-After` and nothing else; then everything works again
//! without restarting any of our processes, and nothing acknowledged is lost: every
//! chain's latest refresh token refreshes, every acknowledged revocation is enforced
//! (revocations wait for the replica, `REDIS_WAIT_REPLICAS` defaulting to 1).
//!
//! ```text
//! cluster (3 primaries, 3 replicas) ◄── auth server ◄── load ──► resource server (local)
//! progress ─► SIGKILL the {rev} primary ─► replica promoted ─► a revocation and a login
//!          ─► progress ─► finish: chains refresh, revocations enforced
//! ```

use std::time::{Duration, Instant};

use tests::bootstrap::*;
use tests::poll::try_poll_until;
use tests::{AuthStack, ClientAuth, OAuthClient, ResourceOptions, ResourceServer, Store};

use super::load;
use super::tally::Op;

const CHAINS: usize = 3;
const PROGRESS: usize = 3;
const PROGRESS_DEADLINE: Duration = Duration::from_secs(60);
/// Generous: a promotion takes about two node timeouts, then the server reconnects.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(60);
const REVOCATIONS_KEY: &str = "as:{rev}:log";
const FAILING_OVER: &str = "primary killed";

/// Whether the auth server serves the killed primary's slot again: a revocation (a
/// write confirmed by a replica, or by none if the new primary has none yet) and a
/// login.
async fn serves(client: &OAuthClient) -> bool {
    let Ok(login) = client.try_token_password(MOBILE_APP, BOB, BOB_PASSWORD).await else { return false };
    if login.status != 200 {
        return false;
    }
    let revoke = client.try_revoke(login.access_token(), ClientAuth::Public(MOBILE_APP)).await;
    revoke.is_ok_and(|reply| reply.status == 200)
}

#[tokio::test]
async fn a_primary_killed_under_load_means_503_then_recovery_and_nothing_lost() {
    let _alone = tests::heavy::exclusive().await;
    let mut stack = AuthStack::start(Store::RedisCluster).await;
    let resource = ResourceServer::start(ResourceOptions::new(stack.base_url())).await;
    let client = stack.client();
    let api = resource.api();

    let running = load::start(&client, &api, CHAINS);
    let load = running.load.clone();
    load.await_progress(PROGRESS, PROGRESS_DEADLINE, "before the kill").await;

    let cluster = stack.cluster.as_mut().expect("a cluster stack");
    let killed = cluster.kill_primary_of_key(REVOCATIONS_KEY).await;
    load.tally.set_phase(FAILING_OVER);
    let kill_time = Instant::now();
    cluster.wait_until_healthy().await;
    assert_ne!(cluster.primary_of_key(REVOCATIONS_KEY).await, killed, "a replica took over");
    let promoted_after = kill_time.elapsed();
    let recovered = try_poll_until(RECOVERY_DEADLINE, || {
        let client = &client;
        async move { serves(client).await.then_some(()) }
    })
    .await;
    let recovered_after = kill_time.elapsed();
    assert!(recovered.is_some(), "the auth server did not serve revocations again within {RECOVERY_DEADLINE:?}");
    load.tally.set_phase("after the failover");
    load.await_progress(PROGRESS, PROGRESS_DEADLINE, "after the failover").await;

    let load = running.finish(&api).await;
    eprintln!(
        "faults::cluster_failover: primary :{killed} killed; replica promoted {promoted_after:?} and revocations \
         served {recovered_after:?} after the kill; outcomes {:?}\n{}",
        load.tally.all_outcomes(),
        load.summary()
    );
    let problems = load.tally.problems();
    assert!(problems.is_empty(), "problems under the load:\n{}", problems.join("\n"));
    for op in [Op::Login, Op::Refresh, Op::Revoke] {
        let outcomes = load.tally.outcomes(FAILING_OVER, op);
        let other: Vec<&String> =
            outcomes.keys().filter(|o| !matches!(o.as_str(), "200" | "503 temporarily_unavailable")).collect();
        assert!(other.is_empty(), "{op:?} during the failover: only 200 or 503 temporarily_unavailable: {outcomes:?}");
    }
    // Which operations meet the failover depends on where their keys hash and on
    // timing: revocations all touch the killed shard, but the revoker may spend the
    // window logging in; some operation must have been refused.
    let refused: usize = [Op::Login, Op::Refresh, Op::Revoke]
        .into_iter()
        .filter_map(|op| load.tally.outcomes(FAILING_OVER, op).get("503 temporarily_unavailable").copied())
        .sum();
    assert!(refused > 0, "the load met the failover: {:?}", load.tally.all_outcomes());
    let api_outcomes = load.tally.outcomes(FAILING_OVER, Op::Api);
    assert!(api_outcomes.keys().all(|o| o == "200"), "the resource server does not need Redis: {api_outcomes:?}");
    for op in [Op::Login, Op::Refresh, Op::Revoke, Op::Api] {
        let outcomes = load.tally.outcomes("after the failover", op);
        assert!(outcomes.keys().all(|o| o == "200"), "{op:?} after the failover: {outcomes:?}");
    }
}
