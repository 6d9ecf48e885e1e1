//! Under a steady load of logins and protected calls across
//! automatic key rotations, no valid token is refused and no resource server fetches
//! the JWKS more than its `Cache-Control` schedule says.
//!
//! ```text
//! redis ─ auth-server (rotation every 12 s, JWKS max-age 1 s, tick 1 s, skew 10 s)
//!            ▲   lead = max-age + tick + skew = 12 s ≥ the RS's 5 s cache + tick + 6 s
//!            │
//!   rs-1, rs-2 (local mode: JWKS every max(max-age, 5 s) = 5 s, revocation feed)
//!
//! 4 workers, each until told to stop (or 1000 iterations, or 90 s):
//!   password login | refresh | client_credentials ─► token
//!   GET /api/me on rs-1 and rs-2 with it ─► must be 200
//!   GET /api/me with the worker's first token (signed by the first key) ─► 200
//! monitor: GET /admin/keys every 200 ms until the active kid changed twice and the
//!   newest key has signed a few tokens
//! then: no token signed clearly after a key's activation (its `iat` more than 1 s
//!   past the key's `activated_at`, both server clock) carries an older key;
//!   one token of every key is accepted by both servers; successful JWKS fetches per
//!   server ≤ 1 + ⌊elapsed / 5 s⌋ (the refresh schedule alone); no fetch and no
//!   refusal for an unknown `kid`.
//! ```
//!
//! `rs_key_set_unknown_kid_fetches_total` must stay at zero: with the key published
//! ahead of use, no resource server meets a `kid` before its cache holds it. The
//! overall bound: `rs_key_set_fetches_total` counts every fetch. A scheduled refresh sleeps `max(max-age, 5 s)` after each
//! successful fetch, so within `elapsed` of the servers' start there are at most
//! 1 + ⌊elapsed / 5 s⌋ successful scheduled fetches; an unknown-`kid` refetch shows
//! as one more (unless the schedule happened to run late by most of a period). A
//! failed fetch (`rs_key_set_fetch_failures_total`) is retried after 250 ms and does
//! not move the schedule, so the bound is on successful fetches; failures are shown.
//!
//! The key order is judged on the server's clock: `GET /admin/keys` reads the store,
//! which holds a new active key a moment before the signer installs it, so a token
//! asked for just after the monitor saw a change may still, correctly, carry the old
//! key. `activated_at` is the time the lifecycle tick read before saving the change.
//!
//! It holds `tests::heavy::exclusive` for its whole run: no other key or revocation
//! test (each with several servers) competes with it for the two cores.
//!
//! Redis rather than the embedded store: it is the deployment the lifecycle is built
//! for (the compare-and-set of each transition, private keys decrypted on every
//! reload, the key list read from the store by `GET /admin/keys`), at the cost of one
//! more small process.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tests::bootstrap::*;
use tests::{
    AdminClient, ApiClient, AuthStack, Credentials, Jwks, OAuthClient, Reply, ResourceOptions, ResourceServer, Store,
};

use crate::key_support::*;

/// How long a key signs (`AUTH_KEY_ROTATION_INTERVAL`): the lead, so each `next` key
/// is published as its predecessor starts signing.
const ROTATION_INTERVAL: i64 = 12;
/// `AUTH_JWKS_MAX_AGE`: below the resource server's floor, so its cache time is the floor.
const JWKS_MAX_AGE: i64 = 1;
/// `AUTH_KEY_REFRESH_INTERVAL`: the lifecycle tick.
const REFRESH_INTERVAL: i64 = 1;
/// `AUTH_CLOCK_SKEW`.
const CLOCK_SKEW: i64 = 10;
/// How long a `next` key is published before it signs.
const LEAD: i64 = JWKS_MAX_AGE + REFRESH_INTERVAL + CLOCK_SKEW;
/// The resource server refreshes its JWKS every `max(max-age, 5 s)`
/// (`resource-server/src/verify/jwks.rs`, `RefreshPolicy::min_max_age`).
const RS_REFRESH_SECS: u64 = 5;
/// Scheduling slack left once every resource server has refreshed after a new key
/// was published: a loaded 2-core machine may delay a refresh by this much.
const SPARE: i64 = 6;
// A new key is in the JWKS at most one tick after it is created, and every resource
// server has refreshed at least once more before it signs, with SPARE seconds to spare.
const _: () = assert!(LEAD >= RS_REFRESH_SECS as i64 + REFRESH_INTERVAL + SPARE);
const _: () = assert!(ROTATION_INTERVAL >= LEAD);
/// Between the tick reading `activated_at` and the signer installing the new key: a
/// token whose `iat` is later than this past a key's activation must not carry an
/// older key.
const INSTALL_SLACK: i64 = 1;

