//! Configuring a [`Verifier`]: one builder, three ways to finish it (local against the
//! auth server, local with injected keys, introspection).

use std::sync::Arc;
use std::time::Duration;

use shared_claims::ClaimValidator;

use super::backoff::Backoff;
use super::discovery::{metadata_url, InvalidAuthUrl};
use super::introspection_verifier::{spawn_discovery, IntrospectionConfig, IntrospectionVerifier};
use super::jwks::{spawn_refresher, JwksCache, RefreshPolicy};
use super::local_verifier::LocalVerifier;
use super::token_cache::TokenCache;
use super::verifier::{Inner, Mode};
use super::{
    http, ClientCredentials, HttpKeySource, KeySet, KeySource, NeverRevoked, RevocationCheck, Verifier, VerifierMetrics,
};

/// Why a verifier could not be built. Start-up errors, not request errors.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("a Tokio runtime is needed to run the verifier's background tasks")]
    NoRuntime,
    #[error(transparent)]
    AuthUrl(#[from] InvalidAuthUrl),
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    #[error("introspection needs the resource server's client id and secret")]
    MissingCredentials,
}

/// Settings shared by every mode, with defaults fit for short-lived access tokens.
#[derive(Clone)]
pub struct VerifierBuilder {
    audience: String,
    leeway_secs: i64,
    max_token_bytes: usize,
    cache_capacity: usize,
    revocation: Arc<dyn RevocationCheck>,
    refresh: RefreshPolicy,
    introspection_cache_ttl: Duration,
    http_timeout: Duration,
}

impl VerifierBuilder {
    /// Tokens longer than this are refused before any parsing (RFC 8725 §3.1 spirit:
    /// bound the work an attacker can cause). Ours are well under 2 KiB.
    pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;
    pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;
    pub const DEFAULT_INTROSPECTION_CACHE_TTL: Duration = Duration::from_secs(60);

    pub(crate) fn new(audience: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            leeway_secs: ClaimValidator::DEFAULT_LEEWAY_SECS,
            max_token_bytes: Self::DEFAULT_MAX_TOKEN_BYTES,
            cache_capacity: Self::DEFAULT_CACHE_CAPACITY,
            revocation: Arc::new(NeverRevoked),
            refresh: RefreshPolicy::default(),
            introspection_cache_ttl: Self::DEFAULT_INTROSPECTION_CACHE_TTL,
            http_timeout: Duration::from_secs(5),
        }
    }

    /// Clock skew allowed on `exp`, `nbf` and `iat`, seconds.
    pub fn leeway_secs(mut self, seconds: i64) -> Self {
        self.leeway_secs = seconds.max(0);
        self
    }

    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// Verified tokens remembered (at most); 0 disables the cache.
    pub fn token_cache_capacity(mut self, entries: usize) -> Self {
        self.cache_capacity = entries;
        self
    }

    /// The revocation view consulted on every request.
    pub fn revocation(mut self, check: Arc<dyn RevocationCheck>) -> Self {
        self.revocation = check;
        self
    }

    /// Key set refresh rules (local mode).
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.refresh = policy;
        self
    }

    /// Longest time an introspection answer is reused (never past the token's `exp`).
    pub fn introspection_cache_ttl(mut self, ttl: Duration) -> Self {
        self.introspection_cache_ttl = ttl;
        self
    }

    /// Timeout of each call to the auth server.
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// Local mode against the auth server at `auth_url` (RFC 8414 discovery, then its
    /// JWKS). Returns at once; the keys are fetched in the background, retried with
    /// backoff, and [`Verifier::is_ready`] turns true when they arrive. Call within a
    /// Tokio runtime.
    pub fn local(self, auth_url: &str) -> Result<Verifier, BuildError> {
        let client = http::client(self.http_timeout).map_err(|e| BuildError::HttpClient(e.to_string()))?;
        let source = HttpKeySource::new(client, metadata_url(auth_url)?);
        self.local_with_source(Arc::new(source))
    }

    /// Local mode with keys from any [`KeySource`], refreshed in the background like
    /// the auth server's. Call within a Tokio runtime.
    pub fn local_with_source(self, source: Arc<dyn KeySource>) -> Result<Verifier, BuildError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        let (verifier, jwks) = self.build_local(source);
        spawn_refresher(&jwks, &runtime);
        Ok(verifier)
    }

    /// Local mode with a fixed key set, ready at once, no background task: pinned keys,
    /// embedded use, tests. Tokens naming another `kid` are refused.
    pub fn local_with_keys(self, issuer: impl Into<String>, keys: KeySet) -> Verifier {
        let issuer = issuer.into();
        let source = Arc::new(super::StaticKeySource::new(issuer.clone(), keys.clone()));
        let (verifier, jwks) = self.build_local(source);
        jwks.install(issuer, keys);
        verifier
    }

    fn build_local(self, source: Arc<dyn KeySource>) -> (Verifier, Arc<JwksCache>) {
        let metrics = Arc::new(VerifierMetrics::default());
        let jwks = Arc::new(JwksCache::new(
            source,
            self.audience.clone(),
            self.leeway_secs,
            self.refresh.clone(),
            metrics.clone(),
        ));
        let local = LocalVerifier::new(jwks.clone(), TokenCache::new(self.cache_capacity));
        (self.finish(Mode::Local(local), metrics), jwks)
    }

    /// Introspection mode (RFC 7662) against the auth server at `auth_url`,
    /// authenticating as `credentials`. Returns at once; discovery is retried in the
    /// background until it succeeds. Call within a Tokio runtime.
    pub fn introspect(self, auth_url: &str, credentials: ClientCredentials) -> Result<Verifier, BuildError> {
        if credentials.client_id.is_empty() || credentials.client_secret.is_empty() {
            return Err(BuildError::MissingCredentials);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        let client = http::client(self.http_timeout).map_err(|e| BuildError::HttpClient(e.to_string()))?;
        let metrics = Arc::new(VerifierMetrics::default());
        let remote = Arc::new(IntrospectionVerifier::new(IntrospectionConfig {
            client,
            metadata_url: metadata_url(auth_url)?,
            credentials,
            audience: self.audience.clone(),
            leeway_secs: self.leeway_secs,
            max_cache_ttl: self.introspection_cache_ttl,
            cache: TokenCache::new(self.cache_capacity),
            metrics: metrics.clone(),
        }));
        spawn_discovery(&remote, &runtime, Backoff::new(self.refresh.retry_initial, self.refresh.retry_max));
        Ok(self.finish(Mode::Introspection(remote), metrics))
    }

    fn finish(self, mode: Mode, metrics: Arc<VerifierMetrics>) -> Verifier {
        Verifier::from_inner(Inner {
            mode,
            audience: self.audience,
            max_token_bytes: self.max_token_bytes,
            revocation: self.revocation,
            metrics,
        })
    }
}
