//! The token endpoint: `client_credentials` (ours and the peer's; its answers fill the
//! token pool the later cases use), `refresh_token` (one rotating chain per
//! connection), and `password` with `/healthz` and the JWKS probed under that load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{fig, Bench, FigureId};
use crate::http1::Connection;
use crate::load::{self, LoadPlan};
use crate::oauth::{self, Client};
use crate::stats::Latency;
use crate::topology::Service;
use crate::workloads::{Capturing, Fixed, RefreshChain};

pub const CLIENT_CREDENTIALS: &str = "token_client_credentials";
pub const PEER_CLIENT_CREDENTIALS: &str = "peer_client_credentials";
pub const REFRESH: &str = "token_refresh";
pub const PASSWORD: &str = "token_password";
pub const HEALTH_UNDER_PASSWORD: &str = "probe_healthz_under_password";
pub const JWKS_UNDER_PASSWORD: &str = "probe_jwks_under_password";

pub const BENCH_CLIENT: Client = Client { id: "bench-client", secret: "bench-client-secret" };
pub const RS_CLIENT: Client = Client { id: "documents-api", secret: "documents-api-bench-secret" };
const PUBLIC_CLIENT: &str = "bench-web";
const USER: (&str, &str) = ("bench-user", "bench-user-password");
/// The peer's resource whose access tokens are opaque (it introspects only those).
const PEER_OPAQUE_RESOURCE: &str = "urn:bench:documents-api:opaque";

/// Opaque tokens the peer still holds after issuing many (see `client_credentials`).
const PEER_STORE_KEEPS: usize = 900;

/// Tokens minted once and used by the later cases.
pub struct Pool {
    /// Our access tokens for `documents-api`, all distinct.
    pub tokens: Vec<String>,
    /// The peer's opaque access tokens, for its introspection case.
    pub peer_opaque: Vec<String>,
}

pub fn cc_request(service: &Service, path: &str, resource: Option<&str>) -> Vec<u8> {
    let mut form = vec![("grant_type", "client_credentials"), ("scope", "documents:read")];
    form.extend(resource.map(|r| ("resource", r)));
    oauth::post_form(service.addr, path, Some(&BENCH_CLIENT), &form)
}

pub async fn client_credentials(bench: &mut Bench) -> Pool {
    let auth = bench.topo.auth.clone();
    let want = bench.settings.token_pool();
    let workload = Arc::new(Capturing::new(Fixed::status(cc_request(&auth, "/oauth2/token", None), 200), want));
    let plan = bench.plan(&auth, bench.settings.connections);
    let figure = fig(CLIENT_CREDENTIALS, "token", "client_credentials grant (RS256 JWT)");
    bench.measure(figure, plan, workload.clone()).await;
    let mut tokens = workload.take_tokens();
    top_up(bench, &mut tokens, want).await;
    println!("  token pool: {} distinct access tokens", tokens.len());

    let mut peer_opaque = Vec::new();
    if let Some(peer) = bench.topo.peer.clone() {
        let workload = Arc::new(Fixed::status(cc_request(&peer, "/token", None), 200));
        let plan = bench.plan(&peer, bench.settings.connections);
        let figure = fig(PEER_CLIENT_CREDENTIALS, "peer", "peer (node oidc-provider): client_credentials (RS256 JWT)");
        bench.measure(figure, plan, workload).await;
        let request = cc_request(&peer, "/token", Some(PEER_OPAQUE_RESOURCE));
        let workload = Arc::new(Capturing::new(Fixed::status(request, 200), usize::MAX));
        let plan = LoadPlan { warmup: Duration::ZERO, duration: Duration::from_secs(1), ..plan };
        load::run(plan, workload.clone()).await;
        peer_opaque = workload.take_tokens();
        // Its stock in-memory adapter is an LRU of 1 000 to 2 000 entries: only the
        // last tokens issued are still there to introspect.
        peer_opaque.drain(..peer_opaque.len().saturating_sub(PEER_STORE_KEEPS));
    }
    Pool { tokens, peer_opaque }
}

/// `want` fresh access tokens of `bench-client`, minted unmeasured.
pub async fn mint(bench: &Bench, want: usize) -> Vec<String> {
    let mut tokens = Vec::with_capacity(want);
    top_up(bench, &mut tokens, want).await;
    tokens
}

