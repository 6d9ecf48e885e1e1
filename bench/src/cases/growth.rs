//! Growth: the hot paths at small state (what the earlier cases left in the store),
//! then again after a large state was seeded straight into Redis (1 000 000 users,
//! 1 000 000 live sessions with their users' indexes, 300 000 revocations in force;
//! 1/20 of that in a quick run). With Redis as the store, no rate should drop and the
//! auth server's memory should not move; a resource server's memory grows with the
//! revocations it holds, which is measured per revocation.
//!
//! ```text
//! run
//!   ├─ a fresh token pool (the earlier cases revoked part of theirs)
//!   ├─ state(small)   new RS: start → ready (snapshot loaded), its VmRSS,
//!   │                 /api/me distinct tokens on it; then client_credentials,
//!   │                 refresh_token, introspection; auth server VmRSS idle
//!   ├─ seed::seed     pipelined into the private Redis
//!   ├─ read back      the admin API lists seeded users' sessions; a seeded user signs in
//!   ├─ state(large)   the same, on another new RS whose snapshot holds the seeded revocations
//!   └─ rows           large ÷ small, against the targets
//! ```

use std::time::Duration;

use super::token::{self, Pool};
use super::{fig, introspection, resource, Bench, FigureId};
use crate::http1::Connection;
use crate::oauth::{self, Client};
use crate::redis_info;
use crate::resp::{Redis, Reply};
use crate::results::{Growth, GrowthRow, StateFigures};
use crate::rss;
use crate::seed::{self, records, Seeded, StateSize};
use crate::topology::Service;

/// The rule for every rate: at large state at least this share of small state's.
pub const RATE_RATIO: f64 = 0.9;
/// A resource server holds a revocation in force in fewer bytes than this.
pub const BYTES_PER_REVOCATION: f64 = 100.0;
/// The auth server's memory at large state, at most this multiple of small state's.
pub const AUTH_MEMORY_RATIO: f64 = 1.2;

const ADMIN: Client = Client { id: "bench-admin", secret: "bench-admin-secret" };

/// The figures of one state.
struct Cases {
    name: &'static str,
    client_credentials: FigureId,
    refresh: FigureId,
    introspection: FigureId,
    resource: FigureId,
}

const SMALL: Cases = Cases {
    name: "small",
    client_credentials: fig("growth_small_client_credentials", "growth", "client_credentials grant, small state"),
    refresh: fig("growth_small_refresh", "growth", "refresh_token grant, small state"),
    introspection: fig("growth_small_introspection", "growth", "introspection, distinct tokens, small state"),
    resource: fig(
        "growth_small_rs_local_distinct",
        "growth",
        "new resource server /api/me, distinct tokens, small state",
    ),
};

const LARGE: Cases = Cases {
    name: "large",
    client_credentials: fig("growth_large_client_credentials", "growth", "client_credentials grant, large state"),
    refresh: fig("growth_large_refresh", "growth", "refresh_token grant, large state"),
    introspection: fig("growth_large_introspection", "growth", "introspection, distinct tokens, large state"),
    resource: fig(
        "growth_large_rs_local_distinct",
        "growth",
        "new resource server /api/me, distinct tokens, large state",
    ),
};

pub async fn run(bench: &mut Bench) {
    let (Some(redis), Some(_)) = (bench.extras.redis, bench.extras.launcher.as_ref()) else {
        bench.note("growth cases not measured: bench-tool run was given no --redis or no --rs-binary");
        return;
    };
    let scale = bench.settings.state_scale;
    let size = StateSize::scaled(scale);
    if scale < 1.0 {
        println!(
            "  {}the large state is scaled down to 1/{:.0} of the full one: {} users, {} sessions, {} revocations",
            if bench.settings.quick { "QUICK run: " } else { "" },
            1.0 / scale,
            size.users,
            size.sessions,
            size.revocations
        );
    }
    let tokens = token::mint(bench, bench.settings.token_pool()).await;
    println!("  fresh token pool: {} distinct access tokens", tokens.len());
    let pool = Pool { tokens, peer_opaque: Vec::new() };
    // The feed now holds entries, so its polling costs more than at the start.
    bench.redis_background().await;

    let small = state(bench, &SMALL, &pool).await;

    println!(
        "  seeding {} users, {} sessions, {} revocations into redis {redis}",
        size.users, size.sessions, size.revocations
    );
    let now = unix_now();
    let seeded = match tokio::task::spawn_blocking(move || seed::seed(redis, size, now)).await {
        Ok(Ok(seeded)) => seeded,
        Ok(Err(why)) => return bench.note(format!("growth: seeding failed: {why}")),
        Err(e) => return bench.note(format!("growth: seeding failed: {e}")),
    };
    println!(
        "  seeded in {:.1} s ({} commands, {:.0} per second)",
        seeded.seconds,
        seeded.commands,
        seeded.commands as f64 / seeded.seconds.max(1e-9)
    );
    let (verified_ok, verified) = read_back(bench, &seeded).await;
    println!("  read back: {verified}");

    let large = state(bench, &LARGE, &pool).await;
    let rows = rows(bench, &small, &large);
    bench.results.growth = Some(Growth {
        scale,
        users: seeded.size.users,
        sessions: seeded.size.sessions,
        token_revocations: seeded.token_revocations,
        session_revocations: seeded.session_revocations,
        seed_seconds: seeded.seconds,
        seed_commands: seeded.commands,
        verified,
        verified_ok,
        small,
        large,
        rows,
    });
}

