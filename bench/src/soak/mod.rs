//! `bench-tool soak`: a long, steady, mixed load against a whole stack (two auth-server
//! replicas behind a balancer, two local-mode and one introspecting resource server,
//! Redis), with every answer classified and the memory of every process sampled.
//! `bench/soak.sh` starts the stack and calls it.
//!
//! ```text
//! run
//!   ├─ USERS × flow::User::run      paced login → API → refresh chain → revocation loops
//!   ├─ rotation::run                POST /admin/keys/rotate at 1/3 and 2/3 of the run
//!   ├─ memory::sample               VmRSS of every process every few seconds
//!   └─ verdict                      zero unexpected answers, RSS flat after warm-up
//!                                   → soak-latest.{json,md,svg}
//! ```

mod client;
mod flow;
mod memory;
mod report;
mod rotation;
mod tally;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::machine::{self, Machine};
use crate::topology::Service;

/// Accounts `soak-user-1` to `soak-user-8` exist in `bench/soak-bootstrap.toml`.
const MAX_USERS: usize = 8;

#[derive(clap::Args)]
pub struct SoakArgs {
    /// Auth-server replicas, each as NAME=http://127.0.0.1:PORT@PID.
    #[arg(long = "auth", required = true)]
    auths: Vec<String>,
    /// Resource servers in local mode, as NAME=http://127.0.0.1:PORT@PID.
    #[arg(long = "rs-local", required = true)]
    rs_local: Vec<String>,
    /// The resource server in introspection mode.
    #[arg(long)]
    rs_introspect: String,
    /// Other processes whose memory is sampled, as NAME=PID (Redis, the balancer).
    #[arg(long = "watch")]
    watch: Vec<String>,
    /// Length of the run.
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Simulated users (each its own account, one request at a time).
    #[arg(long, default_value_t = 6)]
    users: usize,
    /// Pause after each request of a user, milliseconds: the rate is about
    /// users × 1000 / (pace + latency) requests per second.
    #[arg(long, default_value_t = 150)]
    pace_ms: u64,
    /// Seconds between two memory samples.
    #[arg(long, default_value_t = 5.0)]
    sample_every: f64,
    /// What else ran on the machine meanwhile (recorded with the results).
    #[arg(long, default_value = "")]
    beside: String,
    #[arg(long)]
    quick: bool,
    #[arg(long)]
    out: PathBuf,
}

/// What a soak produced (`soak-latest.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SoakResults {
    pub machine: Machine,
    pub quick: bool,
    pub duration_s: f64,
    pub users: usize,
    pub pace_ms: u64,
    pub beside: String,
    pub requests: u64,
    pub per_sec: f64,
    pub kinds: Vec<tally::Kind>,
    pub latencies: Vec<tally::StepLatency>,
    pub unexpected: u64,
    pub unexpected_examples: Vec<String>,
    pub rotations: Vec<rotation::Rotation>,
    pub memory: memory::Series,
    pub flatness: Vec<memory::Flatness>,
    pub growth_limit_pct: f64,
    pub noise_floor_mib: f64,
    pub passed: bool,
}

