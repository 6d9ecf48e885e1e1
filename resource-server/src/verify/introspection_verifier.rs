//! Introspection mode: the auth server judges every token (RFC 7662), and its answers
//! are cached briefly and shared between concurrent requests.
//!
//! ```text
//! IntrospectionVerifier::verify
//!   ├─ cache_usable()          following the revocation feed and it is stale? skip the
//!   │                          cache: only the auth server can vouch for the token now
//!   ├─ TokenCache::get         answered before, within min(exp, max_cache_ttl) → done
//!   ├─ precheck_jws            a JWS? alg RS256, no crit, typ at+jwt, or refused here,
//!   │                          without a call (RFC 8725 §3.1, §3.11); opaque: go on
//!   ├─ inactive.get            called inactive less than 10 s ago → 401 at once
//!   ├─ target()                metadata discovered? (spawn_discovery keeps trying) else 503
//!   ├─ join_inflight(token)    one OnceCell per token being introspected: coalescing
//!   │    └─ call (only one)    a permit of `calls` (none free → 503 + Retry-After:
//!   │                          outbound calls are bounded, never queued without end)
//!   │                          → introspect() → into_claims() → ClaimValidator::validate
//!   │                          → TokenCache::insert (inactive → inactive.insert)
//!   └─ InflightGuard::drop     forget the in-flight entry
//! ```
//!
//! A cached answer never outlives a revocation of its token: the verifier consults
//! the feed's view on every hit (by `jti`, `sid`, `sub`, and the `kid` read from the
//! token's JOSE header when it is a JWS), so a revoked token is refused at once rather
//! than after the cache TTL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::Duration;

use reqwest::{Client, Url};
use shared_claims::{ClaimValidator, ACCESS_TOKEN_TYP};
use tokio::sync::{OnceCell, Semaphore};

use super::backoff::Backoff;
use super::discovery::discover;
use super::feed::Feed;
use super::introspection::{introspect, Introspected};
use super::jose_header::precheck_jws;
use super::token_cache::{CachedToken, InactiveUntil, TokenCache};
use super::{AuthServerUrls, ClientCredentials, VerifierMetrics, VerifyError};

/// How long an inactive answer is reused. Short: a token is not expected to turn
/// active, but the answer may have been wrong (an auth server restarting).
const INACTIVE_TTL_SECS: i64 = 10;
/// Inactive answers remembered at most (exact tokens, each at most the verifier's
/// token size limit).
const INACTIVE_CACHE_CAPACITY: usize = 2048;

type Outcome = Result<CachedToken, VerifyError>;
type InflightMap = Mutex<HashMap<Box<str>, Arc<OnceCell<Outcome>>>>;

/// The discovered issuer and endpoint.
struct Target {
    validator: ClaimValidator,
    endpoint: Url,
}

pub(crate) struct IntrospectionVerifier {
    client: Client,
    urls: AuthServerUrls,
    credentials: ClientCredentials,
    audience: String,
    leeway_secs: i64,
    max_cache_ttl: Duration,
    target: RwLock<Option<Arc<Target>>>,
    cache: TokenCache,
    /// Tokens the auth server called inactive, for [`INACTIVE_TTL_SECS`].
    inactive: TokenCache<InactiveUntil>,
    inflight: InflightMap,
    /// Introspection calls in flight at once, at most.
    calls: Semaphore,
    metrics: Arc<VerifierMetrics>,
    feed: Option<Arc<Feed>>,
}

pub(crate) struct IntrospectionConfig {
    pub client: Client,
    pub urls: AuthServerUrls,
    pub credentials: ClientCredentials,
    pub audience: String,
    pub leeway_secs: i64,
    pub max_cache_ttl: Duration,
    pub cache: TokenCache,
    /// Introspection calls in flight at once; a request finding none free gets 503.
    pub max_concurrent_calls: usize,
    pub metrics: Arc<VerifierMetrics>,
    /// The revocation feed followed, if any: while it is stale the cache is bypassed.
    pub feed: Option<Arc<Feed>>,
}

impl IntrospectionVerifier {
    pub(crate) fn new(config: IntrospectionConfig) -> Self {
        Self {
            client: config.client,
            urls: config.urls,
            credentials: config.credentials,
            audience: config.audience,
            leeway_secs: config.leeway_secs,
            max_cache_ttl: config.max_cache_ttl,
            target: RwLock::new(None),
            cache: config.cache,
            inactive: TokenCache::new(INACTIVE_CACHE_CAPACITY),
            inflight: Mutex::new(HashMap::new()),
            calls: Semaphore::new(config.max_concurrent_calls.min(Semaphore::MAX_PERMITS)),
            metrics: config.metrics,
            feed: config.feed,
        }
    }

    /// Cached answers are trusted only while a revocation would reach them: always
    /// without a feed (the TTL is the bound, as before), and with one while it is live.
    /// An auth server announcing no feed leaves the TTL as the only bound.
    fn cache_usable(&self) -> bool {
        self.feed.as_ref().is_none_or(|feed| feed.is_live() || feed.health.is_absent())
    }

    fn cached(&self, token: &str, now: i64) -> Option<CachedToken> {
        if self.cache_usable() {
            self.cache.get(token, now)
        } else {
            None
        }
    }

