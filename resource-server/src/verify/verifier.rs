//! The one entry point a service calls: [`Verifier::verify`]. Framework-free; the
//! actix-web glue in [`crate::actix`] is a thin layer over it.
//!
//! ```text
//! Verifier::verify(token)
//!   ├─ length > max_token_bytes → TooLarge         (before any parsing or crypto)
//!   ├─ LocalVerifier | IntrospectionVerifier       (each with its verified-token cache)
//!   ├─ RevocationCheck::check                      (every time, cache hits included)
//!   └─ VerifierMetrics                             (accepted / refused by reason)
//! ```

use std::sync::Arc;

use shared_claims::{unix_now, AccessClaims};

use super::introspection_verifier::IntrospectionVerifier;
use super::local_verifier::LocalVerifier;
use super::{Revocation, RevocationCheck, VerifierMetrics, VerifyError};

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
        let (claims, from_cache) = match &self.inner.mode {
            Mode::Local(local) => local.verify(token, now).await?,
            Mode::Introspection(remote) => remote.verify(token, now).await?,
        };
        match self.inner.revocation.check(&claims) {
            Revocation::NotRevoked => Ok((claims, from_cache)),
            Revocation::Revoked => Err(VerifyError::Revoked),
            Revocation::Unknown => Err(VerifyError::Unavailable("the revocation view is stale")),
        }
    }

    /// Ready to judge tokens: the key set is held (local) or the auth server's
    /// metadata is known (introspection). Serve `/readyz` from this.
    pub fn is_ready(&self) -> bool {
        match &self.inner.mode {
            Mode::Local(local) => local.is_ready(),
            Mode::Introspection(remote) => remote.is_ready(),
        }
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
