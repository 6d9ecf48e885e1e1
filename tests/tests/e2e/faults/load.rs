//! The mixed load the fault tests run while they break things.
//!
//! ```text
//! chains    alice logs in, refreshes in a loop (200: keep the successor; 503 or a
//!           broken exchange: retry the same token), calls GET /api/me with each
//!           new access token
//! logins    bob logs in through another client, again and again
//! revoker   bob logs in, revokes the access token or the refresh token (its whole
//!           session); every acknowledged revocation is kept to check at the end
//! ```
//!
//! Every exchange is counted in the [`Tally`], which also collects the problems the
//! workers see: an API call with a live token not answered 200, a session lost other
//! than after a refresh in doubt, a login or revocation refused.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tests::bootstrap::*;
use tests::fleet::{await_refusal, REVOCATION_DEADLINE};
use tests::{poll_until, ApiClient, ClientAuth, Credentials, OAuthClient, Reply};
use tokio::task::JoinHandle;

use super::tally::{lock, outcome, Op, Tally};

/// A 503 that took this long came from a refresh whose rotation stayed in doubt (the
/// server read the store back for its whole bound): the rotation may have happened, so
/// the retry may meet reuse detection, as documented.
const IN_DOUBT_LATENCY: Duration = Duration::from_millis(1900);
/// Pause before retrying after a 503 or a broken exchange, as a client would.
const RETRY_PAUSE: Duration = Duration::from_millis(50);
/// Pause between logins and between revocations, so the load leaves the machine room.
const PACE: Duration = Duration::from_millis(20);
/// How long a worker keeps trying to log in before reporting it as a problem.
const LOGIN_DEADLINE: Duration = Duration::from_secs(60);

/// A revocation the auth server acknowledged with 200.
struct Revoked {
    access_token: String,
    /// The session's refresh token, when the whole session was revoked.
    refresh_token: Option<String>,
}

/// The shared state of one load run.
pub(super) struct Load {
    pub tally: Tally,
    stop: AtomicBool,
    /// Successful operations per worker, to wait for progress.
    progress: Vec<AtomicUsize>,
    revoked: Mutex<Vec<Revoked>>,
    /// Chains whose session ended by reuse detection after a refresh in doubt.
    lost_in_doubt: AtomicUsize,
}

/// The running load: its state and its workers.
pub(super) struct Running {
    pub load: Arc<Load>,
    chains: Vec<JoinHandle<String>>,
    others: Vec<JoinHandle<()>>,
    client: OAuthClient,
}

