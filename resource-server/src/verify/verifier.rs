//! The one entry point a service calls: [`Verifier::verify`]. Framework-free; the
//! actix-web glue in `resource_server::actix` (feature `actix`) is a thin layer over it.
//!
//! ```text
//! Verifier::verify(token)
//!   ├─ length > max_token_bytes → TooLarge         (before any parsing or crypto)
//!   ├─ LocalVerifier | IntrospectionVerifier       (each with its verified-token cache)
//!   ├─ RevocationCheck::key_revoked(kid)           (every time: emergency key revocation)
//!   ├─ RevocationCheck::check                      (every time, cache hits included)
//!   └─ VerifierMetrics                             (accepted / refused by reason)
//! ```

use std::sync::{Arc, Weak};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use shared_claims::{unix_now, AccessClaims};

use super::feed::{BackgroundTasks, Feed};
use super::introspection_verifier::IntrospectionVerifier;
use super::local_verifier::LocalVerifier;
use super::token_cache::CachedToken;
use super::{RevocationCheck, RevocationStatus, VerifierMetrics, VerifyError};

/// Checks bearer access tokens for one audience. Cheap to clone (one `Arc`); share one
/// per process so that its caches and key set are shared.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub mode: Mode,
    pub audience: String,
    pub max_token_bytes: usize,
    pub revocation: Arc<dyn RevocationCheck>,
    pub metrics: Arc<VerifierMetrics>,
    /// The revocation feed followed, if any (its view is also behind `revocation`).
    pub feed: Option<Arc<Feed>>,
    /// Held for its `Drop`: the feed's tasks stop with the last clone of the verifier.
    pub _tasks: BackgroundTasks,
}

pub(crate) enum Mode {
    Local(LocalVerifier),
    Introspection(Arc<IntrospectionVerifier>),
}

/// Which kind of verification a [`Verifier`] performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    /// RS256 signatures against the auth server's JWKS.
    Local,
    /// RFC 7662 introspection calls.
    Introspect,
}

impl Verifier {
    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self { inner: Arc::new(inner) }
    }

    /// Starts configuring a verifier that accepts tokens whose `aud` holds `audience`.
    pub fn builder(audience: impl Into<String>) -> super::VerifierBuilder {
        super::VerifierBuilder::new(audience)
    }

    /// Verifies a bearer token (the bare token, without the `Bearer ` prefix) and
    /// returns its claims. Never logs the token.
    pub async fn verify(&self, token: &str) -> Result<Arc<AccessClaims>, VerifyError> {
        let result = self.verify_uncounted(token).await;
        match &result {
            Ok((_, from_cache)) => self.inner.metrics.accepted(*from_cache),
            Err(err) => self.inner.metrics.refused(err),
        }
        result.map(|(claims, _)| claims)
    }

    async fn verify_uncounted(&self, token: &str) -> Result<(Arc<AccessClaims>, bool), VerifyError> {
        if token.len() > self.inner.max_token_bytes {
            return Err(VerifyError::TooLarge);
        }
        let now = unix_now();
        let (CachedToken { claims, kid, .. }, from_cache) = match &self.inner.mode {
            Mode::Local(local) => local.verify(token, now).await?,
            Mode::Introspection(remote) => remote.verify(token, now).await?,
        };
        let revocation = &self.inner.revocation;
        if kid.as_deref().is_some_and(|kid| revocation.key_revoked(kid)) {
            return Err(VerifyError::Revoked);
        }
        match revocation.check(&claims) {
            RevocationStatus::NotRevoked => Ok((claims, from_cache)),
            RevocationStatus::Revoked => Err(VerifyError::Revoked),
            RevocationStatus::Unknown => Err(VerifyError::Unavailable("the revocation view is stale")),
        }
    }

    /// Ready to judge tokens: local mode holds the key set and, when it follows a
    /// revocation feed, that feed is live; introspection mode knows the auth server's
    /// metadata (a stale feed only turns its cache off). Serve `/readyz` from this.
    pub fn is_ready(&self) -> bool {
        self.not_ready_reason().is_none()
    }

    /// Why the verifier is not ready, for `/readyz` and logs; `None` when it is.
    pub fn not_ready_reason(&self) -> Option<&'static str> {
        match &self.inner.mode {
            Mode::Local(local) if !local.is_ready() => Some("the signing keys are not available yet"),
            Mode::Local(_) => self.inner.feed.as_ref().and_then(|feed| feed.not_ready_reason()),
            Mode::Introspection(remote) if !remote.is_ready() => {
                Some("the authorization server has not been discovered yet")
            }
            Mode::Introspection(_) => None,
        }
    }

    /// Whether the revocation view from the auth server's feed is trusted now
    /// (synchronised and heard from within the staleness bound); `None` when this
    /// verifier follows no feed.
    pub fn revocation_feed_live(&self) -> Option<bool> {
        self.inner.feed.as_ref().map(|feed| feed.is_live())
    }

    pub fn mode(&self) -> VerifyMode {
        match &self.inner.mode {
            Mode::Local(_) => VerifyMode::Local,
            Mode::Introspection(_) => VerifyMode::Introspect,
        }
    }

    /// The `aud` value this verifier accepts.
    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    pub fn metrics(&self) -> &VerifierMetrics {
        &self.inner.metrics
    }

    /// Adds this verifier's metrics (names prefixed `rs_`: tokens accepted and refused
    /// by reason, key set fetches, introspection calls, the revocation feed's health,
    /// and `rs_ready`) to a registry the service owns and encodes on its `/metrics`.
    /// The registry shares the live values; it does not keep the verifier's background
    /// tasks running once the last clone of the verifier is gone.
    pub fn register_metrics(&self, registry: &mut Registry) {
        let registry = registry.sub_registry_with_prefix("rs");
        registry.register_collector(Box::new(Readiness(Arc::downgrade(&self.inner))));
        self.inner.metrics.register(registry);
    }
}

/// `rs_ready`, worked out at each scrape from the verifier (a dropped one is not ready).
struct Readiness(Weak<Inner>);

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Readiness")
    }
}

impl Collector for Readiness {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let ready = self.0.upgrade().is_some_and(|inner| Verifier { inner }.is_ready());
        let gauge = ConstGauge::new(i64::from(ready));
        let metric =
            encoder.encode_descriptor("ready", "Whether the server can verify tokens.", None, gauge.metric_type())?;
        gauge.encode(metric)
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("mode", &self.mode())
            .field("audience", &self.inner.audience)
            .field("ready", &self.is_ready())
            .finish_non_exhaustive()
    }
}
