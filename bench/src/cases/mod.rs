//! Every case of the suite, in the order they run, and the bookkeeping they share.
//!
//! ```text
//! run_all
//!   ├─ memory at rest                       rss::vm_rss_kib for every process
//!   ├─ Redis background                     commands per second with no load
//!   ├─ ceilings::run                        openssl speed, Argon2, empty route (+ wrk cross-check)
//!   ├─ token::client_credentials            ours and the peer's; fills the token pool
//!   ├─ introspection::run                   ours and the peer's
//!   ├─ resource::run                        bare verify, /api/me local (+ open loop at half
//!   │                                       its rate), /api/me introspect
//!   ├─ token::refresh, token::password      password with /healthz and JWKS probes
//!   ├─ revocation::propagation, ::cost      they revoke tokens of the pool
//!   ├─ growth::run                          the same cases at small, then at seeded large state
//!   └─ targets::evaluate                    ratios against the issues' targets
//! ```
//!
//! Every load on the auth server also counts the Redis commands it caused
//! ([`Bench::measure_rounds`]).

mod ceilings;
mod growth;
mod introspection;
mod resource;
mod revocation;
mod targets;
mod token;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cpu::CpuSnapshot;
use crate::load::{self, LoadOutcome, LoadPlan, Workload};
use crate::machine::{self, Machine};
use crate::redis_info::CommandStats;
use crate::results::{CpuUse, Figure, Memory, RedisCost, Results, RunSettings};
use crate::rss::{self, PeakSampler};
use crate::spawn::Launcher;
use crate::stats::Latency;
use crate::topology::{Service, Topology};

pub use token::RS_CLIENT;

/// A client_credentials request of the bench client, for `bench-tool mint`.
pub fn cc_request(auth: &Service) -> Vec<u8> {
    token::cc_request(auth, "/oauth2/token", None)
}

pub use token::{refresh_chains, refresh_seeds};

/// How long and how hard each case runs.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub duration: Duration,
    pub warmup: Duration,
    pub connections: usize,
    pub generator_threads: usize,
    pub quick: bool,
    /// Slices each case is measured in; its figure is the best slice.
    pub rounds: u32,
    /// The large state of the growth cases as a share of the full one (1 000 000
    /// users and sessions, 300 000 revocations): 1.0, or 0.05 in a quick run.
    pub state_scale: f64,
}

impl Settings {
    /// Distinct tokens pre-minted: more than twice the resource server's verified-token
    /// cache (10 000), so taking them in turn makes every request a cache miss.
    pub fn token_pool(&self) -> usize {
        if self.quick {
            12_000
        } else {
            24_000
        }
    }

    pub fn revocations(&self) -> usize {
        if self.quick {
            20
        } else {
            100
        }
    }
}

/// What the run may touch beyond the processes it measures.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// The private Redis of the auth server: commands per operation, seeding.
    pub redis: Option<SocketAddr>,
    /// Starts new resource servers (growth cases).
    pub launcher: Option<Launcher>,
}

/// The state of a run: where things are, what was measured so far.
pub struct Bench {
    pub topo: Topology,
    pub settings: Settings,
    pub extras: Extras,
    pub results: Results,
    peaks: BTreeMap<String, (u64, String)>,
}

impl Bench {
    pub fn new(topo: Topology, settings: Settings, extras: Extras) -> Self {
        let results = Results {
            machine: Machine::read(),
            settings: RunSettings {
                duration_s: settings.duration.as_secs_f64(),
                warmup_s: settings.warmup.as_secs_f64(),
                connections: settings.connections,
                generator_threads: settings.generator_threads,
                quick: settings.quick,
                rounds: settings.rounds,
            },
            figures: Vec::new(),
            propagation: None,
            memory: Vec::new(),
            targets: Vec::new(),
            notes: Vec::new(),
            redis: Vec::new(),
            redis_background_per_sec: None,
            growth: None,
            cpu: Vec::new(),
        };
        Self { topo, settings, extras, results, peaks: BTreeMap::new() }
    }

    pub fn plan(&self, service: &Service, connections: usize) -> LoadPlan {
        LoadPlan { addr: service.addr, connections, warmup: self.settings.warmup, duration: self.settings.duration }
    }

    /// Runs a load in `settings.rounds` equal slices (warm-up before the first only)
    /// and records it as a figure: the rate of the best slice, since on a shared machine
    /// other work only ever slows a slice down; the latency of all of them. Watches the
    /// peak memory of every process meanwhile and prints one line.
    pub async fn measure<W: Workload>(&mut self, figure: FigureId, plan: LoadPlan, workload: Arc<W>) -> LoadOutcome {
        self.measure_rounds(figure, plan, workload, self.settings.rounds).await
    }