/// Measures one state: a new resource server first (its start-up is the snapshot
/// time, its memory the view's), then the auth server's cases.
async fn state(bench: &mut Bench, cases: &Cases, pool: &Pool) -> StateFigures {
    let mut figures = StateFigures::default();
    if let Some(redis) = bench.extras.redis {
        if let Ok((keys, used)) = redis_info::dataset(redis) {
            (figures.redis_keys, figures.redis_used_mib) = (Some(keys), Some(used));
        }
        figures.revocations_in_store = revocations_in_force(redis).ok();
    }
    let spawned = match bench.extras.launcher.clone() {
        Some(launcher) => launcher.spawn(&format!("rs-growth-{}", cases.name)),
        None => Err("no --rs-binary".into()),
    };
    let ready = match spawned {
        Ok(mut rs) => rs.ready(Duration::from_secs(180)).await.map(|took| (rs, took)),
        Err(why) => Err(why),
    };
    match ready {
        Ok((rs, took)) => {
            figures.snapshot_ms = Some(took.as_secs_f64() * 1000.0);
            // Let the snapshot's buffers go before reading what the view keeps.
            tokio::time::sleep(Duration::from_secs(1)).await;
            figures.revocations_loaded = rs.revocations_in_force().await;
            figures.rs_rss_mib = rss::vm_rss_kib(rs.service.pid).map(|kib| kib as f64 / 1024.0);
            println!(
                "  new resource server ({} state): ready in {:.0} ms holding {} revocations, VmRSS {:.1} MiB",
                cases.name,
                took.as_secs_f64() * 1000.0,
                figures.revocations_loaded.map_or_else(|| "?".to_owned(), |n| n.to_string()),
                figures.rs_rss_mib.unwrap_or(0.0)
            );
            let service = rs.service.clone();
            resource::measure_distinct(bench, &service, cases.resource, &pool.tokens).await;
            drop(rs);
        }
        Err(why) => {
            figures.note = why.clone();
            bench.record(cases.resource, None, None, 0, why);
        }
    }
    token::measure_client_credentials(bench, cases.client_credentials).await;
    token::refresh_as(bench, cases.refresh).await;
    introspection::measure_ours(bench, cases.introspection, &pool.tokens).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    figures.auth_rss_mib = rss::vm_rss_kib(bench.topo.auth.pid).map(|kib| kib as f64 / 1024.0);
    figures
}

/// Whether the auth server reads the seeded records as its own: the admin API lists
/// each sampled user's seeded session (user record, session index and session hash
/// all parsed), and a seeded user signs in with the password grant (the Argon2id
/// hash verifies). The revocations are read back by the large state's new resource
/// server (`revocations_loaded`).
async fn read_back(bench: &Bench, seeded: &Seeded) -> (bool, String) {
    let auth = bench.topo.auth.clone();
    let token_request = oauth::post_form(
        auth.addr,
        "/oauth2/token",
        Some(&ADMIN),
        &[("grant_type", "client_credentials"), ("scope", "admin")],
    );
    let admin_token = match call(&auth, &token_request).await {
        Ok((200, body)) => oauth::json_string(&body, "access_token"),
        _ => None,
    };
    let Some(admin_token) = admin_token else {
        return (false, format!("not checked: no admin token for {} (bench/bootstrap.toml)", ADMIN.id));
    };
    let mut listed = 0;
    for (user, sid) in &seeded.samples {
        let request = oauth::get_bearer(auth.addr, &format!("/admin/users/{user}/sessions"), &admin_token);
        let sessions: Vec<serde_json::Value> = match call(&auth, &request).await {
            Ok((200, body)) => serde_json::from_slice(&body).unwrap_or_default(),
            Ok((status, _)) => return (false, format!("the admin API answered {status} for {user}'s sessions")),
            Err(why) => return (false, why),
        };
        if !sessions.iter().any(|s| s.get("sid").and_then(|v| v.as_str()) == Some(sid.as_str())) {
            return (false, format!("the admin API does not list {user}'s seeded session"));
        }
        listed += 1;
    }
    let Some((user, _)) = seeded.samples.first() else {
        return (false, "nothing seeded".into());
    };
    let login = oauth::post_form(
        auth.addr,
        "/oauth2/token",
        None,
        &[("grant_type", "password"), ("username", user), ("password", seed::PASSWORD), ("client_id", records::CLIENT)],
    );
    match call(&auth, &login).await {
        Ok((200, _)) => {
            (true, format!("the admin API listed the seeded session of {listed} seeded users; {user} signed in"))
        }
        Ok((status, _)) => (false, format!("a seeded user's password grant answered {status}")),
        Err(why) => (false, why),
    }
}