    pub(crate) fn is_ready(&self) -> bool {
        self.target().is_some()
    }

    fn target(&self) -> Option<Arc<Target>> {
        self.target.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Discovers the issuer and the introspection endpoint once.
    async fn discover(&self) -> Result<(), super::FetchError> {
        let metadata = discover(&self.client, &self.urls).await?;
        let endpoint = self.urls.endpoint(
            metadata.introspection_endpoint.as_deref(),
            "introspection_endpoint",
            &metadata.issuer,
        )?;
        let validator = ClaimValidator::new(metadata.issuer, self.audience.clone()).with_leeway(self.leeway_secs);
        *self.target.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(Target { validator, endpoint }));
        Ok(())
    }

    /// Returns what the auth server vouched for and whether it came from the cache.
    pub(crate) async fn verify(&self, token: &str, now: i64) -> Result<(CachedToken, bool), VerifyError> {
        if let Some(hit) = self.cached(token, now) {
            return Ok((hit, true));
        }
        // What local mode would refuse from the header alone costs no call.
        let kid = precheck_jws(token)?;
        if self.inactive.get(token, now).is_some() {
            return Err(VerifyError::Inactive);
        }
        let target =
            self.target().ok_or(VerifyError::Unavailable("the authorization server has not been discovered yet"))?;
        let guard = self.join_inflight(token);
        let outcome = guard.cell.get_or_init(|| self.call(&target, token, kid, now)).await.clone();
        drop(guard);
        outcome.map(|entry| (entry, false))
    }

    fn join_inflight<'a>(&'a self, token: &'a str) -> InflightGuard<'a> {
        let mut map = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
        let cell = map.entry(token.into()).or_default().clone();
        InflightGuard { map: &self.inflight, token, cell }
    }

    /// The one call made for a token, however many requests wait for it.
    async fn call(&self, target: &Target, token: &str, kid: Option<String>, now: i64) -> Outcome {
        if let Some(hit) = self.cached(token, now) {
            return Ok(hit); // answered between our cache miss and joining
        }
        if self.inactive.get(token, now).is_some() {
            return Err(VerifyError::Inactive);
        }
        // Bounded, never queued: a flood of distinct tokens gets 503 (Retry-After)
        // rather than an unbounded number of calls, or of requests waiting for one.
        let Ok(_permit) = self.calls.try_acquire() else {
            tracing::debug!("introspection refused: every call slot is busy");
            return Err(VerifyError::Unavailable("too many token introspections in progress"));
        };
        let answer = introspect(&self.client, &target.endpoint, &self.credentials, token).await;
        self.metrics.introspection_call(answer.is_ok());
        let response = match answer {
            Ok(Introspected::Active(response)) => response,
            Ok(Introspected::Inactive) => {
                self.inactive.insert(token, InactiveUntil(now.saturating_add(INACTIVE_TTL_SECS)), now);
                return Err(VerifyError::Inactive);
            }
            Err(err) => {
                tracing::warn!(error = %err, "token introspection failed");
                return Err(VerifyError::Unavailable("the authorization server cannot be reached"));
            }
        };
        let claims = response.into_claims()?;
        // The token type is vouched for by the answer itself (checked in into_claims).
        target.validator.validate(Some(ACCESS_TOKEN_TYP), &claims, now)?;
        let ttl = i64::try_from(self.max_cache_ttl.as_secs()).unwrap_or(i64::MAX);
        let expires_at = claims.exp.min(now.saturating_add(ttl));
        // The `kid` of a JWS, so that an emergency key revocation reaches cached
        // answers too; `None` for opaque tokens.
        let entry = CachedToken { claims: Arc::new(claims), kid: kid.map(Into::into), expires_at };
        self.cache.insert(token, entry.clone(), now);
        Ok(entry)
    }
}

/// Membership of one request in the in-flight call for its token. Dropping it (also
/// when the request is cancelled) removes the entry once the call is over or nobody
/// else waits, so the map never keeps finished or orphaned calls.
struct InflightGuard<'a> {
    map: &'a InflightMap,
    token: &'a str,
    cell: Arc<OnceCell<Outcome>>,
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let ours = map.get(self.token).is_some_and(|cell| Arc::ptr_eq(cell, &self.cell));
        // strong count: the map's reference, ours, and any other waiter's.
        if ours && (self.cell.initialized() || Arc::strong_count(&self.cell) <= 2) {
            map.remove(self.token);
        }
    }
}

/// Retries discovery in the background, with backoff, until it succeeds.
pub(crate) fn spawn_discovery(verifier: &Arc<IntrospectionVerifier>, runtime: &tokio::runtime::Handle, retry: Backoff) {
    let weak: Weak<IntrospectionVerifier> = Arc::downgrade(verifier);
    let mut backoff = retry;
    runtime.spawn(async move {
        loop {
            let Some(verifier) = weak.upgrade() else { return };
            match verifier.discover().await {
                Ok(()) => {
                    tracing::info!("authorization server metadata discovered");
                    return;
                }
                Err(err) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %err, retry_in = ?delay, "cannot discover the authorization server");
                    drop(verifier);
                    tokio::time::sleep(delay).await;
                }
            }
        }
    });
}