/// Changes of the active key to watch.
const ROTATIONS: usize = 2;
/// Tokens the newest key must have signed before the load stops.
const TOKENS_OF_NEWEST_KEY: usize = 8;
/// The whole load phase ends by then whatever happened.
const DEADLINE: Duration = Duration::from_secs(90);
const WORKERS: usize = 4;
const MAX_ITERATIONS: usize = 1000;
/// Between two iterations of a worker: bounds the rate on a 2-core machine.
const PAUSE: Duration = Duration::from_millis(100);
const MONITOR_INTERVAL: Duration = Duration::from_millis(200);

/// A token a worker got, with its key and `iat`.
struct Issued {
    worker: usize,
    iteration: usize,
    grant: &'static str,
    kid: String,
    iat: i64,
    token: String,
}

/// A request that should have succeeded and did not.
struct Failure {
    at: Duration,
    worker: usize,
    iteration: usize,
    what: String,
    status: u16,
    body: String,
}

#[derive(Default)]
struct Shared {
    issued: Vec<Issued>,
    failures: Vec<Failure>,
}

type Servers = Vec<(String, ApiClient)>;

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

#[tokio::test]
async fn steady_load_across_two_automatic_rotations_refuses_no_valid_token() {
    let _alone = tests::heavy::exclusive().await;
    let stack = AuthStack::start_with(Store::Redis, |o| {
        o.env("AUTH_KEY_ROTATION_INTERVAL", ROTATION_INTERVAL.to_string())
            .env("AUTH_JWKS_MAX_AGE", JWKS_MAX_AGE.to_string())
            .env("AUTH_KEY_REFRESH_INTERVAL", REFRESH_INTERVAL.to_string())
            .env("AUTH_CLOCK_SKEW", CLOCK_SKEW.to_string())
            // Every worker logs in as one user, hundreds of times: the per-user
            // session cap would end the sessions of the tokens the workers keep.
            .env("AUTH_MAX_SESSIONS_PER_USER", "100000")
    })
    .await;
    let client = stack.client();
    // Built (once per test process) before the clock starts, so that the resource
    // servers' first fetch follows `rs_started` closely and the bound below is tight.
    tests::binaries::path("resource-server");
    let rs_started = Instant::now();
    let servers: Vec<ResourceServer> =
        join_all((0..2).map(|_| ResourceServer::start(ResourceOptions::new(stack.base_url())))).await;
    let apis: Servers = servers.iter().enumerate().map(|(i, s)| (format!("rs-{}", i + 1), s.api())).collect();
    let admin = AdminClient::login(&client).await;

    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(Mutex::new(Shared::default()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (client, apis, stop, shared) = (client.clone(), apis.clone(), stop.clone(), shared.clone());
            tokio::spawn(work(worker, client, apis, stop, shared, started))
        })
        .collect();

    // (kid, its `activated_at`, when GET /admin/keys first showed it active), in order.
    let first = list_keys(&admin).await;
    let mut activations: Vec<(String, i64, Duration)> = vec![activation(&first, started)];
    let mut timeline: Vec<String> = vec![describe(started, &first)];
    let mut last_seen = first;
    // When each server's fetch counter was seen to move: the schedule, for the report.
    let mut fetches_seen: Vec<Vec<(u64, Duration)>> = vec![Vec::new(); servers.len()];
    while started.elapsed() < DEADLINE {
        for (server, seen) in servers.iter().zip(fetches_seen.iter_mut()) {
            let count = rs_fetch_counts(&server.ops_url()).await.fetches;
            if seen.last().is_none_or(|(last, _)| *last != count) {
                seen.push((count, rs_started.elapsed()));
            }
        }
        let keys = list_keys(&admin).await;
        let kid = active(&keys).kid.clone();
        if activations.last().is_some_and(|(last, _, _)| *last != kid) {
            activations.push(activation(&keys, started));
        }
        if keys != last_seen {
            timeline.push(describe(started, &keys));
            last_seen = keys;
        }
        let newest_signed = lock(&shared).issued.iter().filter(|t| t.kid == kid).count();
        if activations.len() > ROTATIONS && newest_signed >= TOKENS_OF_NEWEST_KEY {
            break;
        }
        tokio::time::sleep(MONITOR_INTERVAL).await;
    }
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("a load worker panicked");
    }
    let load_time = started.elapsed();

    // The fetch counters first: nothing below may add to them before they are read.
    let auth_jwks = auth_jwks_requests(&stack.ops_url()).await;
    let counts = join_all(servers.iter().map(|s| rs_fetch_counts_owned(s.ops_url()))).await;
    let elapsed = rs_started.elapsed();
    let bound = 1 + elapsed.as_secs() / RS_REFRESH_SECS;

    let Shared { issued, failures } = std::mem::take(&mut *lock(&shared));
    let report = format!(
        "load {load_time:?} ({} tokens, {} failures); resource servers up {elapsed:?}; JWKS fetches per server \
         (bound {bound} = 1 + ⌊elapsed / {RS_REFRESH_SECS} s⌋): {}; auth-server JWKS requests: {auth_jwks}; \
         fetch counters as sampled (count, since the servers started): {fetches_seen:?}; \
         active keys in order (kid, activated_at, first seen): {:?}\nkey list whenever it changed:\n{}",
        issued.len(),
        failures.len(),
        apis.iter()
            .zip(&counts)
            .map(|((name, _), c)| format!(
                "{name} fetches={} failures={} unknown_kid_fetches={} unknown_kid_refusals={}",
                c.fetches, c.failures, c.unknown_kid_fetches, c.unknown_kid_refusals
            ))
            .collect::<Vec<_>>()
            .join(", "),
        activations,
        timeline.join("\n"),
    );
    eprintln!("key rotation under load: {report}");

    assert!(
        activations.len() > ROTATIONS,
        "the active key did not change {ROTATIONS} times within {DEADLINE:?}: {report}"
    );
    assert!(failures.is_empty(), "valid tokens were refused or not issued:\n{}\n{report}", show_failures(&failures));

    // No token signed clearly after a key's activation carries an older key (server
    // clock on both sides: the token's `iat`, the key's `activated_at`).
    let order: BTreeMap<&str, usize> =
        activations.iter().enumerate().map(|(i, (kid, _, _))| (kid.as_str(), i)).collect();
    for token in &issued {
        let position = order.get(token.kid.as_str()).copied().unwrap_or_else(|| {
            panic!(
                "worker {} iteration {} ({}) got a token signed by {}, never seen active: {report}",
                token.worker, token.iteration, token.grant, token.kid
            )
        });
        if let Some((newer, activated_at, _)) =
            activations[position + 1..].iter().find(|(_, activated_at, _)| token.iat > activated_at + INSTALL_SLACK)
        {
            panic!(
                "worker {} iteration {} ({}) got a token of the older key {} with iat {}, more than {INSTALL_SLACK} s \
                 after {newer} was activated at {activated_at}: {report}",
                token.worker, token.iteration, token.grant, token.kid, token.iat
            );
        }
    }

    // Every key signed tokens, and one of each is still accepted everywhere: the
    // retired keys' tokens verify after the rotations.
    let jwks = Jwks::fetch(&client).await;
    for (kid, _, _) in &activations {
        let token = issued
            .iter()
            .find(|t| &t.kid == kid)
            .unwrap_or_else(|| panic!("no token was signed by the key {kid} while it was active: {report}"));
        for (name, api) in &apis {
            let me = api.me(Credentials::Bearer(&token.token)).await;
            assert_eq!(me.status, 200, "{name} refuses a valid token of key {kid} after the rotations: {me:?}");
        }
        jwks.verify(&token.token).unwrap_or_else(|e| panic!("the JWKS no longer verifies key {kid}'s token: {e}"));
    }

    for ((name, _), count) in apis.iter().zip(&counts) {
        assert_eq!(count.unknown_kid_refusals, 0, "{name} refused tokens for an unknown kid: {report}");
        assert_eq!(count.unknown_kid_fetches, 0, "{name} met a kid before its JWKS cache held it: {report}");
        assert!(
            count.fetches - count.failures <= bound,
            "{name} fetched the JWKS more often than its refresh schedule (an unknown-kid refetch?): {report}"
        );
    }
    let attempts = 2 * bound + counts.iter().map(|c| c.failures).sum::<u64>();
    assert!(auth_jwks <= attempts, "the auth server served the JWKS more often than both schedules: {report}");
}

