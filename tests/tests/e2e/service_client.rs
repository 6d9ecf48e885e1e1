//! `resource_server::client::ServiceClient` and the `reports-job` binary against the
//! real auth server (short `AUTH_ACCESS_TTL`) and a real resource server in local mode.
//!
//! ```text
//! many callers ──► ServiceClient ──(client_credentials, one renewal in flight)──► auth-server
//!                      │ Authorization: Bearer
//!                      └──► resource-server GET /api/documents      (zero 401s, one token
//!                                                                    request per lifetime)
//! revoke the current token (RFC 7009) ─► the resource server refuses it (feed) ─► the
//!   client's next call: 401 invalid_token, one renewal, one retry, 200 to its caller
//! reports-job (REPORTS_RUNS bounded) ─► exit 0, summary: failed=0 unauthorized=0
//! ```
//!
//! A token is in use for its lifetime less the client's renewal margin (a tenth of
//! it, at least 1 s): renewals are at least that far apart, whatever the machine's
//! load, so the number of token requests has an upper bound in elapsed time. The loops
//! end on counts (token requests, runs), with a deadline only to fail.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use resource_server::client::ServiceClient;
use resource_server::Secret;
use tests::bootstrap::*;
use tests::fleet::{await_refusal, REVOCATION_DEADLINE};
use tests::{ApiStack, ClientAuth, ReportsJob, ReportsJobOptions, Store, Verify};

use crate::key_support::{labelled_sum, metrics_text};

/// `AUTH_ACCESS_TTL` of the renewal tests, seconds.
const TTL: u64 = 3;
/// How long the client uses each token: the lifetime less its 1 s renewal margin.
const IN_USE: Duration = Duration::from_secs(TTL - 1);
/// Token requests after which the callers stop: the first and nine renewals, at least
/// nine times [`IN_USE`] apart, so more than six lifetimes.
const TOKENS: u64 = 10;
/// Callers sharing the client at once.
const CALLERS: usize = 16;
/// Between two calls of one caller: steady traffic that leaves the machine room.
const PACE: Duration = Duration::from_millis(20);
/// Only for failing: far more than the test needs.
const DEADLINE: Duration = Duration::from_secs(120);

async fn stack(store: Store, ttl: u64) -> ApiStack {
    ApiStack::start_with(store, Verify::Local, |options| options.env("AUTH_ACCESS_TTL", ttl.to_string())).await
}

fn service_client(api: &ApiStack) -> ServiceClient {
    ServiceClient::builder(SERVICE_A, Secret::new(SERVICE_A_SECRET))
        .auth_url(api.stack.base_url())
        .scope(READ)
        .build()
        .expect("a service client")
}

fn documents_url(api: &ApiStack) -> String {
    format!("{}/api/documents", api.resource.base_url())
}

/// Tokens the auth server issued with the client credentials grant.
async fn client_credentials_issued(api: &ApiStack) -> u64 {
    let text = metrics_text(&api.stack.ops_url()).await;
    labelled_sum(&text, "auth_tokens_issued_total", "grant_type=\"client_credentials\"")
}

on_both_stores! {
    /// Many callers share one client across more than six token lifetimes: every call
    /// is accepted, no call needed a retry, and the tokens were requested one at a
    /// time, one per lifetime.
    async fn many_callers_share_one_token_per_lifetime(store: Store) {
        let api = stack(store, TTL).await;
        let client = service_client(&api);
        let url = documents_url(&api);
        let statuses = Mutex::new(BTreeMap::<String, u64>::new());
        let done = AtomicBool::new(false);
        let started = Instant::now();
        let caller = || async {
            while !done.load(Ordering::SeqCst) {
                let status = match client.get(&url).await {
                    Ok(response) => response.status().as_u16().to_string(),
                    Err(err) => format!("error: {}", shared_claims::error_chain(&err)),
                };
                *statuses.lock().unwrap().entry(status).or_default() += 1;
                if client.token_requests() >= TOKENS || started.elapsed() > DEADLINE {
                    done.store(true, Ordering::SeqCst);
                }
                tokio::time::sleep(PACE).await;
            }
        };
        join_all((0..CALLERS).map(|_| caller())).await;
        let elapsed = started.elapsed();
        let statuses = statuses.into_inner().unwrap();
        let requests = client.token_requests();
        assert!(requests >= TOKENS, "only {requests} token requests within {DEADLINE:?}: {statuses:?}");
        assert_eq!(statuses.keys().collect::<Vec<_>>(), ["200"], "every call accepted: {statuses:?}");
        assert_eq!((client.retries(), client.token_request_failures()), (0, 0), "no token refused or missing");
        assert_eq!(client_credentials_issued(&api).await, requests, "the auth server counts the same requests");
        // One request per token in use, never two for one renewal: renewals are at
        // least IN_USE apart, so the first and the rest fit in the time that passed.
        let most = elapsed.as_secs_f64() / IN_USE.as_secs_f64() + 2.0;
        assert!((requests as f64) <= most, "{requests} token requests in {elapsed:?}: more than one per lifetime");
        assert!(requests >= 5);
    }
}

