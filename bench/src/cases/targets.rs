//! The targets of issues 3, 4 and 6, as ratios of figures measured in the same run.

use super::{ceilings, introspection, resource, revocation, token};
use crate::results::{Results, Target};

pub fn evaluate(results: &mut Results) {
    let ratio = |a: &str, b: &str| Some(results.rate(a)? / results.rate(b)?);
    let mut targets = vec![
        Target::new(
            "client_credentials vs RSA-2048 signing ceiling",
            "client_credentials/s ÷ openssl sign/s (all cores)".into(),
            ratio(token::CLIENT_CREDENTIALS, ceilings::RSA_SIGN),
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
            0.9,
            true,
            "×",
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
            0.9,
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
    results.targets = targets;
}
