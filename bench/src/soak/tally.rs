//! Every answer of the soak, classified. An answer is *expected* when the flow that
//! sent it predicted it: 200/201 for normal calls, and the refusals a correct server
//! must give (401 `invalid_token` for a revoked access token, 400 `invalid_grant` for
//! a spent or revoked refresh token). Anything else is *unexpected* and fails the soak.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::stats::Latency;

/// Counts by (step, outcome), shared by every worker.
#[derive(Default)]
pub struct Tally {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    kinds: BTreeMap<(&'static str, String), (bool, u64)>,
    latencies: BTreeMap<&'static str, Vec<u32>>,
    /// The first few unexpected answers in full (status and body, no tokens sent back).
    examples: Vec<String>,
}

/// One row of the error table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kind {
    pub step: String,
    pub outcome: String,
    pub expected: bool,
    pub count: u64,
}

/// Latency of one step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepLatency {
    pub step: String,
    pub latency: Latency,
}

const MAX_EXAMPLES: usize = 20;

impl Tally {
    /// Records an answer (`status` `None`: a connection failure, `error` its reason).
    pub fn record(&self, step: &'static str, status: Option<u16>, body: &[u8], micros: Option<u32>, expected: bool) {
        let outcome = outcome(status, body);
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = inner.kinds.entry((step, outcome)).or_insert((expected, 0));
        entry.1 += 1;
        if let Some(us) = micros {
            inner.latencies.entry(step).or_default().push(us);
        }
        if !expected && inner.examples.len() < MAX_EXAMPLES {
            // A 2xx body may hold tokens: only error bodies are quoted.
            let snippet = match status {
                Some(s) if (200..300).contains(&s) => String::new(),
                _ => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            };
            let status = status.map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
            inner.examples.push(format!("{step}: {status} {snippet}"));
            eprintln!("soak: unexpected: {step}: {status} {snippet}");
        }
    }

    pub fn unexpected(&self) -> u64 {
        let inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.kinds.values().filter(|(expected, _)| !expected).map(|(_, n)| n).sum()
    }

    pub fn total(&self) -> u64 {
        let inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.kinds.values().map(|(_, n)| n).sum()
    }

    pub fn kinds(&self) -> Vec<Kind> {
        let inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner
            .kinds
            .iter()
            .map(|((step, outcome), (expected, count))| Kind {
                step: (*step).to_owned(),
                outcome: outcome.clone(),
                expected: *expected,
                count: *count,
            })
            .collect()
    }

    pub fn latencies(&self) -> Vec<StepLatency> {
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner
            .latencies
            .iter_mut()
            .filter_map(|(step, samples)| {
                Latency::of_micros(samples).map(|latency| StepLatency { step: (*step).to_owned(), latency })
            })
            .collect()
    }

    pub fn examples(&self) -> Vec<String> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner).examples.clone()
    }
}

/// `200`, `401 invalid_token`, `no answer: io: ConnectionReset`...
fn outcome(status: Option<u16>, body: &[u8]) -> String {
    match status {
        None => format!("no answer: {}", String::from_utf8_lossy(body)),
        Some(status) if (200..300).contains(&status) => status.to_string(),
        Some(status) => match crate::oauth::json_string(body, "error") {
            Some(code) => format!("{status} {code}"),
            None => status.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_step_status_and_error_code() {
        let tally = Tally::default();
        tally.record("api", Some(200), b"{}", Some(10), true);
        tally.record("api", Some(401), br#"{"error":"invalid_token"}"#, Some(10), true);
        tally.record("api", Some(401), br#"{"error":"invalid_token"}"#, Some(10), true);
        tally.record("login", Some(503), br#"{"error":"temporarily_unavailable"}"#, None, false);
        tally.record("login", None, b"io: ConnectionReset", None, false);
        assert_eq!(tally.total(), 5);
        assert_eq!(tally.unexpected(), 2);
        let kinds: Vec<(String, String, bool, u64)> =
            tally.kinds().into_iter().map(|k| (k.step, k.outcome, k.expected, k.count)).collect();
        assert_eq!(
            kinds,
            [
                ("api".into(), "200".into(), true, 1),
                ("api".into(), "401 invalid_token".into(), true, 2),
                ("login".into(), "503 temporarily_unavailable".into(), false, 1),
                ("login".into(), "no answer: io: ConnectionReset".into(), false, 1),
            ]
        );
    }
}
