//! The revocation feed's figures for `/metrics`: whether it is connected and trusted,
//! how much it delivered, how long it has been silent. Relaxed atomics, written by the
//! follower task, read when `/metrics` is rendered.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::verify::metrics::{counter, gauge};

#[derive(Debug, Default)]
pub(crate) struct FeedMetrics {
    /// A feed is followed: render the figures below.
    enabled: AtomicBool,
    connected: AtomicBool,
    live: AtomicBool,
    events_applied: AtomicU64,
    events_skipped: AtomicU64,
    reconnects: AtomicU64,
    revocations: AtomicU64,
    /// Unix milliseconds of the last bytes received; 0: never.
    last_contact_ms: AtomicU64,
}

impl FeedMetrics {
    pub(crate) fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
    }

    pub(crate) fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::Relaxed);
    }

    pub(crate) fn event_applied(&self) {
        self.events_applied.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn event_skipped(&self) {
        self.events_skipped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reconnect(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_revocations(&self, count: usize) {
        self.revocations.store(u64::try_from(count).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub(crate) fn contact(&self) {
        self.last_contact_ms.store(unix_millis(), Ordering::Relaxed);
    }

    pub(crate) fn events_applied(&self) -> u64 {
        self.events_applied.load(Ordering::Relaxed)
    }

    pub(crate) fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    pub(crate) fn render(&self, out: &mut String) {
        if !self.enabled.load(Ordering::Relaxed) {
            return;
        }
        let flag = |value: &AtomicBool| u8::from(value.load(Ordering::Relaxed));
        let load = |value: &AtomicU64| value.load(Ordering::Relaxed);
        gauge(
            out,
            "rs_revocation_feed_connected",
            "Whether the revocation feed stream is open.",
            flag(&self.connected),
        );
        gauge(
            out,
            "rs_revocation_feed_live",
            "Whether the revocation view is trusted (synchronised, heard from within the staleness bound).",
            flag(&self.live),
        );
        counter(out, "rs_revocation_feed_events_total", "Revocation feed events applied.", load(&self.events_applied));
        counter(
            out,
            "rs_revocation_feed_skipped_total",
            "Revocation feed events skipped as unreadable.",
            load(&self.events_skipped),
        );
        counter(out, "rs_revocation_feed_reconnects_total", "Revocation feed reconnections.", load(&self.reconnects));
        gauge(out, "rs_revocations_in_force", "Revocations held in the local view.", load(&self.revocations));
        let since = match load(&self.last_contact_ms) {
            0 => "+Inf".to_owned(),
            at => format!("{:.3}", unix_millis().saturating_sub(at) as f64 / 1000.0),
        };
        gauge(
            out,
            "rs_revocation_feed_seconds_since_contact",
            "Seconds since the revocation feed was last heard from (keepalives count).",
            since,
        );
    }
}

fn unix_millis() -> u64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_only_when_a_feed_is_followed() {
        let metrics = FeedMetrics::default();
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(out.is_empty());
        metrics.enable();
        metrics.render(&mut out);
        assert!(out.contains("rs_revocation_feed_seconds_since_contact +Inf\n"), "{out}");
        metrics.set_connected(true);
        metrics.event_applied();
        metrics.set_revocations(3);
        metrics.contact();
        out.clear();
        metrics.render(&mut out);
        assert!(out.contains("# TYPE rs_revocation_feed_connected gauge\nrs_revocation_feed_connected 1\n"));
        assert!(out.contains("rs_revocation_feed_events_total 1\n"));
        assert!(out.contains("rs_revocations_in_force 3\n"));
        assert!(!out.contains("+Inf"));
    }
}
