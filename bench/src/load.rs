//! Load on keep-alive connections for a fixed time. Closed loop ([`run`]): each
//! connection sends its next request as soon as the previous answer arrives (like
//! `wrk`). Open loop ([`run_paced`]): requests leave at a fixed rate whatever the
//! answers do, and a request that had to wait for its connection is timed from when
//! it was due (like `wrk2`), so a slow answer is not hidden by the requests it held
//! back (coordinated omission).
//!
//! ```text
//! run(plan, workload) / run_paced(plan, rate, workload)
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
    /// Every answer received, warm-up included: what the server did in all.
    pub answered: u64,
    pub measured: Duration,
    /// Microseconds, one per counted request (successful or not).
    pub latencies_us: Vec<u32>,
    pub first_failure: Option<String>,
}

impl LoadOutcome {
    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.measured.as_secs_f64().max(1e-9)
    }

    /// Counts one measured answer.
    fn count(&mut self, latency: Duration, status: u16, accepted: bool, snippet: String) {
        self.latencies_us.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
        if accepted {
            self.ok += 1;
        } else {
            self.failed += 1;
            self.first_failure.get_or_insert_with(|| format!("unexpected answer: HTTP {status} {snippet}"));
        }
    }

    pub fn merge(&mut self, other: LoadOutcome) {
        self.measured += other.measured;
        self.ok += other.ok;
        self.failed += other.failed;
        self.io_errors += other.io_errors;
        self.answered += other.answered;
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
        let Some(conn) = connected(&mut connection, addr, &mut outcome).await else {
            continue;
        };
        request.clear();
        if !workload.next(&mut state, &mut request) {
            break;
        }
        let sent = Instant::now();
        let Some((status, accepted, snippet)) =
            exchange(conn, addr, &*workload, &mut state, &request, &mut outcome).await
        else {
            connection = None;
            continue;
        };
        let done = Instant::now();
        if sent < measure_from || done > deadline {
            continue;
        }
        outcome.count(done - sent, status, accepted, snippet);
    }
    outcome
}

/// Runs `workload` at `rate` requests per second in all, spread evenly over
/// `plan.connections` connections, for warm-up plus duration. A request is due at a
/// fixed time; one whose connection was still waiting for the previous answer then is
/// sent when that answer arrives and timed from when it was due. One sent on time is
/// timed from when it left: tokio's timer wakes on whole milliseconds, and that
/// lateness is the generator's, not the server's.
pub async fn run_paced<W: Workload>(plan: LoadPlan, rate: f64, workload: Arc<W>) -> LoadOutcome {
    let start = Instant::now() + Duration::from_millis(20);
    let measure_from = start + plan.warmup;
    let deadline = measure_from + plan.duration;
    let interval = Duration::from_secs_f64(plan.connections as f64 / rate.max(1.0));
    let tasks: Vec<_> = (0..plan.connections)
        .map(|index| {
            let workload = workload.clone();
            let first = start + Duration::from_secs_f64(index as f64 / rate.max(1.0));
            let pace = Pace { first, interval, measure_from, deadline };
            tokio::spawn(paced_loop(plan.addr, index, workload, pace))
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

/// One connection's schedule: requests due at `first`, `first + interval`, ... before
/// `deadline`; those due from `measure_from` on are counted.
#[derive(Debug, Clone, Copy)]
struct Pace {
    first: Instant,
    interval: Duration,
    measure_from: Instant,
    deadline: Instant,
}

async fn paced_loop<W: Workload>(addr: SocketAddr, index: usize, workload: Arc<W>, pace: Pace) -> LoadOutcome {
    let mut outcome = LoadOutcome::default();
    let mut state = workload.state(index);
    let mut request = Vec::with_capacity(2048);
    let mut connection: Option<Connection> = None;
    let mut due = pace.first;
    while due < pace.deadline {
        let Some(conn) = connected(&mut connection, addr, &mut outcome).await else {
            if Instant::now() >= pace.deadline {
                break;
            }
            continue;
        };
        request.clear();
        if !workload.next(&mut state, &mut request) {
            break;
        }
        let timed_from = if Instant::now() < due {
            tokio::time::sleep_until(due.into()).await;
            Instant::now()
        } else {
            due
        };
        let Some((status, accepted, snippet)) =
            exchange(conn, addr, &*workload, &mut state, &request, &mut outcome).await
        else {
            connection = None;
            continue;
        };
        if due >= pace.measure_from {
            outcome.count(timed_from.elapsed(), status, accepted, snippet);
        }
        due += pace.interval;
    }
    outcome
}

/// The open connection, or a new one; `None` (counted, after a short pause) when the
/// server refused it.
async fn connected<'a>(
    connection: &'a mut Option<Connection>,
    addr: SocketAddr,
    outcome: &mut LoadOutcome,
) -> Option<&'a mut Connection> {
    if connection.is_none() {
        match Connection::connect(addr).await {
            Ok(conn) => *connection = Some(conn),
            Err(e) => {
                outcome.io_errors += 1;
                outcome.first_failure.get_or_insert_with(|| format!("connect {addr}: {e}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                return None;
            }
        }
    }
    connection.as_mut()
}

/// Sends one request and judges its answer: its status, whether the workload took it,
/// and the start of a refused body (for the first failure's note). `None` when the
/// connection failed (counted; the caller reopens it).
async fn exchange<W: Workload>(
    conn: &mut Connection,
    addr: SocketAddr,
    workload: &W,
    state: &mut W::State,
    request: &[u8],
    outcome: &mut LoadOutcome,
) -> Option<(u16, bool, String)> {
    match conn.roundtrip(request).await {
        Ok(response) => {
            outcome.answered += 1;
            let accepted = workload.answer(state, response.status, response.body);
            let snippet = if accepted || outcome.first_failure.is_some() {
                String::new()
            } else {
                String::from_utf8_lossy(&response.body[..response.body.len().min(120)]).into_owned()
            };
            Some((response.status, accepted, snippet))
        }
        Err(e) => {
            outcome.io_errors += 1;
            outcome.first_failure.get_or_insert_with(|| format!("{addr}: {e}"));
            None
        }
    }
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
