//! Following the auth server's revocation feed, so that a revocation (RFC 7009, a
//! logout, a password change, an emergency key revocation) reaches this resource
//! server without a call to the auth server per request.
//!
//! ```text
//! follower::follow (background task)
//!   ├─ discover            RFC 8414 metadata → revocation_feed_endpoint
//!   │                      (absent: logged as an error, rechecked every minute)
//!   ├─ connect             GET, Basic client auth, Accept: text/event-stream,
//!   │                      Last-Event-ID: <cursor> once we have one
//!   ├─ read chunks         SseParser::push → apply::apply_event → RevocationList
//!   │                      FeedHealth::contact (any bytes, keepalives included)
//!   │                      unreadable event → FeedHealth::mark_unsynced, no cursor,
//!   │                      reconnect for a fresh snapshot
//!   └─ dropped / idle      reconnect after Backoff (200 ms … 5 s, jittered)
//! watchdog (background task, every ~max_staleness/4, ≤ 1 s)
//!   └─ RevocationList::prune, gauges, Feed::observe → one log line per transition
//! request path
//!   FeedRevocations::check   stale + WhenStale::Refuse → Unknown (503), else the list
//!   FeedRevocations::key_revoked                       the list, whatever the freshness
//! ```
//!
//! What "stale" means is [`health::FeedHealth`]: no snapshot applied yet, nothing
//! heard for longer than `RS_REVOCATION_MAX_STALENESS`, or an event that may have lost
//! a revocation (an unreadable notice or snapshot) since the last complete snapshot:
//! the follower then drops the connection and its cursor, and reconnects for a fresh
//! snapshot. Local mode then refuses
//! tokens with 503 `temporarily_unavailable` and reports not ready, rather than accept
//! tokens that may have been revoked; introspection mode stops using its cache instead
//! (the auth server answers every request). An auth server that announces no feed
//! leaves local mode not ready: revocations cannot be guaranteed without it.

mod apply;
mod follower;
mod health;
mod metrics;
mod sse;

#[cfg(feature = "fuzzing")]
pub(crate) use sse::{SseEvent, SseParser};

use std::sync::Arc;
use std::time::{Duration, Instant};

use shared_claims::{unix_now, AccessClaims};
use tokio::task::JoinHandle;

pub(crate) use follower::{spawn_follower, FollowerConfig};
pub(crate) use metrics::FeedMetrics;

use self::health::{FeedHealth, Transition};
use super::{RevocationCheck, RevocationList, RevocationStatus, VerifierMetrics};

/// What the verifier does while the view is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenStale {
    /// Local mode: answer [`RevocationStatus::Unknown`] (503) for every token.
    Refuse,
    /// Introspection mode: bypass the introspection cache; the auth server judges
    /// every token, and the list still refuses what it knows to be revoked.
    Introspect,
}

/// The view kept from the feed, shared by the follower, the watchdog and the
/// request path.
pub(crate) struct Feed {
    pub list: RevocationList,
    pub health: FeedHealth,
    pub metrics: Arc<VerifierMetrics>,
    pub when_stale: WhenStale,
}

impl Feed {
    /// `grace_secs`: the verifier's leeway on `exp`, kept past each `expires_at`.
    pub(crate) fn new(
        max_staleness: Duration,
        grace_secs: i64,
        when_stale: WhenStale,
        metrics: Arc<VerifierMetrics>,
    ) -> Self {
        metrics.feed.enable();
        Self {
            list: RevocationList::with_grace(grace_secs),
            health: FeedHealth::new(max_staleness, Instant::now()),
            metrics,
            when_stale,
        }
    }

    /// Whether the revocation view is trusted now.
    pub(crate) fn is_live(&self) -> bool {
        self.health.is_live()
    }

    /// Why local mode is not ready because of the feed, if it is not.
    pub(crate) fn not_ready_reason(&self) -> Option<&'static str> {
        if self.health.is_absent() {
            Some("the authorization server announces no revocation feed, so revocations cannot be guaranteed")
        } else if !self.is_live() {
            Some(
                "the revocation feed is not live (not yet synchronised, resynchronising after an unreadable event, \
                 or silent for longer than the staleness bound)",
            )
        } else {
            None
        }
    }

    /// Compares liveness with what was last reported and logs a change once.
    pub(crate) fn observe(&self, now: Instant) {
        let Some(transition) = self.health.transition(now) else { return };
        let live = transition == Transition::BecameLive;
        self.metrics.feed.set_live(live);
        let max_staleness_secs = self.health.max_staleness().as_secs_f64();
        match (transition, self.when_stale) {
            (Transition::BecameLive, _) => {
                tracing::info!(revocations = self.list.len(), "revocation feed live: the revocation view is trusted")
            }
            (Transition::BecameStale, WhenStale::Refuse) => tracing::warn!(
                max_staleness_secs,
                "revocation feed not live (silent for longer than the staleness bound, or resynchronising \
                 after an unreadable event): tokens are refused with 503 until it is back"
            ),
            (Transition::BecameStale, WhenStale::Introspect) => tracing::warn!(
                max_staleness_secs,
                "revocation feed not live (silent for longer than the staleness bound, or resynchronising \
                 after an unreadable event): every token is introspected, without the cache, until it is back"
            ),
        }
    }

    /// The watchdog's periodic work: forget expired revocations, refresh gauges, log
    /// a transition to stale even when no request and no byte arrives.
    fn tick(&self) {
        self.list.prune(unix_now());
        self.metrics.feed.set_revocations(self.list.len());
        self.observe(Instant::now());
    }
}

/// The [`RevocationCheck`] of a verifier that follows the feed.
pub(crate) struct FeedRevocations(pub Arc<Feed>);

impl RevocationCheck for FeedRevocations {
    fn check(&self, claims: &AccessClaims) -> RevocationStatus {
        let feed = &self.0;
        if feed.when_stale == WhenStale::Refuse && !feed.is_live() {
            return RevocationStatus::Unknown;
        }
        feed.list.check(claims)
    }

    fn key_revoked(&self, kid: &str) -> bool {
        self.0.list.key_revoked(kid)
    }
}

/// Runs [`Feed::tick`] often enough that a transition is seen within a quarter of the
/// staleness bound (at most a second late).
pub(crate) fn spawn_watchdog(feed: &Arc<Feed>, runtime: &tokio::runtime::Handle) -> JoinHandle<()> {
    let period = (feed.health.max_staleness() / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let feed = Arc::downgrade(feed);
    runtime.spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let Some(feed) = feed.upgrade() else { return };
            feed.tick();
        }
    })
}

/// Background tasks that live as long as the verifier: aborted when it is dropped,
/// so a dropped verifier leaves no stream open to the auth server.
#[derive(Default)]
pub(crate) struct BackgroundTasks(Vec<JoinHandle<()>>);

impl BackgroundTasks {
    pub(crate) fn push(&mut self, task: JoinHandle<()>) {
        self.0.push(task);
    }
}

impl Drop for BackgroundTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}
