//! What a run produced, written as `latest.json` and rendered as Markdown and SVG.

use serde::{Deserialize, Serialize};

use crate::cpu::CpuShares;

use crate::machine::Machine;
use crate::stats::Latency;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub machine: Machine,
    pub settings: RunSettings,
    pub figures: Vec<Figure>,
    pub propagation: Option<Propagation>,
    pub memory: Vec<Memory>,
    pub targets: Vec<Target>,
    pub notes: Vec<String>,
    /// Redis commands per operation of the auth server's cases.
    #[serde(default)]
    pub redis: Vec<RedisCost>,
    /// Redis commands per second with no load (the auth server's background work),
    /// as last measured; each case subtracts the rate measured before it.
    #[serde(default)]
    pub redis_background_per_sec: Option<f64>,
    #[serde(default)]
    pub growth: Option<Growth>,
    /// Where the machine's CPU went during each load.
    #[serde(default)]
    pub cpu: Vec<CpuUse>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSettings {
    pub duration_s: f64,
    pub warmup_s: f64,
    pub connections: usize,
    pub generator_threads: usize,
    pub quick: bool,
    #[serde(default)]
    pub rounds: u32,
}

/// One measured rate (a ceiling or a case). `per_sec` is `None` when the case could
/// not run; `note` says why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    pub id: String,
    pub group: String,
    pub label: String,
    pub per_sec: Option<f64>,
    pub latency: Option<Latency>,
    pub failed: u64,
    pub note: String,
}

/// The CPU shares of one case's load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CpuUse {
    pub figure: String,
    pub label: String,
    /// The process the load was aimed at (`None`: one the run does not list).
    pub server: Option<String>,
    pub shares: CpuShares,
}

/// Revocation propagation to the local-mode resource servers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Propagation {
    pub available: bool,
    pub revocations: usize,
    pub resource_servers: usize,
    /// Over every (revocation, resource server) pair.
    pub each: Option<Latency>,
    /// Over revocations: until the last of the resource servers refused.
    pub all: Option<Latency>,
    pub timeouts: usize,
    pub note: String,
}

/// Resident memory of one process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Memory {
    pub process: String,
    /// Right after start-up, before any load.
    pub at_rest_mib: Option<f64>,
    pub peak_mib: Option<f64>,
    /// Idle again after every case ran (what the process kept).
    #[serde(default)]
    pub after_load_mib: Option<f64>,
    pub peak_during: String,
}

/// The Redis commands one case cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedisCost {
    pub figure: String,
    pub label: String,
    /// Requests answered, warm-up included (Redis saw those too).
    pub operations: u64,
    /// Calls counted, the background subtracted.
    pub commands: f64,
    /// The calls subtracted: the background rate of the time over the case's span.
    #[serde(default)]
    pub background: f64,
    pub per_op: f64,
    /// The most called commands, calls per operation (background not subtracted).
    pub top: Vec<(String, f64)>,
}

/// The same cases at small and at large state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Growth {
    /// 1.0 for the full state; 0.05 in a quick run.
    pub scale: f64,
    pub users: usize,
    pub sessions: usize,
    pub token_revocations: usize,
    pub session_revocations: usize,
    pub seed_seconds: f64,
    pub seed_commands: u64,
    /// What the auth server read back of the seeded state.
    pub verified: String,
    pub verified_ok: bool,
    pub small: StateFigures,
    pub large: StateFigures,
    pub rows: Vec<GrowthRow>,
}

/// What one state measured beside its cases.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StateFigures {
    /// From a new resource server's start until its `/readyz` answered 200.
    pub snapshot_ms: Option<f64>,
    /// `rs_revocations_in_force` of that server once ready.
    pub revocations_loaded: Option<u64>,
    /// Revocations in force in the store (`as:{rev}:live` from now on).
    pub revocations_in_store: Option<u64>,
    pub rs_rss_mib: Option<f64>,
    /// The auth server idle after this state's cases.
    pub auth_rss_mib: Option<f64>,
    pub redis_keys: Option<u64>,
    pub redis_used_mib: Option<f64>,
    pub note: String,
}

/// One line of the growth table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrowthRow {
    pub case: String,
    pub unit: String,
    pub small: Option<f64>,
    pub large: Option<f64>,
    /// large ÷ small.
    pub ratio: Option<f64>,
    /// The rule, as text (`≥ 0.90×`); empty when only reported.
    pub target: String,
    pub met: Option<bool>,
    pub note: String,
}

/// A target of the issues: `value` against `required`, met or not (`None`: not measured).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    pub compared: String,
    pub value: Option<f64>,
    pub required: f64,
    /// `true`: the value must be at least `required`; `false`: below it.
    pub at_least: bool,
    pub unit: String,
    pub met: Option<bool>,
}

impl Target {
    pub fn new(name: &str, compared: String, value: Option<f64>, required: f64, at_least: bool, unit: &str) -> Self {
        let met = value.map(|v| if at_least { v >= required } else { v < required });
        Self { name: name.into(), compared, value, required, at_least, unit: unit.into(), met }
    }
}

impl Results {
    pub fn figure(&self, id: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.id == id)
    }

    /// The rate of a figure that measured something (a run where every answer was
    /// refused has no rate to compare).
    pub fn rate(&self, id: &str) -> Option<f64> {
        self.figure(id).and_then(|f| f.per_sec).filter(|r| *r > 0.0)
    }
}