async fn rs_fetch_counts_owned(ops_url: String) -> FetchCounts {
    rs_fetch_counts(&ops_url).await
}

/// One load worker: a token per iteration (a password login every fourth, a refresh
/// of the last login's refresh token every fourth, client_credentials otherwise),
/// presented to every resource server, and the worker's first token presented again.
async fn work(
    worker: usize,
    client: OAuthClient,
    apis: Servers,
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Shared>>,
    started: Instant,
) {
    let (user, password) = [(ALICE, ALICE_PASSWORD), (BOB, BOB_PASSWORD)][worker % 2];
    let mut refresh_token: Option<String> = None;
    let mut first: Option<(String, String)> = None;
    for iteration in 0..MAX_ITERATIONS {
        if stop.load(Ordering::SeqCst) || started.elapsed() >= DEADLINE {
            break;
        }
        let fail = |what: String, reply: &Reply| Failure {
            at: started.elapsed(),
            worker,
            iteration,
            what,
            status: reply.status,
            body: reply.text(),
        };
        let (grant, reply) = match ((worker + iteration) % 4, refresh_token.take()) {
            (0, _) | (2, None) => ("password", client.token_password(WEB_APP, user, password, None).await),
            (2, Some(refresh)) => ("refresh_token", client.token_refresh(WEB_APP, &refresh).await),
            (_, kept) => {
                refresh_token = kept;
                ("client_credentials", client.token_client_credentials(SERVICE_A, SERVICE_A_SECRET, None).await)
            }
        };
        if reply.status != 200 {
            lock(&shared).failures.push(fail(format!("{grant} grant"), &reply));
            tokio::time::sleep(PAUSE).await;
            continue;
        }
        if let Some(refresh) = reply.json["refresh_token"].as_str() {
            refresh_token = Some(refresh.to_owned());
        }
        let token = reply.str("access_token").to_owned();
        let kid = kid_of(&token);
        let iat = iat_of(&token);
        for (name, api) in &apis {
            let me = api.me(Credentials::Bearer(&token)).await;
            if me.status != 200 {
                lock(&shared).failures.push(fail(format!("{name} GET /api/me, fresh {grant} token of {kid}"), &me));
            }
        }
        match &first {
            Some((first_kid, first_token)) => {
                let (name, api) = &apis[iteration % apis.len()];
                let me = api.me(Credentials::Bearer(first_token)).await;
                if me.status != 200 {
                    let what = format!("{name} GET /api/me, the worker's first token (key {first_kid})");
                    lock(&shared).failures.push(fail(what, &me));
                }
            }
            None => first = Some((kid.clone(), token.clone())),
        }
        lock(&shared).issued.push(Issued { worker, iteration, grant, kid, iat, token });
        tokio::time::sleep(PAUSE).await;
    }
}

