//! Counters of what the verifier did, cheap enough for every request (one relaxed
//! atomic add each) and exposed through a `prometheus_client` registry that the service
//! owns: [`Verifier::register_metrics`](super::Verifier::register_metrics) adds them to
//! whatever the service already serves on `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::error::REASONS;
use super::feed::FeedMetrics;
use super::VerifyError;

/// Refusals that happen before the verifier sees a token, at the HTTP layer.
pub const HTTP_REASONS: [&str; 3] = ["missing_token", "invalid_request", "insufficient_scope"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    reason: &'static str,
}

#[derive(Debug)]
pub struct VerifierMetrics {
    accepted: Counter,
    cache_hits: Counter,
    /// Every reason's series, created up front so that zeros are listed too.
    refused_family: Family<RefusalLabels, Counter>,
    /// The family's series, held so that counting a refusal takes no lock.
    refused: [Counter; REASONS.len()],
    refused_http: [Counter; HTTP_REASONS.len()],
    key_set_fetches: Counter,
    key_set_unknown_kid_fetches: Counter,
    key_set_fetch_failures: Counter,
    introspection_calls: Counter,
    introspection_failures: Counter,
    /// The revocation feed's figures, registered when a feed is followed.
    pub(crate) feed: FeedMetrics,
}

impl Default for VerifierMetrics {
    fn default() -> Self {
        let refused_family = Family::<RefusalLabels, Counter>::default();
        let series = |reason: &'static str| refused_family.get_or_create(&RefusalLabels { reason }).clone();
        let refused = REASONS.map(series);
        let refused_http = HTTP_REASONS.map(series);
        Self {
            accepted: Counter::default(),
            cache_hits: Counter::default(),
            refused_family,
            refused,
            refused_http,
            key_set_fetches: Counter::default(),
            key_set_unknown_kid_fetches: Counter::default(),
            key_set_fetch_failures: Counter::default(),
            introspection_calls: Counter::default(),
            introspection_failures: Counter::default(),
            feed: FeedMetrics::default(),
        }
    }
}

impl VerifierMetrics {
    pub(crate) fn accepted(&self, from_cache: bool) {
        self.accepted.inc();
        if from_cache {
            self.cache_hits.inc();
        }
    }

    pub(crate) fn refused(&self, error: &VerifyError) {
        if let Some(at) = REASONS.iter().position(|r| *r == error.reason()) {
            self.refused[at].inc();
        }
    }

    /// Counts a refusal decided by the HTTP layer; `reason` is one of [`HTTP_REASONS`].
    pub fn refused_at_http(&self, reason: &str) {
        if let Some(at) = HTTP_REASONS.iter().position(|r| *r == reason) {
            self.refused_http[at].inc();
        }
    }

    pub(crate) fn key_set_fetch(&self, ok: bool) {
        self.key_set_fetches.inc();
        if !ok {
            self.key_set_fetch_failures.inc();
        }
    }

    /// A fetch caused by a token naming a `kid` we did not hold (a subset of all
    /// fetches): with keys published ahead of use, this stays at zero.
    pub(crate) fn key_set_unknown_kid_fetch(&self) {
        self.key_set_unknown_kid_fetches.inc();
    }

    pub(crate) fn introspection_call(&self, ok: bool) {
        self.introspection_calls.inc();
        if !ok {
            self.introspection_failures.inc();
        }
    }

    pub fn key_set_fetches(&self) -> u64 {
        self.key_set_fetches.get()
    }

    pub fn introspection_calls(&self) -> u64 {
        self.introspection_calls.get()
    }

    pub fn cache_hits(&self) -> u64 {
        self.cache_hits.get()
    }

    /// Revocation feed events applied (snapshots and notices).
    pub fn revocation_feed_events(&self) -> u64 {
        self.feed.events_applied()
    }

    /// Times the revocation feed connection was reopened.
    pub fn revocation_feed_reconnects(&self) -> u64 {
        self.feed.reconnects()
    }

    /// Adds the counters to `registry` (names as given; the verifier passes a registry
    /// prefixed `rs`). The registry holds clones that share the values.
    pub(crate) fn register(&self, registry: &mut Registry) {
        registry.register("tokens_accepted", "Tokens accepted", self.accepted.clone());
        registry.register("token_cache_hits", "Tokens accepted from the verified-token cache", self.cache_hits.clone());
        registry.register("tokens_refused", "Requests refused, by reason", self.refused_family.clone());
        registry.register("key_set_fetches", "JWK Set fetches attempted", self.key_set_fetches.clone());
        registry.register(
            "key_set_unknown_kid_fetches",
            "JWK Set fetches caused by a token with an unknown kid",
            self.key_set_unknown_kid_fetches.clone(),
        );
        registry.register("key_set_fetch_failures", "JWK Set fetches that failed", self.key_set_fetch_failures.clone());
        registry.register("introspection_calls", "RFC 7662 calls made", self.introspection_calls.clone());
        registry.register("introspection_failures", "RFC 7662 calls that failed", self.introspection_failures.clone());
        self.feed.register(registry);
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;

    #[test]
    fn renders_openmetrics_text() {
        let metrics = VerifierMetrics::default();
        metrics.accepted(true);
        metrics.refused(&VerifyError::Signature);
        metrics.refused_at_http("missing_token");
        let mut registry = Registry::with_prefix("rs");
        metrics.register(&mut registry);
        let mut out = String::new();
        encode(&mut out, &registry).unwrap();
        assert!(out.contains("rs_tokens_accepted_total 1\n"), "{out}");
        assert!(out.contains("rs_token_cache_hits_total 1\n"));
        assert!(out.contains("rs_tokens_refused_total{reason=\"signature\"} 1\n"));
        assert!(out.contains("rs_tokens_refused_total{reason=\"missing_token\"} 1\n"));
        assert!(out.contains("rs_tokens_refused_total{reason=\"expired\"} 0\n"));
        assert!(out.contains("# TYPE rs_key_set_fetches counter\n"));
        assert!(!out.contains("rs_revocation_feed"), "no feed followed: {out}");
        crate::test_support::exposition::check(&out).unwrap();
    }
}
