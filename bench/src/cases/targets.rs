//! The targets, as ratios of figures measured in the same run.

use super::{ceilings, growth, introspection, resource, revocation, token};
use crate::results::{Results, Target};

/// The open-loop latency bound of a resource server at half its maximum rate.
const HALF_RATE_P99_MS: f64 = 2.0;

pub fn evaluate(results: &mut Results) {
    let ratio = |a: &str, b: &str| Some(results.rate(a)? / results.rate(b)?);
    let mut targets = vec![
        Target::new(
            "client_credentials vs RSA-2048 signing ceiling",
            "client_credentials/s ÷ openssl sign/s (all cores)".into(),
            ratio(token::CLIENT_CREDENTIALS, ceilings::RSA_SIGN),
            0.9,
            true,
            "×",
        ),
        Target::new(
            "refresh grant vs half the signing ceiling",
            "refresh grants/s ÷ (openssl sign/s ÷ 2): each signs an access and a refresh token".into(),
            ratio(token::REFRESH, ceilings::RSA_SIGN).map(|r| r * 2.0),
            0.8,
            true,
            "×",
        ),
        Target::new(
            "client_credentials vs the peer",
            "ours ÷ node oidc-provider".into(),
            ratio(token::CLIENT_CREDENTIALS, token::PEER_CLIENT_CREDENTIALS),
            1.3,
            true,
            "×",
        ),
        Target::new(
            "introspection vs the peer",
            "ours ÷ node oidc-provider (its tokens opaque)".into(),
            ratio(introspection::OURS, introspection::PEER),
            2.0,
            true,
            "×",
        ),
        Target::new(
            "RS local, distinct tokens vs bare verify",
            "/api/me ÷ bare verify route, distinct tokens".into(),
            ratio(resource::LOCAL_DISTINCT, resource::VERIFY_DISTINCT),
            0.95,
            true,
            "×",
        ),
        Target::new(
            "RS local p99 at half its maximum rate",
            "open loop at half the distinct-token rate, ms from when each request was due".into(),
            results.figure(resource::LOCAL_HALF_RATE).and_then(|f| f.latency).map(|l| l.p99_ms),
            HALF_RATE_P99_MS,
            false,
            "ms",
        ),
        Target::new(
            "RS local, repeated token vs empty route",
            "/api/me repeated token ÷ empty actix route".into(),
            ratio(resource::LOCAL_REPEATED, ceilings::EMPTY),
            0.6,
            true,
            "×",
        ),
        Target::new(
            "password grant vs Argon2 ceiling",
            "password grants/s ÷ Argon2id verify/s (all cores)".into(),
            ratio(token::PASSWORD, ceilings::ARGON2),
            0.95,
            true,
            "×",
        ),
    ];
    let probes_ok = [token::HEALTH_UNDER_PASSWORD, token::JWKS_UNDER_PASSWORD]
        .iter()
        .map(|id| results.figure(id).map(|f| f.failed == 0 && f.latency.is_some()))
        .collect::<Option<Vec<bool>>>()
        .map(|all| all.iter().all(|ok| *ok));
    let mut health = Target::new(
        "health and JWKS answer under password load",
        "every probe answered 200 (1 = yes)".into(),
        probes_ok.map(|ok| if ok { 1.0 } else { 0.0 }),
        1.0,
        true,
        "",
    );
    health.met = probes_ok;
    targets.push(health);

    let rest = |prefix: &str| {
        results.memory.iter().filter(|m| m.process.starts_with(prefix)).filter_map(|m| m.at_rest_mib).reduce(f64::max)
    };
    targets.push(Target::new(
        "resource server memory at rest",
        "largest VmRSS of the local-mode resource servers".into(),
        rest("rs-local"),
        20.0,
        false,
        "MiB",
    ));
    targets.push(Target::new(
        "auth server memory at rest",
        "VmRSS of the auth server".into(),
        rest("auth"),
        40.0,
        false,
        "MiB",
    ));

    let propagation = results.propagation.as_ref().filter(|p| p.available);
    let p99 = propagation.and_then(|p| p.each.map(|l| l.p99_ms));
    targets.push(Target::new(
        "revocation propagation p99 (3 local RS)",
        "ms from the revoke answer to a 401".into(),
        p99,
        50.0,
        false,
        "ms",
    ));
    let cost = propagation.and(ratio(revocation::COST_LOADED, revocation::COST_EMPTY)).map(|r| (1.0 - r) * 100.0);
    targets.push(Target::new(
        "revocation check cost, local mode",
        "1 − (/api/me with 10 000 revocations ÷ with none), repeated token".into(),
        cost,
        5.0,
        false,
        "%",
    ));
    targets.extend(growth_targets(results));
    results.targets = targets;
}

/// The growth table's verdicts, summed up: the lowest rate ratio, the resource
/// server's bytes per revocation, the auth server's memory ratio.
fn growth_targets(results: &Results) -> Vec<Target> {
    let rows = results.growth.as_ref().map(|g| g.rows.as_slice()).unwrap_or_default();
    let lowest_rate = rows.iter().filter(|r| r.unit == "/s").map(|r| r.ratio).collect::<Option<Vec<f64>>>();
    let lowest_rate = lowest_rate.filter(|all| !all.is_empty()).and_then(|all| all.into_iter().reduce(f64::min));
    let per_revocation = rows.iter().find(|r| r.unit == "B").and_then(|r| r.large);
    let auth_ratio = rows.iter().find(|r| r.case.starts_with("auth server")).and_then(|r| r.ratio);
    vec![
        Target::new(
            "growth: every rate at large state vs small",
            "lowest of large ÷ small: client_credentials, refresh, introspection, RS distinct".into(),
            lowest_rate,
            growth::RATE_RATIO,
            true,
            "×",
        ),
        Target::new(
            "resource server memory per revocation in force",
            "VmRSS difference of two new RS ÷ difference in revocations held".into(),
            per_revocation,
            growth::BYTES_PER_REVOCATION,
            false,
            "B",
        ),
        Target::new(
            "auth server memory, large vs small state",
            "VmRSS idle after the cases, large ÷ small".into(),
            auth_ratio,
            growth::AUTH_MEMORY_RATIO,
            false,
            "×",
        ),
    ]
}