pub fn run(args: SoakArgs) -> Result<(), String> {
    let auths = args.auths.iter().map(|s| Service::parse(s)).collect::<Result<Vec<_>, _>>()?;
    let mut resource_servers = args.rs_local.iter().map(|s| Service::parse(s)).collect::<Result<Vec<_>, _>>()?;
    resource_servers.push(Service::parse(&args.rs_introspect)?);
    let mut watched: Vec<Service> = auths.iter().chain(&resource_servers).cloned().collect();
    for w in &args.watch {
        let (name, pid) = w.split_once('=').ok_or("--watch NAME=PID")?;
        let pid = pid.parse().map_err(|_| format!("--watch {w}: not a pid"))?;
        watched.push(Service { name: name.into(), addr: ([127, 0, 0, 1], 0).into(), pid });
    }
    let duration = Duration::from_secs_f64((args.minutes * 60.0).max(10.0));
    if !(1..=MAX_USERS).contains(&args.users) {
        return Err(format!("--users takes 1 to {MAX_USERS} (the accounts of bench/soak-bootstrap.toml)"));
    }
    let users = args.users;
    let pace = Duration::from_millis(args.pace_ms);
    let interval = Duration::from_secs_f64(args.sample_every.clamp(0.5, 60.0));
    let stack = Arc::new(flow::Stack { auths, resource_servers });
    let tally = Arc::new(tally::Tally::default());
    let mut machine = Machine::read();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    println!("soak: {users} users, {} ms pace, {:.0} s", args.pace_ms, duration.as_secs_f64());
    let (rotations, memory) = runtime.block_on(async {
        let start = Instant::now();
        let deadline = start + duration;
        let sampler = tokio::spawn(memory::sample(watched, start, deadline, interval));
        let rotations =
            tokio::spawn(rotation::run(stack.clone(), tally.clone(), start, vec![duration / 3, duration * 2 / 3]));
        let progress = tokio::spawn(progress(tally.clone(), start, deadline));
        let workers: Vec<_> = (0..users)
            .map(|i| {
                let user = flow::User::new(
                    stack.clone(),
                    tally.clone(),
                    format!("soak-user-{}", i + 1),
                    format!("soak-user-{}-password", i + 1),
                    pace,
                    deadline,
                );
                let stagger = pace.mul_f64(i as f64 / users as f64) * 4;
                tokio::spawn(async move {
                    tokio::time::sleep(stagger).await;
                    user.run(i).await;
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.await;
        }
        let _ = progress.await;
        let rotations = rotations.await.unwrap_or_default();
        let memory = sampler.await.unwrap_or_default();
        (rotations, memory)
    });
    machine.load_at_end = machine::load_average();
    let flatness = memory.verdicts();
    let unexpected = tally.unexpected();
    let rotated = rotations.len() == 2 && rotations.iter().all(|r| r.status == Some(200));
    let requests = tally.total();
    let results = SoakResults {
        machine,
        quick: args.quick,
        duration_s: duration.as_secs_f64(),
        users,
        pace_ms: args.pace_ms,
        beside: args.beside,
        requests,
        per_sec: requests as f64 / duration.as_secs_f64(),
        kinds: tally.kinds(),
        latencies: tally.latencies(),
        unexpected,
        unexpected_examples: tally.examples(),
        rotations,
        passed: unexpected == 0 && rotated && flatness.iter().all(|f| f.flat),
        memory,
        flatness,
        growth_limit_pct: memory::GROWTH_LIMIT * 100.0,
        noise_floor_mib: memory::NOISE_FLOOR_MIB,
    };
    write(&args.out, &results)?;
    if results.passed {
        Ok(())
    } else {
        Err("soak failed: see the verdict above".into())
    }
}

/// One line a minute (every 10 s in short runs): requests so far, unexpected so far.
async fn progress(tally: Arc<tally::Tally>, start: Instant, deadline: Instant) {
    let every =
        if deadline - start > Duration::from_secs(120) { Duration::from_secs(60) } else { Duration::from_secs(10) };
    while Instant::now() + every <= deadline {
        tokio::time::sleep(every).await;
        println!(
            "  {:>4.0} s: {} requests, {} unexpected, load {}",
            start.elapsed().as_secs_f64(),
            tally.total(),
            tally.unexpected(),
            machine::load_average()
        );
    }
}

fn write(out: &Path, results: &SoakResults) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let json = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
    let put = |name: &str, text: &str| std::fs::write(out.join(name), text).map_err(|e| format!("{name}: {e}"));
    let markdown = report::markdown(results);
    put("soak-latest.json", &json)?;
    put("soak-latest.md", &markdown)?;
    put("soak-latest.svg", &report::svg(results))?;
    println!("\n{markdown}");
    Ok(())
}

/// Re-renders the Markdown and SVG from `soak-latest.json`.
pub fn rerender(out: &Path) -> Result<(), String> {
    let json = std::fs::read_to_string(out.join("soak-latest.json")).map_err(|e| e.to_string())?;
    let results: SoakResults = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    write(out, &results)
}
