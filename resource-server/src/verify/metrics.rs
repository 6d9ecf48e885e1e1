//! Counters of what the verifier did, cheap enough for every request (relaxed atomics)
//! and rendered in the Prometheus text format (version 0.0.4) by whoever serves
//! `/metrics`. Hand-written: a handful of counters do not justify a metrics crate.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::REASONS;
use super::feed::FeedMetrics;
use super::VerifyError;

/// Refusals that happen before the verifier sees a token, at the HTTP layer.
pub const HTTP_REASONS: [&str; 3] = ["missing_token", "invalid_request", "insufficient_scope"];

#[derive(Debug, Default)]
pub struct VerifierMetrics {
    accepted: AtomicU64,
    cache_hits: AtomicU64,
    refused: [AtomicU64; REASONS.len()],
    refused_http: [AtomicU64; HTTP_REASONS.len()],
    key_set_fetches: AtomicU64,
    key_set_unknown_kid_fetches: AtomicU64,
    key_set_fetch_failures: AtomicU64,
    introspection_calls: AtomicU64,
    introspection_failures: AtomicU64,
    /// The revocation feed's figures, rendered once a feed is followed.
    pub(crate) feed: FeedMetrics,
}

impl VerifierMetrics {
    pub(crate) fn accepted(&self, from_cache: bool) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        if from_cache {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn refused(&self, error: &VerifyError) {
        if let Some(at) = REASONS.iter().position(|r| *r == error.reason()) {
            self.refused[at].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a refusal decided by the HTTP layer; `reason` is one of [`HTTP_REASONS`].
    pub fn refused_at_http(&self, reason: &str) {
        if let Some(at) = HTTP_REASONS.iter().position(|r| *r == reason) {
            self.refused_http[at].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn key_set_fetch(&self, ok: bool) {
        self.key_set_fetches.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.key_set_fetch_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A fetch caused by a token naming a `kid` we did not hold (a subset of all
    /// fetches): with keys published ahead of use, this stays at zero.
    pub(crate) fn key_set_unknown_kid_fetch(&self) {
        self.key_set_unknown_kid_fetches.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn introspection_call(&self, ok: bool) {
        self.introspection_calls.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.introspection_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn key_set_fetches(&self) -> u64 {
        self.key_set_fetches.load(Ordering::Relaxed)
    }

    pub fn introspection_calls(&self) -> u64 {
        self.introspection_calls.load(Ordering::Relaxed)
    }

    pub fn cache_hits(&self) -> u64 {
        self.cache_hits.load(Ordering::Relaxed)
    }

    /// Revocation feed events applied (snapshots and notices).
    pub fn revocation_feed_events(&self) -> u64 {
        self.feed.events_applied()
    }

    /// Times the revocation feed connection was reopened.
    pub fn revocation_feed_reconnects(&self) -> u64 {
        self.feed.reconnects()
    }

    /// Appends the counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        counter(out, "rs_tokens_accepted_total", "Tokens accepted.", load(&self.accepted));
        counter(
            out,
            "rs_token_cache_hits_total",
            "Tokens accepted from the verified-token cache.",
            load(&self.cache_hits),
        );
        header(out, "rs_tokens_refused_total", "Requests refused, by reason.");
        let all = REASONS.iter().zip(&self.refused).chain(HTTP_REASONS.iter().zip(&self.refused_http));
        for (reason, count) in all {
            let _ = writeln!(out, "rs_tokens_refused_total{{reason=\"{reason}\"}} {}", load(count));
        }
        counter(out, "rs_key_set_fetches_total", "JWK Set fetches attempted.", load(&self.key_set_fetches));
        counter(
            out,
            "rs_key_set_unknown_kid_fetches_total",
            "JWK Set fetches caused by a token with an unknown kid.",
            load(&self.key_set_unknown_kid_fetches),
        );
        counter(
            out,
            "rs_key_set_fetch_failures_total",
            "JWK Set fetches that failed.",
            load(&self.key_set_fetch_failures),
        );
        counter(out, "rs_introspection_calls_total", "RFC 7662 calls made.", load(&self.introspection_calls));
        counter(
            out,
            "rs_introspection_failures_total",
            "RFC 7662 calls that failed.",
            load(&self.introspection_failures),
        );
        self.feed.render(out);
    }
}

fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
}

pub(crate) fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, help);
    let _ = writeln!(out, "{name} {value}");
}

/// A gauge; `value` is already formatted (Prometheus accepts `+Inf` and `NaN`).
pub(crate) fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let metrics = VerifierMetrics::default();
        metrics.accepted(true);
        metrics.refused(&VerifyError::Signature);
        metrics.refused_at_http("missing_token");
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(out.contains("rs_tokens_accepted_total 1\n"));
        assert!(out.contains("rs_token_cache_hits_total 1\n"));
        assert!(out.contains("rs_tokens_refused_total{reason=\"signature\"} 1\n"));
        assert!(out.contains("rs_tokens_refused_total{reason=\"missing_token\"} 1\n"));
        assert!(out.contains("rs_tokens_refused_total{reason=\"expired\"} 0\n"));
        assert!(out.contains("# TYPE rs_key_set_fetches_total counter\n"));
    }
}