async fn call(service: &Service, request: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let mut conn = Connection::connect(service.addr).await.map_err(|e| format!("{}: {e}", service.name))?;
    let response = conn.roundtrip(request).await.map_err(|e| format!("{}: {e}", service.name))?;
    Ok((response.status, response.body.to_vec()))
}

/// Revocations the store holds in force now (`as:{rev}:live` scored after now).
fn revocations_in_force(redis: std::net::SocketAddr) -> Result<u64, String> {
    let mut connection = Redis::connect(redis).map_err(|e| e.to_string())?;
    let from = format!("({}", unix_now());
    match connection.command(&["ZCOUNT", records::REVOCATIONS_LIVE, &from, "+inf"]).map_err(|e| e.to_string())? {
        Reply::Int(n) => Ok(u64::try_from(n).unwrap_or(0)),
        other => Err(format!("ZCOUNT answered {other:?}")),
    }
}

fn unix_now() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_secs()).unwrap_or(i64::MAX)
}

/// The growth table: each case at small and large state, against its target.
fn rows(bench: &Bench, small: &StateFigures, large: &StateFigures) -> Vec<GrowthRow> {
    let results = &bench.results;
    let mut rows = Vec::new();
    for (case, s, l) in [
        ("client_credentials grant", SMALL.client_credentials, LARGE.client_credentials),
        ("refresh_token grant (rotation)", SMALL.refresh, LARGE.refresh),
        ("introspection, distinct tokens", SMALL.introspection, LARGE.introspection),
        ("resource server /api/me, local, distinct tokens (a new server)", SMALL.resource, LARGE.resource),
    ] {
        let (small, large) = (results.rate(s.id), results.rate(l.id));
        let ratio = small.zip(large).map(|(s, l)| l / s);
        rows.push(GrowthRow {
            case: case.into(),
            unit: "/s".into(),
            small,
            large,
            ratio,
            target: format!("≥ {RATE_RATIO:.2}×"),
            met: ratio.map(|r| r >= RATE_RATIO),
            note: String::new(),
        });
    }
    let ratio = |s: Option<f64>, l: Option<f64>| s.zip(l).filter(|(s, _)| *s > 0.0).map(|(s, l)| l / s);
    rows.push(GrowthRow {
        case: "new resource server: start until ready, every revocation loaded".into(),
        unit: "ms".into(),
        small: small.snapshot_ms,
        large: large.snapshot_ms,
        ratio: ratio(small.snapshot_ms, large.snapshot_ms),
        target: String::new(),
        met: None,
        note: format!(
            "{} → {} revocations held",
            small.revocations_loaded.map_or_else(|| "?".to_owned(), |n| n.to_string()),
            large.revocations_loaded.map_or_else(|| "?".to_owned(), |n| n.to_string())
        ),
    });
    rows.push(GrowthRow {
        case: "new resource server VmRSS, ready".into(),
        unit: "MiB".into(),
        small: small.rs_rss_mib,
        large: large.rs_rss_mib,
        ratio: ratio(small.rs_rss_mib, large.rs_rss_mib),
        target: String::new(),
        met: None,
        note: String::new(),
    });
    let per_revocation = bytes_per_revocation(small, large);
    rows.push(GrowthRow {
        case: "resource server memory per revocation in force".into(),
        unit: "B".into(),
        small: None,
        large: per_revocation,
        ratio: None,
        target: format!("< {BYTES_PER_REVOCATION:.0} B"),
        met: per_revocation.map(|b| b < BYTES_PER_REVOCATION),
        note: per_revocation
            .map(|b| format!("{:.1} MiB per 100 000", b * 100_000.0 / 1024.0 / 1024.0))
            .unwrap_or_default(),
    });
    let auth_ratio = ratio(small.auth_rss_mib, large.auth_rss_mib);
    rows.push(GrowthRow {
        case: "auth server VmRSS, idle after the cases".into(),
        unit: "MiB".into(),
        small: small.auth_rss_mib,
        large: large.auth_rss_mib,
        ratio: auth_ratio,
        target: format!("< {AUTH_MEMORY_RATIO:.2}×"),
        met: auth_ratio.map(|r| r < AUTH_MEMORY_RATIO),
        note: String::new(),
    });
    rows
}

/// The VmRSS difference of the two new resource servers over the difference in
/// revocations they hold.
fn bytes_per_revocation(small: &StateFigures, large: &StateFigures) -> Option<f64> {
    let held = large.revocations_loaded?.checked_sub(small.revocations_loaded?).filter(|n| *n > 0)?;
    let bytes = (large.rs_rss_mib? - small.rs_rss_mib?) * 1024.0 * 1024.0;
    Some(bytes.max(0.0) / held as f64)
}
