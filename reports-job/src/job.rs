//! The job's loop: a run every interval, each run `concurrency` calls at once, until
//! the runs are done or the shutdown signal comes.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::Url;
use resource_server::client::ServiceClient;
use tokio::time::MissedTickBehavior;

use crate::tally::{Outcome, Tally};

pub struct Job {
    client: ServiceClient,
    documents_url: Url,
    concurrency: u64,
    interval: Duration,
    runs: Option<u64>,
}

/// What the job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Runs completed (one cut short by the signal is not counted).
    pub runs: u64,
    pub tally: Tally,
    /// Stopped by SIGTERM or SIGINT rather than by `REPORTS_RUNS`.
    pub interrupted: bool,
}

impl Job {
    pub fn new(
        client: ServiceClient,
        documents_url: Url,
        concurrency: u64,
        interval: Duration,
        runs: Option<u64>,
    ) -> Self {
        Self { client, documents_url, concurrency: concurrency.max(1), interval, runs }
    }

    /// Runs until `runs` runs are done, or at once when `shutdown` resolves (a run in
    /// flight is dropped: its calls are cancelled). Logs one line per run.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Summary {
        let mut shutdown = pin!(shutdown);
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut summary = Summary::default();
        while self.runs.is_none_or(|runs| summary.runs < runs) {
            let tally = tokio::select! {
                biased;
                () = &mut shutdown => {
                    summary.interrupted = true;
                    break;
                }
                tally = async {
                    ticks.tick().await;
                    self.run_once().await
                } => tally,
            };
            summary.runs += 1;
            summary.tally += tally;
            tracing::info!(
                run = summary.runs,
                ok = tally.ok,
                unauthorized = tally.unauthorized,
                failed = tally.failed,
                token_requests = self.client.token_requests(),
                retries = self.client.retries(),
                "run finished"
            );
        }
        summary
    }

    /// One run: the calls at once, counted.
    async fn run_once(&self) -> Tally {
        let outcomes = join_all((0..self.concurrency).map(|_| self.call())).await;
        let mut tally = Tally::default();
        for (outcome, _) in &outcomes {
            tally.count(*outcome);
        }
        if let Some(problem) = outcomes.into_iter().find_map(|(_, problem)| problem) {
            tracing::warn!(problem, "calls failed in this run (the first reason)");
        }
        tally
    }

    /// One call; its outcome, and what went wrong if anything did.
    async fn call(&self) -> (Outcome, Option<String>) {
        let result = self.client.get(self.documents_url.clone()).await;
        let outcome = Outcome::of(&result);
        let response = match result {
            Ok(response) => response,
            Err(err) => return (outcome, Some(shared_claims::error_chain(&err))),
        };
        let status = response.status();
        // Read to the end either way, so that the connection is reused.
        match (outcome, response.bytes().await) {
            (Outcome::Ok, Ok(_)) => (outcome, None),
            (Outcome::Ok, Err(err)) => (Outcome::Failed, Some(format!("HTTP {status}, body cut off: {err}"))),
            (_, _) => (outcome, Some(format!("HTTP {status}"))),
        }
    }

    /// The summary line: what a run's lines add up to, and the client's counters.
    pub fn log_summary(&self, summary: &Summary) {
        tracing::info!(
            runs = summary.runs,
            calls = summary.tally.calls(),
            ok = summary.tally.ok,
            unauthorized = summary.tally.unauthorized,
            failed = summary.tally.failed,
            token_requests = self.client.token_requests(),
            retries = self.client.retries(),
            interrupted = summary.interrupted,
            "summary"
        );
    }
}
