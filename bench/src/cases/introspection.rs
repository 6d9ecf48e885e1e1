//! RFC 7662 introspection, a distinct active token per request: ours (RS256 JWTs,
//! the caller authenticated as `documents-api`) and the peer's (opaque tokens: it does
//! not introspect its JWT access tokens).

use std::sync::Arc;

use super::token::{Pool, RS_CLIENT};
use super::{fig, Bench, FigureId};
use crate::oauth;
use crate::topology::Service;
use crate::workloads::{Accept, Rotating};

pub const OURS: &str = "introspection";
pub const PEER: &str = "peer_introspection";

fn requests(service: &Service, path: &str, tokens: &[String]) -> Arc<Vec<Vec<u8>>> {
    Arc::new(tokens.iter().map(|t| oauth::post_form(service.addr, path, Some(&RS_CLIENT), &[("token", t)])).collect())
}

pub async fn run(bench: &mut Bench, pool: &Pool) {
    measure_ours(bench, fig(OURS, "introspection", "introspection, distinct tokens"), &pool.tokens).await;
    let Some(peer) = bench.topo.peer.clone() else { return };
    let figure = fig(PEER, "peer", "peer (node oidc-provider): introspection, distinct opaque tokens");
    if pool.peer_opaque.is_empty() {
        bench.record(figure, None, None, 0, "the peer minted no opaque tokens".into());
        return;
    }
    let workload =
        Arc::new(Rotating::new(requests(&peer, "/token/introspection", &pool.peer_opaque), Accept::ActiveToken));
    let plan = bench.plan(&peer, bench.settings.connections);
    bench.measure(figure, plan, workload).await;
}

/// Our introspection of `tokens` taken in turn, recorded as `figure`.
pub async fn measure_ours(bench: &mut Bench, figure: FigureId, tokens: &[String]) {
    if tokens.is_empty() {
        bench.record(figure, None, None, 0, "no tokens were minted".into());
        return;
    }
    let auth = bench.topo.auth.clone();
    let workload = Arc::new(Rotating::new(requests(&auth, "/oauth2/introspect", tokens), Accept::ActiveToken));
    let plan = bench.plan(&auth, bench.settings.connections);
    bench.measure(figure, plan, workload).await;
}
