//! The revocation feed's figures for `/metrics`: whether it is connected and trusted,
//! how much it delivered, how long it has been silent. Written by the follower task
//! (relaxed atomics), read when the service's registry is encoded.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;

#[derive(Debug, Default)]
pub(crate) struct FeedMetrics {
    /// A feed is followed: register the figures below.
    enabled: AtomicBool,
    connected: Gauge,
    live: Gauge,
    events_applied: Counter,
    events_skipped: Counter,
    reconnects: Counter,
    revocations: Gauge,
    last_contact: LastContact,
}

impl FeedMetrics {
    pub(crate) fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.set(i64::from(connected));
    }

    pub(crate) fn set_live(&self, live: bool) {
        self.live.set(i64::from(live));
    }

    pub(crate) fn event_applied(&self) {
        self.events_applied.inc();
    }

    pub(crate) fn event_skipped(&self) {
        self.events_skipped.inc();
    }

    pub(crate) fn reconnect(&self) {
        self.reconnects.inc();
    }

    pub(crate) fn set_revocations(&self, count: usize) {
        self.revocations.set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    pub(crate) fn contact(&self) {
        self.last_contact.unix_ms.store(unix_millis(), Ordering::Relaxed);
    }

    pub(crate) fn events_applied(&self) -> u64 {
        self.events_applied.get()
    }

    pub(crate) fn reconnects(&self) -> u64 {
        self.reconnects.get()
    }

    /// Adds the figures to `registry` when a feed is followed; nothing otherwise.
    pub(crate) fn register(&self, registry: &mut Registry) {
        if !self.enabled.load(Ordering::Relaxed) {
            return;
        }
        registry.register(
            "revocation_feed_connected",
            "Whether the revocation feed stream is open",
            self.connected.clone(),
        );
        registry.register(
            "revocation_feed_live",
            "Whether the revocation view is trusted (synchronised, heard from within the staleness bound)",
            self.live.clone(),
        );
        registry.register("revocation_feed_events", "Revocation feed events applied", self.events_applied.clone());
        registry.register(
            "revocation_feed_skipped",
            "Revocation feed events skipped as unreadable",
            self.events_skipped.clone(),
        );
        registry.register("revocation_feed_reconnects", "Revocation feed reconnections", self.reconnects.clone());
        registry.register("revocations_in_force", "Revocations held in the local view", self.revocations.clone());
        registry.register_collector(Box::new(self.last_contact.clone()));
    }
}

/// When the feed was last heard from, shared with the registry, which turns it into
/// seconds since then at each scrape.
#[derive(Clone, Debug, Default)]
struct LastContact {
    /// Unix milliseconds of the last bytes received; 0: never.
    unix_ms: Arc<AtomicU64>,
}

impl Collector for LastContact {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let since = match self.unix_ms.load(Ordering::Relaxed) {
            0 => f64::INFINITY,
            at => unix_millis().saturating_sub(at) as f64 / 1000.0,
        };
        let gauge = ConstGauge::new(since);
        let metric = encoder.encode_descriptor(
            "revocation_feed_seconds_since_contact",
            "Seconds since the revocation feed was last heard from (keepalives count); infinite before first contact.",
            None,
            gauge.metric_type(),
        )?;
        gauge.encode(metric)
    }
}

fn unix_millis() -> u64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;

    fn render(metrics: &FeedMetrics) -> String {
        let mut registry = Registry::with_prefix("rs");
        metrics.register(&mut registry);
        let mut out = String::new();
        encode(&mut out, &registry).unwrap();
        out
    }

    #[test]
    fn registers_only_when_a_feed_is_followed() {
        let metrics = FeedMetrics::default();
        assert_eq!(render(&metrics), "# EOF\n");
        metrics.enable();
        let out = render(&metrics);
        assert!(out.contains("rs_revocation_feed_seconds_since_contact inf\n"), "{out}");
        crate::test_support::exposition::check(&out).unwrap();
        metrics.set_connected(true);
        metrics.event_applied();
        metrics.set_revocations(3);
        metrics.contact();
        let out = render(&metrics);
        assert!(out.contains("# TYPE rs_revocation_feed_connected gauge\nrs_revocation_feed_connected 1\n"), "{out}");
        assert!(out.contains("rs_revocation_feed_events_total 1\n"));
        assert!(out.contains("rs_revocations_in_force 3\n"));
        assert!(!out.contains("inf\n"), "{out}");
        crate::test_support::exposition::check(&out).unwrap();
    }
}