impl Load {
    fn new(workers: usize) -> Arc<Self> {
        Arc::new(Load {
            tally: Tally::new(),
            stop: AtomicBool::new(false),
            progress: (0..workers).map(|_| AtomicUsize::new(0)).collect(),
            revoked: Mutex::new(Vec::new()),
            lost_in_doubt: AtomicUsize::new(0),
        })
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub(super) fn lost_in_doubt(&self) -> usize {
        self.lost_in_doubt.load(Ordering::Relaxed)
    }

    /// The tally's summary and the sessions ended after a refresh in doubt.
    pub(super) fn summary(&self) -> String {
        format!("{}; sessions ended after a refresh in doubt: {}", self.tally.summary(), self.lost_in_doubt())
    }

    /// Waits until every worker has `more` successful operations beyond now; panics
    /// naming the problems seen if they do not come within `deadline`.
    pub(super) async fn await_progress(&self, more: usize, deadline: Duration, what: &str) {
        let start: Vec<usize> = self.progress.iter().map(|p| p.load(Ordering::Relaxed)).collect();
        let done = tests::poll::try_poll_until(deadline, || {
            let advanced = self.progress.iter().zip(&start).all(|(p, s)| p.load(Ordering::Relaxed) >= s + more);
            async move { advanced.then_some(()) }
        })
        .await;
        if done.is_none() {
            let now: Vec<usize> = self.progress.iter().map(|p| p.load(Ordering::Relaxed)).collect();
            panic!(
                "no progress within {deadline:?} ({what}): successes per worker {start:?} -> {now:?}\nproblems: \
                 {:#?}\n{}",
                self.tally.problems(),
                self.summary()
            );
        }
    }
}

/// Logs `username` in through `client_id` until it works (a 503 or a broken exchange
/// is retried, as a user would); `None` if the load stopped first.
async fn log_in(load: &Load, client: &OAuthClient, client_id: &str, username: &str, password: &str) -> Option<Reply> {
    let deadline = Instant::now() + LOGIN_DEADLINE;
    while !load.stopped() {
        let exchange = load.tally.exchange(Op::Login, client.try_token_password(client_id, username, password)).await;
        match exchange.result {
            Ok(reply) if reply.status == 200 => return Some(reply),
            Ok(reply) if reply.status != 503 => {
                load.tally.problem(format!("login of {username} refused: {reply:?}"));
            }
            _ => {}
        }
        if Instant::now() > deadline {
            load.tally.problem(format!("{username} could not log in for {LOGIN_DEADLINE:?}"));
            return None;
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
    None
}

/// Refreshes until stopped; returns the chain's latest refresh token.
async fn chain(load: Arc<Load>, worker: usize, client: OAuthClient, api: ApiClient) -> String {
    let Some(login) = log_in(&load, &client, WEB_APP, ALICE, ALICE_PASSWORD).await else { return String::new() };
    let mut token = login.refresh_token().to_owned();
    // The last attempt with `token` may have rotated it without our hearing of it.
    let mut in_doubt = false;
    while !load.stopped() {
        let exchange = load.tally.exchange(Op::Refresh, client.try_token_refresh(WEB_APP, &token)).await;
        let took = exchange.took;
        match (exchange.status(), exchange.result) {
            (Some(200), Ok(reply)) => {
                token = reply.refresh_token().to_owned();
                in_doubt = false;
                let access = reply.access_token();
                let api_call = load.tally.exchange(Op::Api, api.try_me(Credentials::Bearer(access))).await;
                match api_call.result {
                    Ok(reply) if reply.status == 200 => {
                        load.progress[worker].fetch_add(1, Ordering::Relaxed);
                    }
                    other => load.tally.problem(format!("chain {worker}: a fresh access token: {:?}", outcome(&other))),
                }
            }
            (Some(503), _) => {
                in_doubt |= took >= IN_DOUBT_LATENCY;
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            (None, _) => {
                in_doubt = true;
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            (_, result) => {
                let answer = outcome(&result);
                if in_doubt && answer == "400 invalid_grant" {
                    // Documented: the rotation happened but its answer was lost, so the
                    // retry was reuse and ended the session.
                    load.lost_in_doubt.fetch_add(1, Ordering::Relaxed);
                } else {
                    load.tally.problem(format!("chain {worker}: session lost: {answer} {result:?}"));
                }
                let Some(login) = log_in(&load, &client, WEB_APP, ALICE, ALICE_PASSWORD).await else { break };
                token = login.refresh_token().to_owned();
                in_doubt = false;
            }
        }
    }
    token
}

/// Logs bob in again and again.
async fn logins(load: Arc<Load>, worker: usize, client: OAuthClient) {
    while !load.stopped() {
        if log_in(&load, &client, MOBILE_APP, BOB, BOB_PASSWORD).await.is_some() {
            load.progress[worker].fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(PACE).await;
    }
}

/// Logs bob in and revokes the access token or, every other time, the whole session.
async fn revoker(load: Arc<Load>, worker: usize, client: OAuthClient) {
    let mut round = 0usize;
    while !load.stopped() {
        let Some(login) = log_in(&load, &client, WEB_APP, BOB, BOB_PASSWORD).await else { break };
        round += 1;
        let access_token = login.access_token().to_owned();
        let refresh_token = round.is_multiple_of(2).then(|| login.refresh_token().to_owned());
        let target = refresh_token.as_deref().unwrap_or(&access_token);
        while !load.stopped() {
            let exchange =
                load.tally.exchange(Op::Revoke, client.try_revoke(target, ClientAuth::Public(WEB_APP))).await;
            match exchange.result {
                Ok(reply) if reply.status == 200 => {
                    lock(&load.revoked).push(Revoked { access_token, refresh_token });
                    load.progress[worker].fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(reply) if reply.status != 503 => {
                    load.tally.problem(format!("revocation refused: {reply:?}"));
                    break;
                }
                _ => tokio::time::sleep(RETRY_PAUSE).await,
            }
        }
        tokio::time::sleep(PACE).await;
    }
}

/// Starts `chains` refresh chains, one login worker and one revoker against the auth
/// server behind `client`, with API calls at `api`.
pub(super) fn start(client: &OAuthClient, api: &ApiClient, chains: usize) -> Running {
    let load = Load::new(chains + 2);
    let chain_tasks = (0..chains).map(|i| tokio::spawn(chain(load.clone(), i, client.clone(), api.clone()))).collect();
    let others = vec![
        tokio::spawn(logins(load.clone(), chains, client.clone())),
        tokio::spawn(revoker(load.clone(), chains + 1, client.clone())),
    ];
    Running { load, chains: chain_tasks, others, client: client.clone() }
}

impl Running {
    /// Stops the workers and checks that nothing acknowledged was lost: every chain's
    /// latest refresh token still refreshes, every revoked token is refused at `api`
    /// (and a revoked session's refresh token at the auth server).
    pub(super) async fn finish(self, api: &ApiClient) -> Arc<Load> {
        self.load.stop.store(true, Ordering::Relaxed);
        let mut latest = Vec::new();
        for task in self.chains {
            latest.push(task.await.expect("a chain worker"));
        }
        for task in self.others {
            task.await.expect("a load worker");
        }
        let client = &self.client;
        for (i, token) in latest.iter().enumerate() {
            // The last refresh may have been cut off in doubt as the load stopped: give
            // the server a moment, as a client would retry.
            let reply = poll_until(Duration::from_secs(30), "a chain's latest token to be judged", || async move {
                let reply = client.token_refresh(WEB_APP, token).await;
                (reply.status != 503).then_some(reply)
            })
            .await;
            assert_eq!(reply.status, 200, "chain {i}'s latest refresh token was lost: {reply:?}");
        }
        let revoked = std::mem::take(&mut *lock(&self.load.revoked));
        assert!(!revoked.is_empty(), "the load made no revocation: {}", self.load.summary());
        for (i, revocation) in revoked.iter().enumerate() {
            if let Err(last) = await_refusal(api, &revocation.access_token, REVOCATION_DEADLINE).await {
                panic!("revocation {i} (acknowledged) is not enforced at the resource server: {last:?}");
            }
            if let Some(refresh_token) = &revocation.refresh_token {
                let reply = client.token_refresh(WEB_APP, refresh_token).await;
                assert_eq!(
                    (reply.status, reply.json["error"].as_str()),
                    (400, Some("invalid_grant")),
                    "revoked session {i} refreshes: {reply:?}"
                );
            }
        }
        eprintln!("  {} acknowledged revocations all enforced", revoked.len());
        self.load
    }
}
