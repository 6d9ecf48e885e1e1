//! `bench-tool grant`: one token-endpoint case alone, against an auth server started
//! with `bench/bootstrap.toml`, for profiling and before/after comparisons.
//! `client-credentials` sends the bench client's request; `refresh-token` runs one
//! rotating chain per connection, from fresh logins in every slice (a chain's spent
//! tokens cannot start another). With `--ceiling`, `openssl speed` runs right before
//! and after each slice and the rate is printed as a ratio to the mean of the two:
//! on a shared machine only figures taken at the same moment compare.

use std::sync::Arc;
use std::time::Duration;

use crate::load::{self, LoadOutcome, LoadPlan};
use crate::topology::Service;
use crate::workloads::Fixed;
use crate::{cases, openssl_ceiling};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Grant {
    ClientCredentials,
    RefreshToken,
}

impl Grant {
    /// RSA signatures per grant: a refresh answers an access and a refresh token.
    fn signatures(self) -> f64 {
        match self {
            Grant::ClientCredentials => 1.0,
            Grant::RefreshToken => 2.0,
        }
    }
}

pub struct GrantPlan {
    pub grant: Grant,
    pub connections: usize,
    pub duration: Duration,
    pub rounds: u32,
    pub ceiling: bool,
}

pub fn run(auth: &str, plan: &GrantPlan) -> Result<(), String> {
    let service = Service::parse(&format!("auth={}@0", auth.trim_end_matches('/')))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load_plan = LoadPlan {
        addr: service.addr,
        connections: plan.connections.max(1),
        warmup: Duration::from_secs(1),
        duration: plan.duration,
    };
    let ceiling = || -> Result<Option<f64>, String> {
        plan.ceiling.then(|| openssl_ceiling::rsa2048(cpus, 3).map(|speed| speed.sign_per_sec)).transpose()
    };
    for slice in 1..=plan.rounds.max(1) {
        let before = ceiling()?;
        let outcome = runtime.block_on(slice_load(&service, plan.grant, load_plan))?;
        let after = ceiling()?;
        let rate = outcome.per_sec();
        let mut line = format!(
            "slice {slice}: {rate:.0} grants/s, {} refused, {} connection errors",
            outcome.failed, outcome.io_errors
        );
        if let (Some(before), Some(after)) = (before, after) {
            let signing = (before + after) / 2.0;
            let ratio = rate * plan.grant.signatures() / signing;
            line.push_str(&format!(
                "; openssl {before:.0} / {after:.0} sign/s on {cpus} cores: {ratio:.3}x the ceiling per signature"
            ));
        }
        println!("{line}");
        if let Some(failure) = outcome.first_failure {
            println!("  first failure: {failure}");
        }
    }
    Ok(())
}

async fn slice_load(service: &Service, grant: Grant, plan: LoadPlan) -> Result<LoadOutcome, String> {
    Ok(match grant {
        Grant::ClientCredentials => load::run(plan, Arc::new(Fixed::status(cases::cc_request(service), 200))).await,
        Grant::RefreshToken => {
            let seeds = cases::refresh_seeds(service, plan.connections).await;
            if seeds.len() < plan.connections {
                return Err(format!("only {} of {} logins succeeded", seeds.len(), plan.connections));
            }
            load::run(plan, Arc::new(cases::refresh_chains(service, seeds))).await
        }
    })
}
