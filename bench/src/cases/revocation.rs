//! Revocation: how fast an RFC 7009 revocation reaches every
//! local-mode resource server, and what the revocation check costs per request.
//!
//! ```text
//! run
//!   ├─ cost baseline        /api/me, one token repeated, no revocation in force
//!   ├─ propagation          for each token: every RS accepts it → POST /oauth2/revoke →
//!   │                       poll each RS until it answers 401 (time from the revoke answer)
//!   ├─ revoke_many          10 000 other tokens revoked; wait until the RS refuses the last
//!   └─ cost loaded          /api/me again, the same token, 10 000 revocations in force
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::token::{Pool, BENCH_CLIENT};
use super::{fig, Bench};
use crate::http1::Connection;
use crate::load::{self, LoadPlan};
use crate::oauth;
use crate::results::Propagation;
use crate::stats::Latency;
use crate::topology::Service;
use crate::workloads::{Accept, Fixed, Rotating};

pub const COST_EMPTY: &str = "rs_local_repeated_no_revocations";
pub const COST_LOADED: &str = "rs_local_repeated_10k_revocations";
const MANY: usize = 10_000;
/// The longest wait for one resource server to refuse a revoked token.
const REFUSE_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn run(bench: &mut Bench, pool: &Pool) {
    let needed = 1 + MANY + bench.settings.revocations();
    if pool.tokens.len() < needed {
        bench.note(format!("revocation cases skipped: {needed} tokens needed, {} minted", pool.tokens.len()));
        return;
    }
    let rs = bench.topo.rs_local[0].clone();
    let kept = pool.tokens[0].clone();
    let plan = bench.plan(&rs, bench.settings.connections);
    let request = oauth::get_bearer(rs.addr, "/api/me", &kept);
    let figure = fig(COST_EMPTY, "revocation", "/api/me local, one token repeated, no revocation in force");
    bench.measure(figure, plan, Arc::new(Fixed::status(request.clone(), 200))).await;

    let victims = &pool.tokens[pool.tokens.len() - bench.settings.revocations()..];
    let propagation = propagation(bench, victims).await;
    let available = propagation.available;
    bench.results.propagation = Some(propagation);

    let many = &pool.tokens[1..=MANY];
    let revoked = revoke_many(bench, many).await;
    let refused = match many.last() {
        Some(last) if available => wait_refused(&rs, last, Duration::from_secs(10)).await,
        _ => false,
    };
    let figure = fig(COST_LOADED, "revocation", "/api/me local, one token repeated, 10 000 revocations in force");
    bench.measure(figure, plan, Arc::new(Fixed::status(request, 200))).await;
    let state = if refused {
        "the resource server refused the last of them before the run"
    } else {
        "the resource server still accepted the last of them (no revocation view)"
    };
    bench.note(format!("{revoked} access tokens revoked for the revocation-cost case; {state}"));
}

async fn propagation(bench: &mut Bench, victims: &[String]) -> Propagation {
    let auth = bench.topo.auth.clone();
    let servers = bench.topo.rs_local.clone();
    let mut each = Vec::new();
    let mut all = Vec::new();
    let mut timeouts = 0;
    let mut note = String::new();
    let mut revocations = 0;
    let started = Instant::now();
    for (i, token) in victims.iter().enumerate() {
        match revoke_and_time(&auth, &servers, token).await {
            Ok(times) => {
                revocations += 1;
                let refused: Vec<u32> = times.iter().flatten().copied().collect();
                timeouts += times.len() - refused.len();
                if i == 0 && refused.is_empty() {
                    note = format!(
                        "not available: no resource server refused a revoked token within {REFUSE_TIMEOUT:?} (no revocation-feed follower in resource-server yet)"
                    );
                    break;
                }
                if refused.len() == times.len() {
                    all.extend(refused.iter().max());
                }
                each.extend(refused);
            }
            Err(why) => {
                note = format!("stopped: {why}");
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let available = !each.is_empty();
    let result = Propagation {
        available,
        revocations,
        resource_servers: servers.len(),
        each: Latency::of_micros(&mut each),
        all: Latency::of_micros(&mut all),
        timeouts,
        note,
    };
    match (&result.each, result.available) {
        (Some(l), true) => println!(
            "  revocation propagation to {} RS over {} revocations: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} timeouts) in {:.1} s",
            result.resource_servers, result.revocations, l.p50_ms, l.p99_ms, l.max_ms, result.timeouts, started.elapsed().as_secs_f64()
        ),
        _ => println!("  revocation propagation: {}", result.note),
    }
    result
}

/// Microseconds from the revoke answer until each server answered 401 (`None`: not
/// within the timeout).
async fn revoke_and_time(auth: &Service, servers: &[Service], token: &str) -> Result<Vec<Option<u32>>, String> {
    for server in servers {
        let status = single(server, &oauth::get_bearer(server.addr, "/api/me", token)).await?;
        if status != 200 {
            return Err(format!("{} answered {status} to a fresh token", server.name));
        }
    }
    let mut connections = Vec::new();
    for server in servers {
        connections.push(Connection::connect(server.addr).await.map_err(|e| e.to_string())?);
    }
    let revoke = oauth::post_form(
        auth.addr,
        "/oauth2/revoke",
        Some(&BENCH_CLIENT),
        &[("token", token), ("token_type_hint", "access_token")],
    );
    let status = single(auth, &revoke).await?;
    if status != 200 {
        return Err(format!("revoke answered {status}"));
    }
    let revoked_at = Instant::now();
    let polls: Vec<_> = servers
        .iter()
        .zip(connections)
        .map(|(server, conn)| {
            tokio::spawn(poll_until_refused(conn, oauth::get_bearer(server.addr, "/api/me", token), revoked_at))
        })
        .collect();
    let mut times = Vec::new();
    for poll in polls {
        times.push(poll.await.ok().flatten());
    }
    Ok(times)
}

async fn poll_until_refused(mut conn: Connection, request: Vec<u8>, since: Instant) -> Option<u32> {
    while since.elapsed() < REFUSE_TIMEOUT {
        match conn.roundtrip(&request).await {
            Ok(response) if response.status == 401 => {
                return Some(u32::try_from(since.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

async fn single(service: &Service, request: &[u8]) -> Result<u16, String> {
    let mut conn = Connection::connect(service.addr).await.map_err(|e| format!("{}: {e}", service.name))?;
    conn.roundtrip(request).await.map(|r| r.status).map_err(|e| format!("{}: {e}", service.name))
}

/// Revokes every token once, as fast as the auth server takes it; returns how many
/// were acknowledged.
async fn revoke_many(bench: &Bench, tokens: &[String]) -> u64 {
    let auth = &bench.topo.auth;
    let requests: Vec<Vec<u8>> = tokens
        .iter()
        .map(|t| {
            oauth::post_form(
                auth.addr,
                "/oauth2/revoke",
                Some(&BENCH_CLIENT),
                &[("token", t), ("token_type_hint", "access_token")],
            )
        })
        .collect();
    let mut workload = Rotating::new(Arc::new(requests), Accept::Status(200));
    workload.once = true;
    let plan = LoadPlan {
        addr: auth.addr,
        connections: bench.settings.connections,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(120),
    };
    load::run(plan, Arc::new(workload)).await.ok
}

async fn wait_refused(server: &Service, token: &str, timeout: Duration) -> bool {
    let request = oauth::get_bearer(server.addr, "/api/me", token);
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if single(server, &request).await == Ok(401) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
