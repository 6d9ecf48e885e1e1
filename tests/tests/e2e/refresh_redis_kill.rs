//! Refresh chains while Redis is SIGKILLed and restarted: a refresh whose rotation
//! committed just before Redis died must not be answered 503 (the client would retry
//! with the used token, which is reuse, and lose its session). Afterwards every
//! chain's latest refresh token still works.
//!
//! ```text
//! redis (append-only, fsync always) ─► auth server ─► CHAINS logins of alice
//! each chain: refresh in a loop; 200 → keep the new token; 503 → retry the same token
//! KILLS times: wait for progress ─► SIGKILL redis ─► restart it on the same port/dir
//! stop ─► every chain's latest token refreshes (no session lost)
//! ```

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tests::bootstrap::*;
use tests::{poll_until, AuthOptions, AuthServer, OAuthClient, RedisServer};

const CHAINS: usize = 4;
const KILLS: usize = 5;
/// Refreshes every chain completes between two kills (and after the last).
const PROGRESS: usize = 3;
/// Generous: Redis restarts and the auth server reconnects within a few seconds.
const PROGRESS_DEADLINE: Duration = Duration::from_secs(60);
/// Pause before retrying a refresh answered 503.
const RETRY_PAUSE: Duration = Duration::from_millis(20);

#[derive(Default)]
struct Chain {
    refreshes: AtomicUsize,
    /// Why the chain's session was lost, once it was.
    lost: Mutex<Option<String>>,
}

impl Chain {
    fn lost(&self) -> Option<String> {
        self.lost.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Refreshes until `stop`; returns the latest refresh token, or why the session was
/// lost.
async fn run_chain(
    client: OAuthClient,
    mut token: String,
    chain: Arc<Chain>,
    stop: Arc<AtomicBool>,
) -> Result<String, String> {
    while !stop.load(Ordering::Relaxed) {
        let reply = client.token_refresh(WEB_APP, &token).await;
        match reply.status {
            200 => {
                token = reply.refresh_token().to_owned();
                chain.refreshes.fetch_add(1, Ordering::Relaxed);
            }
            // Told the refresh failed: retry with the same token, as a client would.
            503 => tokio::time::sleep(RETRY_PAUSE).await,
            _ => {
                let done = chain.refreshes.load(Ordering::Relaxed);
                let why = format!("session lost after {done} refreshes: {} {}", reply.status, reply.text());
                *chain.lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.clone());
                return Err(why);
            }
        }
    }
    Ok(token)
}

async fn await_progress(chains: &[Arc<Chain>], what: &str) {
    let start: Vec<usize> = chains.iter().map(|c| c.refreshes.load(Ordering::Relaxed)).collect();
    poll_until(PROGRESS_DEADLINE, what, || {
        if let Some((i, why)) = chains.iter().enumerate().find_map(|(i, c)| c.lost().map(|why| (i, why))) {
            panic!("chain {i} lost its session ({what}): {why}");
        }
        let advanced = chains.iter().zip(&start).all(|(c, s)| c.refreshes.load(Ordering::Relaxed) >= s + PROGRESS);
        async move { advanced.then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn refresh_chains_survive_redis_being_killed_and_restarted() {
    let mut redis = RedisServer::start_persistent().await;
    let auth = AuthServer::start(AuthOptions::redis(&redis)).await;
    let client = OAuthClient::new(auth.base_url());

    let stop = Arc::new(AtomicBool::new(false));
    let mut chains = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..CHAINS {
        let login = client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
        let chain = Arc::new(Chain::default());
        let task = run_chain(client.clone(), login.refresh_token().to_owned(), chain.clone(), stop.clone());
        tasks.push(tokio::spawn(task));
        chains.push(chain);
    }

    for kill in 1..=KILLS {
        await_progress(&chains, &format!("every chain refreshing before kill {kill}")).await;
        redis.kill();
        redis.restart().await;
    }
    await_progress(&chains, "every chain refreshing after the last restart").await;
    stop.store(true, Ordering::Relaxed);

    let mut lost = Vec::new();
    let mut latest = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("a chain task") {
            Ok(token) => latest.push(token),
            Err(why) => lost.push(format!("chain {i}: {why}")),
        }
    }
    assert!(lost.is_empty(), "sessions lost across Redis kills:\n{}\nauth log:\n{}", lost.join("\n"), auth.log());
    for (i, token) in latest.iter().enumerate() {
        let reply = client.token_refresh(WEB_APP, token).await;
        assert_eq!(reply.status, 200, "chain {i}'s latest token: {} {}", reply.status, reply.text());
    }
}
