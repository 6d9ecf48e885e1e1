//! Redis (append-only file, fsync on every write) SIGKILLed under the mixed load and
//! restarted: meanwhile the auth server answers 503 with `Retry-After` and nothing
//! else, promptly; it recovers within 5 s of Redis answering again; nothing
//! acknowledged before the kill is lost.
//!
//! ```text
//! redis ◄── auth server ◄── load (chains, logins, revocations) ──► resource server (local)
//! KILLS times: progress ─► SIGKILL redis ─► probes while down (login, refresh, revoke)
//!              ─► restart redis ─► /readyz 200 and a login ─► progress
//! finish: every chain's latest token refreshes, every revocation is enforced
//! ```

use std::time::{Duration, Instant};

use tests::bootstrap::*;
use tests::faults::StackProcess;
use tests::poll::try_poll_until;
use tests::{AuthOptions, AuthServer, ClientAuth, OAuthClient, RedisServer, ResourceOptions, ResourceServer};

use super::load;
use super::tally::Op;

const CHAINS: usize = 3;
const KILLS: usize = 2;
/// Successful operations every worker makes between two faults.
const PROGRESS: usize = 3;
/// Generous: progress needs Redis back and a few dozen requests.
const PROGRESS_DEADLINE: Duration = Duration::from_secs(60);
/// How long Redis stays down at least: long enough for the load to meet the outage.
const DOWN_FOR: Duration = Duration::from_secs(1);
const PROBE_PAUSE: Duration = Duration::from_millis(100);
/// The auth server serves again within this long of Redis answering `PING`.
const RECOVERY_BOUND: Duration = Duration::from_secs(5);
/// How long to wait for recovery at all, so a miss is measured rather than timed out.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(30);

/// Whether the auth server serves again: ready, and a login works.
async fn serves(client: &OAuthClient) -> bool {
    let ready = client.try_get("/readyz").await.is_ok_and(|reply| reply.status == 200);
    ready && client.try_token_password(MOBILE_APP, BOB, BOB_PASSWORD).await.is_ok_and(|reply| reply.status == 200)
}

/// How Redis fails.
#[derive(Clone, Copy, Debug)]
enum RedisFault {
    /// SIGKILL, then a restart from the append-only file.
    Kill,
    /// SIGSTOP, then SIGCONT: a hung server that keeps its connections open.
    Pause,
}

#[tokio::test]
async fn redis_killed_under_load_means_503_then_recovery_and_nothing_lost() {
    scenario(RedisFault::Kill).await;
}

#[tokio::test]
async fn redis_hung_under_load_means_503_then_recovery_and_nothing_lost() {
    scenario(RedisFault::Pause).await;
}

async fn scenario(fault: RedisFault) {
    let _alone = tests::heavy::exclusive().await;
    let mut redis = RedisServer::start_persistent().await;
    let auth = AuthServer::start(AuthOptions::redis(&redis)).await;
    let resource = ResourceServer::start(ResourceOptions::new(auth.base_url())).await;
    let client = OAuthClient::new(auth.base_url());
    let api = resource.api();
    // Tokens held across the outages: what the probes try while Redis is down must
    // leave them as they were.
    let held = client.token_password(MOBILE_APP, ALICE, ALICE_PASSWORD, None).await;

    let running = load::start(&client, &api, CHAINS);
    let load = running.load.clone();
    load.await_progress(PROGRESS, PROGRESS_DEADLINE, "before the first kill").await;
    let mut recoveries = Vec::new();
    for kill in 1..=KILLS {
        // The phase starts once Redis is gone: whatever counts as "redis down" began
        // without it.
        match fault {
            RedisFault::Kill => redis.kill(),
            RedisFault::Pause => redis.pause(),
        }
        load.tally.set_phase("redis down");
        let down = Instant::now();
        while down.elapsed() < DOWN_FOR {
            load.tally.exchange(Op::Login, client.try_token_password(MOBILE_APP, BOB, BOB_PASSWORD)).await;
            load.tally.exchange(Op::Refresh, client.try_token_refresh(MOBILE_APP, held.refresh_token())).await;
            let revoke = client.try_revoke(held.access_token(), ClientAuth::Public(MOBILE_APP));
            load.tally.exchange(Op::Revoke, revoke).await;
            tokio::time::sleep(PROBE_PAUSE).await;
        }
        load.tally.set_phase("redis back");
        match fault {
            RedisFault::Kill => redis.restart().await,
            RedisFault::Pause => redis.resume(),
        }
        let back = Instant::now();
        let recovered = try_poll_until(RECOVERY_DEADLINE, || {
            let client = &client;
            async move { serves(client).await.then_some(()) }
        })
        .await;
        let took = back.elapsed();
        assert!(recovered.is_some(), "kill {kill}: the auth server did not serve again within {RECOVERY_DEADLINE:?}");
        recoveries.push(took);
        load.tally.set_phase("steady");
        load.await_progress(PROGRESS, PROGRESS_DEADLINE, &format!("after kill {kill}")).await;
    }

    let load = running.finish(&api).await;
    eprintln!(
        "faults::redis_kill ({fault:?}): {KILLS} outages, recovered {recoveries:?} after Redis answered; outcomes {:?}\n{}",
        load.tally.all_outcomes(),
        load.summary()
    );
    let problems = load.tally.problems();
    assert!(problems.is_empty(), "problems under the load:\n{}", problems.join("\n"));
    for op in [Op::Login, Op::Refresh, Op::Revoke] {
        let outcomes = load.tally.outcomes("redis down", op);
        assert!(outcomes.contains_key("503 temporarily_unavailable"), "{op:?} met the outage: {outcomes:?}");
        assert_eq!(outcomes.len(), 1, "{op:?} while Redis was down: only 503 temporarily_unavailable: {outcomes:?}");
    }
    let api_outcomes = load.tally.outcomes("redis down", Op::Api);
    assert!(api_outcomes.keys().all(|o| o == "200"), "the resource server does not need Redis: {api_outcomes:?}");
    assert!(!load.tally.all_outcomes().contains_key("broken"), "the auth server never dropped a connection");
    for (kill, took) in recoveries.iter().enumerate() {
        assert!(*took <= RECOVERY_BOUND, "kill {}: recovery took {took:?} after Redis answered", kill + 1);
    }
    // The refused attempts changed nothing.
    let refreshed = client.token_refresh(MOBILE_APP, held.refresh_token()).await;
    assert_eq!(refreshed.status, 200, "the held session survived the probes: {refreshed:?}");
    let me = api.me(tests::Credentials::Bearer(refreshed.access_token())).await;
    assert_eq!(me.status, 200, "{me:?}");
}
