//! Counting what a load met: every exchange by phase, operation and outcome, and the
//! breaches of what must hold in every phase (a 5xx other than 503, a 503 without
//! `Retry-After`, an answer slower than [`HANG_BOUND`]).
//!
//! The test names the phases ("steady", "redis down", ...); an exchange that began in
//! one phase and ended in another counts under "a→b".

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tests::Reply;

/// No answer may take longer, whatever is broken: a store call gives up within about a
/// second and a refresh in doubt reads the store back for at most 2 s more.
pub(super) const HANG_BOUND: Duration = Duration::from_secs(10);

/// What the load does, each counted apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Op {
    Login,
    Refresh,
    Revoke,
    Api,
}

/// What one exchange met.
pub(super) struct Exchange {
    pub result: Result<Reply, String>,
    pub took: Duration,
}

impl Exchange {
    pub(super) fn status(&self) -> Option<u16> {
        self.result.as_ref().ok().map(|reply| reply.status)
    }
}

/// A mutex's guard, whether or not a panicking holder poisoned it.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `status error` of an answer, or `broken` for an exchange that failed.
pub(super) fn outcome(result: &Result<Reply, String>) -> String {
    result.as_ref().map_or_else(|_| "broken".to_owned(), answer)
}

/// `status error` of an answer (`400 invalid_grant`), or the status alone.
pub(super) fn answer(reply: &Reply) -> String {
    match reply.json["error"].as_str() {
        Some(code) => format!("{} {code}", reply.status),
        None => reply.status.to_string(),
    }
}

/// Counts of one load run, shared by its workers.
pub(super) struct Tally {
    phase: Mutex<&'static str>,
    counts: Mutex<BTreeMap<(String, Op, String), usize>>,
    problems: Mutex<Vec<String>>,
    slowest: Mutex<Duration>,
}

impl Tally {
    pub(super) fn new() -> Self {
        Tally {
            phase: Mutex::new("steady"),
            counts: Mutex::new(BTreeMap::new()),
            problems: Mutex::new(Vec::new()),
            slowest: Mutex::new(Duration::ZERO),
        }
    }

    /// Exchanges starting from now count under `phase`.
    pub(super) fn set_phase(&self, phase: &'static str) {
        *lock(&self.phase) = phase;
    }

    fn phase(&self) -> &'static str {
        *lock(&self.phase)
    }

    pub(super) fn problem(&self, problem: String) {
        lock(&self.problems).push(problem);
    }

    /// Runs one exchange, counts it and checks what holds in every phase.
    pub(super) async fn exchange(&self, op: Op, request: impl Future<Output = Result<Reply, String>>) -> Exchange {
        let phase = self.phase();
        let started = Instant::now();
        let result = request.await;
        let took = started.elapsed();
        let end = self.phase();
        let phase = if phase == end { phase.to_owned() } else { format!("{phase}→{end}") };
        let outcome = outcome(&result);
        if let Ok(reply) = &result {
            if reply.status >= 500 && reply.status != 503 {
                self.problem(format!("{op:?} in phase {phase}: a 5xx other than 503: {reply:?}"));
            }
            if reply.status == 503 && reply.header("retry-after").is_none() {
                self.problem(format!("{op:?} in phase {phase}: 503 without Retry-After: {reply:?}"));
            }
        }
        if took > HANG_BOUND {
            self.problem(format!("{op:?} in phase {phase}: answered {outcome} after {took:?}"));
        }
        {
            let mut slowest = lock(&self.slowest);
            *slowest = (*slowest).max(took);
        }
        *lock(&self.counts).entry((phase, op, outcome)).or_default() += 1;
        Exchange { result, took }
    }

    /// The outcomes counted for `op` in exactly `phase`.
    pub(super) fn outcomes(&self, phase: &str, op: Op) -> BTreeMap<String, usize> {
        lock(&self.counts)
            .iter()
            .filter(|((p, o, _), _)| p == phase && *o == op)
            .map(|((_, _, outcome), count)| (outcome.clone(), *count))
            .collect()
    }

    /// Every outcome counted in any phase for any operation.
    pub(super) fn all_outcomes(&self) -> BTreeMap<String, usize> {
        let mut all = BTreeMap::new();
        for ((_, _, outcome), count) in lock(&self.counts).iter() {
            *all.entry(outcome.clone()).or_default() += count;
        }
        all
    }

    pub(super) fn problems(&self) -> Vec<String> {
        lock(&self.problems).clone()
    }

    /// One line per phase: `phase: Login 200×12 503×3, Refresh ...`.
    pub(super) fn summary(&self) -> String {
        let counts = lock(&self.counts);
        let mut phases: Vec<&String> = counts.keys().map(|(phase, _, _)| phase).collect();
        phases.dedup();
        let mut text = String::new();
        for phase in phases {
            let _ = write!(text, "  {phase}:");
            let mut last_op = None;
            for ((p, op, outcome), count) in counts.iter() {
                if p != phase {
                    continue;
                }
                if last_op != Some(*op) {
                    let _ = write!(text, " {op:?}");
                    last_op = Some(*op);
                }
                let _ = write!(text, " {outcome}×{count}");
            }
            text.push('\n');
        }
        let _ = write!(text, "  slowest answer {:?}", *lock(&self.slowest));
        text
    }
}