    /// [`Bench::measure`] with a given number of slices (1 for workloads whose state
    /// cannot survive a restart, such as refresh-token chains). A load on the auth
    /// server also counts the Redis commands it caused.
    pub async fn measure_rounds<W: Workload>(
        &mut self,
        figure: FigureId,
        plan: LoadPlan,
        workload: Arc<W>,
        rounds: u32,
    ) -> LoadOutcome {
        let counting = self.extras.redis.filter(|_| plan.addr == self.topo.auth.addr);
        let before = counting.and_then(|redis| CommandStats::read(redis).ok());
        let started = Instant::now();
        let sampler = self.start_sampler();
        let cpu = self.cpu_snapshot(&plan);
        let rounds = rounds.max(1);
        let slice = LoadPlan { duration: plan.duration / rounds, ..plan };
        let mut total = LoadOutcome::default();
        let mut best = 0.0_f64;
        for round in 0..rounds {
            let plan = if round == 0 { slice } else { LoadPlan { warmup: Duration::ZERO, ..slice } };
            let outcome = load::run(plan, workload.clone()).await;
            best = best.max(outcome.per_sec());
            total.merge(outcome);
        }
        let after = counting.map(CommandStats::read);
        let elapsed = started.elapsed();
        self.record_cpu(figure, &plan, &cpu);
        self.finish_sampler(sampler, figure.id).await;
        let latency = Latency::of_micros(&mut total.latencies_us);
        let mut note = String::new();
        if total.failed + total.io_errors > 0 {
            note = format!(
                "{} refused answers, {} connection errors; first: {}",
                total.failed,
                total.io_errors,
                total.first_failure.as_deref().unwrap_or("?")
            );
        }
        let rate = if total.ok == 0 { 0.0 } else { best };
        self.record(figure, Some(rate), latency, total.failed + total.io_errors, note);
        match (before, after) {
            (Some(before), Some(Ok(after))) => {
                self.record_redis(figure, total.answered, &after.since(&before), elapsed)
            }
            (None, Some(_)) | (_, Some(Err(_))) => self.note(format!("{}: Redis commands not counted", figure.label)),
            _ => {}
        }
        total
    }

    /// Runs a load at a fixed rate (open loop, one slice after the warm-up) and
    /// records it: the rate achieved and the latency of every request from when it
    /// was due.
    pub async fn measure_paced<W: Workload>(
        &mut self,
        figure: FigureId,
        plan: LoadPlan,
        rate: f64,
        workload: Arc<W>,
    ) -> LoadOutcome {
        let sampler = self.start_sampler();
        let cpu = self.cpu_snapshot(&plan);
        let mut outcome = load::run_paced(plan, rate, workload).await;
        self.record_cpu(figure, &plan, &cpu);
        self.finish_sampler(sampler, figure.id).await;
        let latency = Latency::of_micros(&mut outcome.latencies_us);
        let mut note = format!("open loop, {rate:.0} requests/s due");
        if outcome.failed + outcome.io_errors > 0 {
            note = format!(
                "{note}; {} refused answers, {} connection errors; first: {}",
                outcome.failed,
                outcome.io_errors,
                outcome.first_failure.as_deref().unwrap_or("?")
            );
        }
        let rate = outcome.per_sec();
        self.record(figure, Some(rate), latency, outcome.failed + outcome.io_errors, note);
        outcome
    }

    /// The process a load is aimed at, if the run lists it.
    fn server_of(&self, plan: &LoadPlan) -> Option<&Service> {
        self.topo.processes().into_iter().find(|s| s.addr == plan.addr)
    }

    fn cpu_snapshot(&self, plan: &LoadPlan) -> CpuSnapshot {
        let redis = self.topo.others.iter().find(|s| s.name == "redis").map(|s| s.pid);
        CpuSnapshot::take(self.server_of(plan).map(|s| s.pid), redis)
    }

    /// Where the CPU went since `before`, a snapshot taken by [`Self::cpu_snapshot`].
    fn record_cpu(&mut self, figure: FigureId, plan: &LoadPlan, before: &CpuSnapshot) {
        let server = self.server_of(plan).map(|s| s.name.clone());
        let Some(shares) = self.cpu_snapshot(plan).shares_since(before) else { return };
        println!(
            "    CPU: server {:.0} %, Redis {:.0} %, load generator {:.0} %, other {:.0} %, idle {:.0} % of the machine",
            shares.server.unwrap_or(0.0) * 100.0,
            shares.redis.unwrap_or(0.0) * 100.0,
            shares.generator * 100.0,
            shares.other * 100.0,
            shares.idle * 100.0
        );
        self.results.cpu.push(CpuUse { figure: figure.id.into(), label: figure.label.into(), server, shares });
    }

    /// Redis commands per operation of one case, the background subtracted.
    fn record_redis(&mut self, figure: FigureId, operations: u64, delta: &CommandStats, elapsed: Duration) {
        if operations == 0 {
            return;
        }
        let background = self.results.redis_background_per_sec.unwrap_or(0.0) * elapsed.as_secs_f64();
        let commands = (delta.total() as f64 - background).max(0.0);
        let ops = operations as f64;
        let mut top: Vec<(String, f64)> =
            delta.0.iter().map(|(name, calls)| (name.clone(), *calls as f64 / ops)).collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        top.truncate(6);
        let per_op = commands / ops;
        println!("    Redis: {per_op:.2} commands per operation ({operations} operations)");
        self.results.redis.push(RedisCost {
            figure: figure.id.into(),
            label: figure.label.into(),
            operations,
            commands,
            background,
            per_op,
            top,
        });
    }