/// The active key of a list: its kid, its `activated_at`, and when it was seen.
fn activation(keys: &[KeyInfo], started: Instant) -> (String, i64, Duration) {
    let key = active(keys);
    let activated_at = key.activated_at.unwrap_or_else(|| panic!("an active key without activated_at: {keys:?}"));
    (key.kid.clone(), activated_at, started.elapsed())
}

/// The `iat` of a compact JWS (not verified).
fn iat_of(token: &str) -> i64 {
    let (_, claims) = tests::jwks::decode_unverified(token).unwrap_or_else(|e| panic!("not a JWS: {e}"));
    claims.get("iat").and_then(serde_json::Value::as_i64).unwrap_or_else(|| panic!("no iat in {claims:?}"))
}

/// `+1.234s kid1=active kid2=next ...`
fn describe(started: Instant, keys: &[KeyInfo]) -> String {
    let keys: Vec<String> = keys.iter().map(|k| format!("{}={}", k.kid, k.state)).collect();
    format!("+{:?} {}", started.elapsed(), keys.join(" "))
}

fn show_failures(failures: &[Failure]) -> String {
    let mut lines: Vec<String> = failures
        .iter()
        .take(20)
        .map(|f| {
            format!(
                "+{:?} worker {} iteration {}: {}: HTTP {} {}",
                f.at, f.worker, f.iteration, f.what, f.status, f.body
            )
        })
        .collect();
    if failures.len() > 20 {
        lines.push(format!("... and {} more", failures.len() - 20));
    }
    lines.join("\n")
}
