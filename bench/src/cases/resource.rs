//! Resource servers: the bare-verify ceiling route, `/api/me` in local mode and in
//! introspection mode, each with a distinct token per request (the pool taken in
//! turn: more tokens than the verified-token cache holds, so every request misses)
//! and with one token repeated (every request after the first hits the cache). Local
//! mode is also measured open loop, at half the rate its closed-loop case reached, for
//! the latency of a server that is not saturated; and the bare-verify route at that
//! same rate, for the latency the machine and the load generator add by themselves.

use std::sync::Arc;

use super::token::Pool;
use super::{fig, Bench, FigureId};
use crate::oauth;
use crate::topology::Service;
use crate::workloads::{Accept, Fixed, Rotating};

pub const VERIFY_DISTINCT: &str = "ceiling_bare_verify_distinct";
pub const VERIFY_REPEATED: &str = "ceiling_bare_verify_repeated";
pub const LOCAL_DISTINCT: &str = "rs_local_distinct";
pub const LOCAL_REPEATED: &str = "rs_local_repeated";
pub const LOCAL_HALF_RATE: &str = "rs_local_distinct_half_rate";
pub const VERIFY_HALF_RATE: &str = "ceiling_bare_verify_distinct_half_rate";
pub const INTROSPECT_COLD: &str = "rs_introspect_cold";
pub const INTROSPECT_WARM: &str = "rs_introspect_warm";

pub async fn run(bench: &mut Bench, pool: &Pool) {
    let verify = bench.topo.verify.clone();
    let local = bench.topo.rs_local[0].clone();
    let remote = bench.topo.rs_introspect.clone();
    let pairs = [
        (
            &verify,
            "/verify",
            fig(VERIFY_DISTINCT, "ceiling", "bare verify route (library only), distinct tokens"),
            fig(VERIFY_REPEATED, "ceiling", "bare verify route (library only), one token repeated"),
        ),
        (
            &local,
            "/api/me",
            fig(LOCAL_DISTINCT, "resource", "resource server /api/me, local mode, distinct tokens"),
            fig(LOCAL_REPEATED, "resource", "resource server /api/me, local mode, one token repeated"),
        ),
        (
            &remote,
            "/api/me",
            fig(INTROSPECT_COLD, "resource", "resource server /api/me, introspection mode, cold cache"),
            fig(INTROSPECT_WARM, "resource", "resource server /api/me, introspection mode, warm cache"),
        ),
    ];
    let mut verify_rotation = None;
    for (service, path, distinct, repeated) in pairs {
        let rotation = distinct_and_repeated(bench, service, path, pool, distinct, repeated).await;
        match (distinct.id, rotation) {
            (VERIFY_DISTINCT, rotation) => verify_rotation = rotation,
            (LOCAL_DISTINCT, Some(rotation)) => {
                let local_figure = fig(
                    LOCAL_HALF_RATE,
                    "resource",
                    "resource server /api/me, local mode, distinct tokens, open loop at half that rate",
                );
                half_rate(bench, service, local_figure, rotation).await;
                if let Some(rotation) = verify_rotation.take() {
                    let verify_figure = fig(
                        VERIFY_HALF_RATE,
                        "ceiling",
                        "bare verify route, distinct tokens, open loop at the same rate",
                    );
                    half_rate(bench, &verify, verify_figure, rotation).await;
                }
            }
            _ => {}
        }
    }
}

/// Distinct tokens at half the resource server's closed-loop rate, open loop. The
/// pool's rotation goes on from where the closed-loop case left it, so every request
/// still misses the cache.
async fn half_rate(bench: &mut Bench, service: &Service, figure: FigureId, rotation: Arc<Rotating>) {
    let Some(max) = bench.results.rate(LOCAL_DISTINCT) else {
        bench.record(figure, None, None, 0, "the closed-loop case measured no rate".into());
        return;
    };
    let plan = bench.plan(service, bench.settings.connections);
    bench.measure_paced(figure, plan, max / 2.0, rotation).await;
}

/// `path` with each of `tokens` in turn, recorded as `figure` (the growth cases).
pub async fn measure_distinct(bench: &mut Bench, service: &Service, figure: FigureId, tokens: &[String]) {
    if tokens.is_empty() {
        bench.record(figure, None, None, 0, "no tokens were minted".into());
        return;
    }
    let requests: Vec<Vec<u8>> = tokens.iter().map(|t| oauth::get_bearer(service.addr, "/api/me", t)).collect();
    let workload = Arc::new(Rotating::new(Arc::new(requests), Accept::Status(200)));
    let plan = bench.plan(service, bench.settings.connections);
    bench.measure(figure, plan, workload).await;
}

async fn distinct_and_repeated(
    bench: &mut Bench,
    service: &Service,
    path: &str,
    pool: &Pool,
    distinct: FigureId,
    repeated: FigureId,
) -> Option<Arc<Rotating>> {
    let Some(first) = pool.tokens.first() else {
        bench.record(distinct, None, None, 0, "no tokens were minted".into());
        bench.record(repeated, None, None, 0, "no tokens were minted".into());
        return None;
    };
    let requests: Vec<Vec<u8>> = pool.tokens.iter().map(|t| oauth::get_bearer(service.addr, path, t)).collect();
    let workload = Arc::new(Rotating::new(Arc::new(requests), Accept::Status(200)));
    let plan = bench.plan(service, bench.settings.connections);
    bench.measure(distinct, plan, workload.clone()).await;
    let passes = workload.taken() as f64 / pool.tokens.len() as f64;
    println!("    ({} tokens, {passes:.1} passes through the pool)", pool.tokens.len());
    let repeat = Arc::new(Fixed::status(oauth::get_bearer(service.addr, path, first), 200));
    bench.measure(repeated, plan, repeat).await;
    Some(workload)
}
