//! The hardware and framework ceilings, measured in the same run as the cases:
//! RSA-2048 sign/verify on every core (OpenSSL), Argon2id verify on every core, and
//! an empty actix-web route (with a `wrk` cross-check of our load generator when
//! `wrk` is installed). The bare-verify route is measured in `resource`.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use super::{fig, Bench};
use crate::workloads::Fixed;
use crate::{argon2_ceiling, oauth, openssl_ceiling};

pub const RSA_SIGN: &str = "ceiling_rsa2048_sign";
pub const RSA_VERIFY: &str = "ceiling_rsa2048_verify";
pub const ARGON2: &str = "ceiling_argon2id_verify";
pub const EMPTY: &str = "ceiling_empty_route";

pub async fn run(bench: &mut Bench) {
    let cores = bench.results.machine.cpus.max(1);
    let seconds = (bench.settings.duration.as_secs() / 3).max(1);
    let rsa = tokio::task::spawn_blocking(move || openssl_ceiling::rsa2048(cores, seconds)).await;
    let rsa = rsa.map_err(|e| e.to_string()).and_then(|r| r);
    let sign = fig(RSA_SIGN, "ceiling", "RSA-2048 signatures, OpenSSL, all cores");
    let verify = fig(RSA_VERIFY, "ceiling", "RSA-2048 verifications, OpenSSL, all cores");
    match rsa {
        Ok(speed) => {
            bench.record(sign, Some(speed.sign_per_sec), None, 0, String::new());
            bench.record(verify, Some(speed.verify_per_sec), None, 0, String::new());
        }
        Err(why) => {
            bench.record(sign, None, None, 0, why.clone());
            bench.record(verify, None, None, 0, why);
        }
    }

    let duration = bench.settings.duration;
    let argon2 = tokio::task::spawn_blocking(move || argon2_ceiling::verifications_per_sec(cores, duration)).await;
    let argon2 = argon2.map_err(|e| e.to_string()).and_then(|r| r);
    let figure = fig(ARGON2, "ceiling", "Argon2id verify (m=19456 KiB, t=2, p=1), all cores");
    match argon2 {
        Ok(rate) => bench.record(figure, Some(rate), None, 0, String::new()),
        Err(why) => bench.record(figure, None, None, 0, why),
    }

    let empty = bench.topo.empty.clone();
    let workload = Arc::new(Fixed::status(oauth::get(empty.addr, "/empty"), 200));
    let plan = bench.plan(&empty, bench.settings.connections);
    bench.measure(fig(EMPTY, "ceiling", "actix-web empty route"), plan, workload).await;
    wrk_cross_check(bench, &empty.url()).await;
}

/// The empty route measured by `wrk` too: how much our generator costs next to it.
async fn wrk_cross_check(bench: &mut Bench, base: &str) {
    let figure = fig("crosscheck_empty_route_wrk", "ceiling", "actix-web empty route, measured by wrk (cross-check)");
    let secs = bench.settings.duration.as_secs().max(1).to_string();
    let connections = bench.settings.connections.to_string();
    let threads = bench.settings.generator_threads.to_string();
    let url = format!("{base}/empty");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("wrk").args(["-t", &threads, "-c", &connections, "-d", &format!("{secs}s"), &url]).output()
    })
    .await;
    let text = match output {
        Ok(Ok(output)) if output.status.success() => String::from_utf8_lossy(&output.stdout).into_owned(),
        _ => {
            bench.record(figure, None, None, 0, "wrk is not installed".into());
            return;
        }
    };
    let rate =
        text.lines().find_map(|l| l.trim().strip_prefix("Requests/sec:")).and_then(|v| v.trim().parse::<f64>().ok());
    bench.record(figure, rate, None, 0, String::new());
    tokio::time::sleep(Duration::from_millis(200)).await;
}