/// Mints until `tokens` holds `want`, in short bounded rounds (two minutes at most).
async fn top_up(bench: &Bench, tokens: &mut Vec<String>, want: usize) {
    let auth = &bench.topo.auth;
    let plan = LoadPlan {
        warmup: Duration::ZERO,
        duration: Duration::from_secs(2),
        ..bench.plan(auth, bench.settings.connections)
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while tokens.len() < want && Instant::now() < deadline {
        let workload =
            Arc::new(Capturing::new(Fixed::status(cc_request(auth, "/oauth2/token", None), 200), want - tokens.len()));
        load::run(plan, workload.clone()).await;
        tokens.extend(workload.take_tokens());
    }
}

/// `client_credentials` alone, as `figure` (the growth cases).
pub async fn measure_client_credentials(bench: &mut Bench, figure: FigureId) {
    let auth = bench.topo.auth.clone();
    let workload = Arc::new(Fixed::status(cc_request(&auth, "/oauth2/token", None), 200));
    let plan = bench.plan(&auth, bench.settings.connections);
    bench.measure(figure, plan, workload).await;
}

fn password_request(auth: &Service) -> Vec<u8> {
    let form = [
        ("grant_type", "password"),
        ("username", USER.0),
        ("password", USER.1),
        ("client_id", PUBLIC_CLIENT),
        ("scope", "documents:read"),
    ];
    oauth::post_form(auth.addr, "/oauth2/token", None, &form)
}

/// One refresh token per chain, each from its own password login (`count` Argon2
/// verifications, well under a second).
pub async fn refresh_seeds(auth: &Service, count: usize) -> Vec<String> {
    let mut seeds = Vec::with_capacity(count);
    if let Ok(mut conn) = Connection::connect(auth.addr).await {
        let request = password_request(auth);
        for _ in 0..count {
            match conn.roundtrip(&request).await {
                Ok(response) => seeds.extend(oauth::json_string(response.body, "refresh_token")),
                Err(_) => break,
            }
        }
    }
    seeds
}

/// `refresh_token` grants of the public bench client, one chain per seed.
pub fn refresh_chains(auth: &Service, seeds: Vec<String>) -> RefreshChain {
    let addr = auth.addr;
    let build = Box::new(move |token: &str| {
        let form = [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", PUBLIC_CLIENT)];
        oauth::post_form(addr, "/oauth2/token", None, &form)
    });
    RefreshChain { seeds, build }
}

pub async fn refresh(bench: &mut Bench) {
    refresh_as(bench, fig(REFRESH, "token", "refresh_token grant (rotation)")).await;
}

/// The refresh case, recorded as `figure`.
pub async fn refresh_as(bench: &mut Bench, figure: FigureId) {
    let auth = bench.topo.auth.clone();
    let connections = bench.settings.connections;
    let seeds = refresh_seeds(&auth, connections).await;
    if seeds.len() < connections {
        bench.record(figure, None, None, 0, format!("only {} of {connections} logins succeeded", seeds.len()));
        return;
    }
    let plan = bench.plan(&auth, connections);
    // One slice: the chains' tokens rotate, so they cannot restart from the seeds.
    bench.measure_rounds(figure, plan, Arc::new(refresh_chains(&auth, seeds)), 1).await;
}

pub async fn password(bench: &mut Bench) {
    let auth = bench.topo.auth.clone();
    let connections = 4 * bench.results.machine.cpus.max(1);
    let plan = bench.plan(&auth, connections);
    let until = Instant::now() + plan.warmup + plan.duration;
    let interval = Duration::from_millis(20);
    let health = tokio::spawn(load::probe(auth.addr, oauth::get(auth.addr, "/healthz"), interval, until));
    let jwks = tokio::spawn(load::probe(auth.addr, oauth::get(auth.addr, "/.well-known/jwks.json"), interval, until));
    let figure = fig(PASSWORD, "token", "password grant (Argon2id)");
    bench.measure(figure, plan, Arc::new(Fixed::status(password_request(&auth), 200))).await;
    let probes = [
        (health, fig(HEALTH_UNDER_PASSWORD, "probe", "GET /healthz during the password load (every 20 ms)")),
        (jwks, fig(JWKS_UNDER_PASSWORD, "probe", "GET JWKS during the password load (every 20 ms)")),
    ];
    let seconds = (plan.warmup + plan.duration).as_secs_f64();
    for (probe, figure) in probes {
        let (mut latencies, failures) = probe.await.unwrap_or_default();
        let rate = latencies.len() as f64 / seconds;
        let note = if failures > 0 { format!("{failures} probes failed") } else { String::new() };
        bench.record(figure, Some(rate), Latency::of_micros(&mut latencies), failures, note);
    }
}
