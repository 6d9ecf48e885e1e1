//! Every case of the suite, in the order they run, and the bookkeeping they share.
//!
//! ```text
//! run_all
//!   ├─ memory at rest                       rss::vm_rss_kib for every process
//!   ├─ ceilings::run                        openssl speed, Argon2, empty route (+ wrk cross-check)
//!   ├─ token::client_credentials            ours and the peer's; fills the token pool
//!   ├─ introspection::run                   ours and the peer's
//!   ├─ resource::run                        bare verify, /api/me local, /api/me introspect
//!   ├─ token::refresh, token::password      password with /healthz and JWKS probes
//!   ├─ revocation::propagation, ::cost      last: they revoke tokens of the pool
//!   └─ targets::evaluate                    ratios against the issues' targets
//! ```

mod ceilings;
mod introspection;
mod resource;
mod revocation;
mod targets;
mod token;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::load::{self, LoadOutcome, LoadPlan, Workload};
use crate::machine::{self, Machine};
use crate::results::{Figure, Memory, Results, RunSettings};
use crate::rss::{self, PeakSampler};
use crate::stats::Latency;
use crate::topology::{Service, Topology};

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

/// The state of a run: where things are, what was measured so far.
pub struct Bench {
    pub topo: Topology,
    pub settings: Settings,
    pub results: Results,
    peaks: BTreeMap<String, (u64, String)>,
}

impl Bench {
    pub fn new(topo: Topology, settings: Settings) -> Self {
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
        };
        Self { topo, settings, results, peaks: BTreeMap::new() }
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
    /// cannot survive a restart, such as refresh-token chains).
    pub async fn measure_rounds<W: Workload>(
        &mut self,
        figure: FigureId,
        plan: LoadPlan,
        workload: Arc<W>,
        rounds: u32,
    ) -> LoadOutcome {
        let sampler = self.start_sampler();
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
        total
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
pub async fn run_all(topo: Topology, settings: Settings) -> Results {
    let mut bench = Bench::new(topo, settings);
    println!("memory at rest");
    bench.memory_at_rest();
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
    // Let the servers settle before reading what they kept.
    tokio::time::sleep(Duration::from_secs(2)).await;
    bench.memory_peaks();
    bench.results.machine.load_at_end = machine::load_average();
    targets::evaluate(&mut bench.results);
    bench.results
}