    /// The Redis commands per second with nothing under load: the auth server's own
    /// background work (the revocation feed's polling, which costs more once the feed
    /// holds entries), subtracted from the cases that follow.
    pub async fn redis_background(&mut self) {
        let Some(redis) = self.extras.redis else { return };
        let window = if self.settings.quick { Duration::from_secs(1) } else { Duration::from_secs(3) };
        let Ok(before) = CommandStats::read(redis) else { return };
        let started = Instant::now();
        tokio::time::sleep(window).await;
        let Ok(after) = CommandStats::read(redis) else { return };
        let rate = after.since(&before).total() as f64 / started.elapsed().as_secs_f64();
        println!("  Redis background: {rate:.1} commands/s with no load");
        self.results.redis_background_per_sec = Some(rate);
    }

    pub fn record(
        &mut self,
        figure: FigureId,
        per_sec: Option<f64>,
        latency: Option<Latency>,
        failed: u64,
        note: String,
    ) {
        let shown = per_sec.map_or_else(|| "not available".to_owned(), |r| format!("{r:>10.0}/s"));
        let lat = latency.map_or(String::new(), |l| format!("  p50 {:.2} ms  p99 {:.2} ms", l.p50_ms, l.p99_ms));
        println!(
            "  {:<58} {shown}{lat}{}",
            figure.label,
            if note.is_empty() { String::new() } else { format!("  ({note})") }
        );
        self.results.figures.push(Figure {
            id: figure.id.into(),
            group: figure.group.into(),
            label: figure.label.into(),
            per_sec,
            latency,
            failed,
            note,
        });
    }

    pub fn note(&mut self, text: impl Into<String>) {
        let text = text.into();
        println!("  note: {text}");
        self.results.notes.push(text);
    }

    pub fn start_sampler(&self) -> PeakSampler {
        PeakSampler::start(self.topo.processes().iter().map(|s| s.pid).collect(), Duration::from_millis(100))
    }

    pub async fn finish_sampler(&mut self, sampler: PeakSampler, during: &str) {
        let peaks = sampler.finish().await;
        for service in self.topo.processes() {
            if let Some(&kib) = peaks.get(&service.pid) {
                let entry = self.peaks.entry(service.name.clone()).or_insert((0, String::new()));
                if kib > entry.0 {
                    *entry = (kib, during.to_owned());
                }
            }
        }
    }

    fn memory_at_rest(&mut self) {
        for service in self.topo.processes() {
            self.results.memory.push(Memory {
                process: service.name.clone(),
                at_rest_mib: rss::vm_rss_kib(service.pid).map(mib),
                peak_mib: None,
                after_load_mib: None,
                peak_during: String::new(),
            });
        }
    }

    fn memory_peaks(&mut self) {
        let pids: Vec<(String, u32)> = self.topo.processes().iter().map(|s| (s.name.clone(), s.pid)).collect();
        for row in &mut self.results.memory {
            let pid = pids.iter().find(|(name, _)| *name == row.process).map(|(_, pid)| *pid);
            row.after_load_mib = pid.and_then(rss::vm_rss_kib).map(mib);
            if let Some((kib, during)) = self.peaks.get(&row.process) {
                row.peak_mib = Some(mib(*kib).max(row.at_rest_mib.unwrap_or(0.0)));
                row.peak_during = during.clone();
            }
        }
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Names a figure: a stable id (JSON, targets), a group and a label (tables).
#[derive(Debug, Clone, Copy)]
pub struct FigureId {
    pub id: &'static str,
    pub group: &'static str,
    pub label: &'static str,
}

pub const fn fig(id: &'static str, group: &'static str, label: &'static str) -> FigureId {
    FigureId { id, group, label }
}

/// Runs every case and returns the results with the targets evaluated.
pub async fn run_all(topo: Topology, settings: Settings, extras: Extras) -> Results {
    let mut bench = Bench::new(topo, settings, extras);
    println!("memory at rest");
    bench.memory_at_rest();
    bench.redis_background().await;
    println!("ceilings");
    ceilings::run(&mut bench).await;
    println!("token endpoint: client_credentials");
    let pool = token::client_credentials(&mut bench).await;
    println!("introspection");
    introspection::run(&mut bench, &pool).await;
    println!("resource servers");
    resource::run(&mut bench, &pool).await;
    println!("token endpoint: refresh_token and password");
    token::refresh(&mut bench).await;
    token::password(&mut bench).await;
    println!("revocation");
    revocation::run(&mut bench, &pool).await;
    println!("growth: small state, then large state");
    growth::run(&mut bench).await;
    // Let the servers settle before reading what they kept.
    tokio::time::sleep(Duration::from_secs(2)).await;
    bench.memory_peaks();
    bench.results.machine.load_at_end = machine::load_average();
    targets::evaluate(&mut bench.results);
    bench.results
}
