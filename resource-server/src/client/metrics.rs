//! Counters of what a [`ServiceClient`](super::ServiceClient) did: read with the
//! getters, or exported through a `prometheus_client` registry the service owns
//! ([`ServiceClient::register_metrics`](super::ServiceClient::register_metrics)).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;

#[derive(Debug, Default)]
pub(crate) struct ClientMetrics {
    token_requests: Counter,
    token_request_failures: Counter,
    retries: Counter,
    not_retried: Counter,
}

impl ClientMetrics {
    pub(crate) fn token_request(&self, ok: bool) {
        self.token_requests.inc();
        if !ok {
            self.token_request_failures.inc();
        }
    }

    pub(crate) fn retry(&self) {
        self.retries.inc();
    }

    pub(crate) fn not_retried(&self) {
        self.not_retried.inc();
    }

    pub(crate) fn token_requests(&self) -> u64 {
        self.token_requests.get()
    }

    pub(crate) fn token_request_failures(&self) -> u64 {
        self.token_request_failures.get()
    }

    pub(crate) fn retries(&self) -> u64 {
        self.retries.get()
    }

    pub(crate) fn not_retried_count(&self) -> u64 {
        self.not_retried.get()
    }

    /// Adds the counters to `registry` (the client passes one prefixed
    /// `service_client`). The registry holds clones that share the values.
    pub(crate) fn register(&self, registry: &mut Registry) {
        registry.register("token_requests", "Token requests sent to the auth server", self.token_requests.clone());
        registry.register(
            "token_request_failures",
            "Token requests that brought no token",
            self.token_request_failures.clone(),
        );
        registry.register(
            "retries",
            "Requests sent again with a new token after a 401 invalid_token",
            self.retries.clone(),
        );
        registry.register(
            "not_retried",
            "401 invalid_token answers returned as they were because the request body could not be sent twice",
            self.not_retried.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;

    #[test]
    fn renders_openmetrics_text() {
        let metrics = ClientMetrics::default();
        metrics.token_request(true);
        metrics.token_request(false);
        metrics.retry();
        let mut registry = Registry::with_prefix("service_client");
        metrics.register(&mut registry);
        let mut out = String::new();
        encode(&mut out, &registry).unwrap();
        assert!(out.contains("service_client_token_requests_total 2\n"), "{out}");
        assert!(out.contains("service_client_token_request_failures_total 1\n"), "{out}");
        assert!(out.contains("service_client_retries_total 1\n"), "{out}");
        assert!(out.contains("service_client_not_retried_total 0\n"), "{out}");
        crate::test_support::exposition::check(&out).unwrap();
    }
}