on_both_stores! {
    /// A revoked token is refused by the resource server; the client's next call gets
    /// that 401 `invalid_token`, renews once, and its caller sees the retry's 200.
    async fn a_revoked_token_is_replaced_without_an_error(store: Store) {
        let api = stack(store, 300).await;
        let client = service_client(&api);
        let url = documents_url(&api);
        assert_eq!(client.get(&url).await.unwrap().status(), 200);
        let revoked = client.access_token().await.unwrap();
        let reply = api.client.revoke(revoked.expose(), ClientAuth::Basic(SERVICE_A, SERVICE_A_SECRET)).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        await_refusal(&api.api, revoked.expose(), REVOCATION_DEADLINE)
            .await
            .unwrap_or_else(|last| panic!("the revoked token was still accepted: {last:?}"));
        assert_eq!(client.token_requests(), 1, "the client has not noticed yet");

        let response = client.get(&url).await.unwrap();
        assert_eq!(response.status(), 200, "the caller sees no error");
        assert_eq!((client.token_requests(), client.retries()), (2, 1), "one renewal, one retry");
        assert_ne!(client.access_token().await.unwrap(), revoked);
        assert_eq!(client.get(&url).await.unwrap().status(), 200);
        assert_eq!((client.token_requests(), client.retries()), (2, 1));
    }
}

/// The reports job runs across more than five token lifetimes (a 2 s token is used
/// for 1 s; runs start at least 200 ms apart, so one token serves at most six runs and
/// 60 runs need at least ten tokens) and exits 0, its summary saying no call failed.
#[tokio::test]
async fn the_reports_job_runs_across_token_lifetimes_without_a_failure() {
    const RUNS: u64 = 60;
    const CONCURRENCY: u64 = 4;
    let api = stack(Store::Embedded, 2).await;
    let options = ReportsJobOptions::new(&api.stack.base_url(), &api.resource.base_url(), SERVICE_A, SERVICE_A_SECRET)
        .env("REPORTS_RUNS", RUNS.to_string())
        .env("REPORTS_INTERVAL_MS", "200")
        .env("REPORTS_CONCURRENCY", CONCURRENCY.to_string());
    let mut job = ReportsJob::start(&options);
    let status = job.wait(DEADLINE).await.unwrap_or_else(|| panic!("still running after {DEADLINE:?}"));
    assert!(status.success(), "exit {status}");
    let summary = job.fields("summary").expect("a summary line");
    let field = |name: &str| summary.get(name).and_then(|v| v.parse::<u64>().ok()).unwrap_or(u64::MAX);
    assert_eq!(field("runs"), RUNS, "{summary:?}");
    assert_eq!((field("ok"), field("failed"), field("unauthorized")), (RUNS * CONCURRENCY, 0, 0), "{summary:?}");
    assert!(field("token_requests") >= 5, "{summary:?}");
    assert_eq!(field("retries"), 0, "{summary:?}");
    assert_eq!(summary.get("interrupted").map(String::as_str), Some("false"));
    assert_eq!(client_credentials_issued(&api).await, field("token_requests"));
}

/// SIGTERM stops the job at once, in the middle of a ten-minute wait between runs, with
/// a summary line and exit code 0 (every call so far succeeded).
#[tokio::test]
async fn the_reports_job_stops_at_once_on_sigterm() {
    let api = stack(Store::Embedded, 300).await;
    let options = ReportsJobOptions::new(&api.stack.base_url(), &api.resource.base_url(), SERVICE_A, SERVICE_A_SECRET)
        .env("REPORTS_INTERVAL_MS", "600000");
    let mut job = ReportsJob::start(&options);
    tests::poll_until(DEADLINE, "the first run", || std::future::ready(job.fields("run finished"))).await;
    let status = job.terminate(Duration::from_secs(10)).await.expect("stopped well before the next run");
    assert!(status.success(), "exit {status}");
    let summary = job.fields("summary").expect("a summary line");
    assert_eq!(summary.get("interrupted").map(String::as_str), Some("true"), "{summary:?}");
    assert_eq!((summary["runs"].as_str(), summary["failed"].as_str()), ("1", "0"), "{summary:?}");
}

/// A job whose client the auth server refuses ends with exit code 1 and says why.
#[tokio::test]
async fn the_reports_job_fails_when_it_gets_no_token() {
    let api = stack(Store::Embedded, 300).await;
    let options = ReportsJobOptions::new(&api.stack.base_url(), &api.resource.base_url(), SERVICE_A, "wrong-secret")
        .env("REPORTS_RUNS", "2")
        .env("REPORTS_INTERVAL_MS", "100");
    let mut job = ReportsJob::start(&options);
    let status = job.wait(DEADLINE).await.unwrap_or_else(|| panic!("still running after {DEADLINE:?}"));
    assert_eq!(status.code(), Some(1));
    let summary = job.fields("summary").expect("a summary line");
    assert_eq!((summary["ok"].as_str(), summary["failed"].as_str()), ("0", "16"), "{summary:?}");
    let log = job.log();
    assert!(log.contains("invalid_client"), "the reason is logged:\n{log}");
    assert!(!log.contains("wrong-secret"), "the secret is not:\n{log}");
}
