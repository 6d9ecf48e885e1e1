//! Closed-loop load: a fixed number of keep-alive connections, each sending its next
//! request as soon as the previous answer arrives, for a fixed time (like `wrk`).
//!
//! ```text
//! run(plan, workload)
//!   ├─ one task per connection: Workload::next → Connection::roundtrip → Workload::answer
//!   ├─ warm-up: answers before `warmup` ends are not counted
//!   └─ LoadOutcome: counts and the latency of every counted request
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http1::Connection;

/// What a load sends and how it judges the answers.
pub trait Workload: Send + Sync + 'static {
    /// Per-connection state (a refresh-token chain, say).
    type State: Send + 'static;
    fn state(&self, connection: usize) -> Self::State;
    /// Writes the next request of this connection into `out` (cleared by the caller);
    /// `false` when the connection has nothing left to send.
    fn next(&self, state: &mut Self::State, out: &mut Vec<u8>) -> bool;
    /// Judges an answer: `true` counts it as a success.
    fn answer(&self, state: &mut Self::State, status: u16, body: &[u8]) -> bool;
}

#[derive(Debug, Clone, Copy)]
pub struct LoadPlan {
    pub addr: SocketAddr,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What one load run measured.
#[derive(Debug, Default)]
pub struct LoadOutcome {
    pub ok: u64,
    /// Answers the workload did not accept (wrong status, unusable body).
    pub failed: u64,
    /// Connection-level failures (refused, reset, closed); the connection is reopened.
    pub io_errors: u64,
    pub measured: Duration,
    /// Microseconds, one per counted request (successful or not).
    pub latencies_us: Vec<u32>,
    pub first_failure: Option<String>,
}

impl LoadOutcome {
    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.measured.as_secs_f64().max(1e-9)
    }

    pub fn merge(&mut self, other: LoadOutcome) {
        self.measured += other.measured;
        self.ok += other.ok;
        self.failed += other.failed;
        self.io_errors += other.io_errors;
        self.latencies_us.extend(other.latencies_us);
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }
}

/// Runs `workload` on `plan.connections` connections for warm-up plus duration.
pub async fn run<W: Workload>(plan: LoadPlan, workload: Arc<W>) -> LoadOutcome {
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let deadline = measure_from + plan.duration;
    let tasks: Vec<_> = (0..plan.connections)
        .map(|index| {
            let workload = workload.clone();
            tokio::spawn(connection_loop(plan.addr, index, workload, measure_from, deadline))
        })
        .collect();
    let mut total = LoadOutcome::default();
    for task in tasks {
        match task.await {
            Ok(outcome) => total.merge(outcome),
            Err(e) => {
                total.io_errors += 1;
                total.first_failure.get_or_insert_with(|| format!("load task failed: {e}"));
            }
        }
    }
    total.measured = plan.duration;
    total
}

async fn connection_loop<W: Workload>(
    addr: SocketAddr,
    index: usize,
    workload: Arc<W>,
    measure_from: Instant,
    deadline: Instant,
) -> LoadOutcome {
    let mut outcome = LoadOutcome::default();
    let mut state = workload.state(index);
    let mut request = Vec::with_capacity(2048);
    let mut connection: Option<Connection> = None;
    while Instant::now() < deadline {
        let conn = match connection.as_mut() {
            Some(conn) => conn,
            None => match Connection::connect(addr).await {
                Ok(conn) => connection.insert(conn),
                Err(e) => {
                    outcome.io_errors += 1;
                    outcome.first_failure.get_or_insert_with(|| format!("connect {addr}: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        request.clear();
        if !workload.next(&mut state, &mut request) {
            break;
        }
        let sent = Instant::now();
        let (status, accepted, snippet) = match conn.roundtrip(&request).await {
            Ok(response) => {
                let accepted = workload.answer(&mut state, response.status, response.body);
                let snippet = if accepted || outcome.first_failure.is_some() {
                    String::new()
                } else {
                    String::from_utf8_lossy(&response.body[..response.body.len().min(120)]).into_owned()
                };
                (response.status, accepted, snippet)
            }
            Err(e) => {
                outcome.io_errors += 1;
                outcome.first_failure.get_or_insert_with(|| format!("{addr}: {e}"));
                connection = None;
                continue;
            }
        };
        let done = Instant::now();
        if sent < measure_from || done > deadline {
            continue;
        }
        outcome.latencies_us.push(u32::try_from((done - sent).as_micros()).unwrap_or(u32::MAX));
        if accepted {
            outcome.ok += 1;
        } else {
            outcome.failed += 1;
            outcome.first_failure.get_or_insert_with(|| format!("unexpected answer: HTTP {status} {snippet}"));
        }
    }
    outcome
}

/// A light probe beside a load: one connection, one request every `interval`, until
/// `until`. Returns the latency of each answer, and how many answers were not 200.
pub async fn probe(addr: SocketAddr, request: Vec<u8>, interval: Duration, until: Instant) -> (Vec<u32>, u64) {
    let mut latencies = Vec::new();
    let mut failures = 0;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut connection: Option<Connection> = None;
    while Instant::now() < until {
        ticker.tick().await;
        if connection.is_none() {
            connection = Connection::connect(addr).await.ok();
        }
        let Some(conn) = connection.as_mut() else {
            failures += 1;
            continue;
        };
        let sent = Instant::now();
        match conn.roundtrip(&request).await {
            Ok(response) if response.status == 200 => {
                latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            Ok(_) => failures += 1,
            Err(_) => {
                failures += 1;
                connection = None;
            }
        }
    }
    (latencies, failures)
}
