//! Configuring a [`Verifier`]: one builder, three ways to finish it (local against the
//! auth server, local with injected keys, introspection), and the auth server's
//! revocation feed to follow ([`VerifierBuilder::revocation_feed`]).
//!
//! Local verification against the auth server follows the feed by default: without
//! it a revoked token passes until its `exp`. [`VerifierBuilder::local`] therefore
//! refuses to build ([`BuildError::RevocationFeedNotConfigured`]) unless the feed is
//! configured or explicitly declined with [`VerifierBuilder::without_revocation_feed`].

use std::sync::Arc;
use std::time::Duration;

use shared_claims::ClaimValidator;

use super::auth_server_urls::{AuthServerUrls, InvalidIssuer};
use super::backoff::Backoff;
use super::discovery::InvalidAuthUrl;
use super::feed::{spawn_follower, spawn_watchdog, BackgroundTasks, Feed, FeedRevocations, FollowerConfig, WhenStale};
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
    #[error(transparent)]
    Issuer(#[from] InvalidIssuer),
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    #[error("introspection and the revocation feed need the resource server's client id and secret")]
    MissingCredentials,
    #[error(
        "local verification follows the auth server's revocation feed: call .revocation_feed(credentials, \
         max_staleness) with the resource server's own client (scope `introspect`), or \
         .without_revocation_feed() to accept revoked tokens until they expire"
    )]
    RevocationFeedNotConfigured,
}

/// What to do about revocations in local mode against the auth server.
#[derive(Debug, Clone)]
enum FeedChoice {
    /// Neither configured nor declined: [`VerifierBuilder::local`] refuses to build.
    Unset,
    Follow(FeedSettings),
    /// Declined with [`VerifierBuilder::without_revocation_feed`].
    Declined,
}

/// The revocation feed to follow: who we are, and how long a silent feed is trusted.
#[derive(Debug, Clone)]
struct FeedSettings {
    credentials: ClientCredentials,
    max_staleness: Duration,
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
    introspection_concurrency: usize,
    http_timeout: Duration,
    feed: FeedChoice,
    issuer: Option<String>,
}

impl VerifierBuilder {
    /// Tokens longer than this are refused before any parsing (RFC 8725 §3.1 spirit:
    /// bound the work an attacker can cause). Ours are well under 2 KiB.
    pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;
    pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;
    pub const DEFAULT_INTROSPECTION_CACHE_TTL: Duration = Duration::from_secs(60);
    /// Introspection calls in flight at once (per verifier) by default.
    pub const DEFAULT_INTROSPECTION_CONCURRENCY: usize = 64;
    /// `RS_REVOCATION_MAX_STALENESS`'s default.
    pub const DEFAULT_REVOCATION_MAX_STALENESS: Duration = Duration::from_secs(30);
    /// Longest silence tolerated on an open feed connection before it is reopened:
    /// three of the longest keepalive we ask for (never more than half the staleness
    /// bound).
    const FEED_IDLE_TIMEOUT: Duration = Duration::from_secs(15);
    /// The longest keepalive asked of the auth server: we ask for a third of the
    /// staleness bound, in whole seconds, from the protocol's shortest up to this.
    const FEED_KEEPALIVE_MAX: Duration = Duration::from_secs(5);
    /// Below this, even the shortest keepalive the auth server sends (1 s) leaves too
    /// little margin to keep a quiet feed live.
    pub const MIN_REVOCATION_MAX_STALENESS: Duration = Duration::from_secs(3);
    /// Reconnection backoff of the feed: quick first retries, because the staleness
    /// bound is counting, capped low for the same reason.
    const FEED_RETRY_INITIAL: Duration = Duration::from_millis(200);
    const FEED_RETRY_MAX: Duration = Duration::from_secs(5);

    pub(crate) fn new(audience: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            leeway_secs: ClaimValidator::DEFAULT_LEEWAY_SECS,
            max_token_bytes: Self::DEFAULT_MAX_TOKEN_BYTES,
            cache_capacity: Self::DEFAULT_CACHE_CAPACITY,
            revocation: Arc::new(NeverRevoked),
            refresh: RefreshPolicy::default(),
            introspection_cache_ttl: Self::DEFAULT_INTROSPECTION_CACHE_TTL,
            introspection_concurrency: Self::DEFAULT_INTROSPECTION_CONCURRENCY,
            http_timeout: Duration::from_secs(5),
            feed: FeedChoice::Unset,
            issuer: None,
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

    /// The revocation view consulted on every request, e.g. a
    /// [`RevocationList`](super::RevocationList) applied by hand. Replaced by the
    /// feed's view when [`Self::revocation_feed`] is set.
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

    /// Introspection calls allowed in flight at once. A request whose token would need
    /// one more gets 503 `temporarily_unavailable` with `Retry-After`, rather than
    /// waiting in an unbounded queue: random tokens cannot turn into an unbounded
    /// number of calls to the auth server. Concurrent requests for one token share
    /// one call. At least 1.
    pub fn introspection_concurrency(mut self, calls: usize) -> Self {
        self.introspection_concurrency = calls.max(1);
        self
    }

    /// Follow the auth server's revocation feed (its RFC 8414 metadata announces
    /// `revocation_feed_endpoint`: Server-Sent Events, authenticated as `credentials`,
    /// a client holding the `introspect` scope). Used by [`Self::local`] and
    /// [`Self::introspect`], which know the auth server; the fixed-key and
    /// custom-source variants have none to follow and ignore it.
    ///
    /// `max_staleness` (`RS_REVOCATION_MAX_STALENESS`): once the feed has not been
    /// heard from for longer (or before its first snapshot), the view is not trusted.
    /// Local mode then refuses every token with 503 `temporarily_unavailable` and is
    /// not ready: refusing beats accepting a token that may have been revoked. An
    /// auth server that announces no feed leaves local mode not ready for good.
    /// Introspection mode instead stops using its cache until the feed is back.
    pub fn revocation_feed(mut self, credentials: ClientCredentials, max_staleness: Duration) -> Self {
        self.feed = FeedChoice::Follow(FeedSettings { credentials, max_staleness });
        self
    }

    /// Local mode without the revocation feed. What it costs: a token revoked at the
    /// auth server (RFC 7009 revocation, refresh-token reuse, a password change, an
    /// admin revoking a user, session or signing key) is still accepted here until its
    /// `exp`, up to the access-token lifetime later. Choose it only when that window
    /// is acceptable, or when revocations reach this verifier another way
    /// ([`Self::revocation`]). Replaces an earlier [`Self::revocation_feed`].
    pub fn without_revocation_feed(mut self) -> Self {
        self.feed = FeedChoice::Declined;
        self
    }

    /// The auth server's issuer (`RS_ISSUER`), when this service reaches it on another
    /// URL than the public one in its tokens: behind a gateway, or in a container
    /// network where the public URL does not resolve. The metadata is still fetched
    /// from the URL given to [`Self::local`] or [`Self::introspect`]; it must name
    /// exactly this issuer (RFC 8414 §3.3), or discovery is refused, logged as an error
    /// and retried while the verifier stays not ready. Tokens must carry this `iss`.
    /// Every endpoint the metadata announces under the issuer URL (the key set,
    /// introspection, the revocation feed) is reached on the auth server URL instead
    /// (see [`super::rebase_endpoint`]).
    ///
    /// Without it, the metadata's issuer is taken as it is and its endpoints are used
    /// as announced. The fixed-key and custom-source variants discover nothing and
    /// ignore it.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
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
    ///
    /// The revocation feed is required: configure it with [`Self::revocation_feed`]
    /// (the verifier is then ready only once the feed is live), or decline it with
    /// [`Self::without_revocation_feed`]; with neither, this returns
    /// [`BuildError::RevocationFeedNotConfigured`].
    pub fn local(mut self, auth_url: &str) -> Result<Verifier, BuildError> {
        let choice = std::mem::replace(&mut self.feed, FeedChoice::Unset);
        if matches!(choice, FeedChoice::Unset) {
            return Err(BuildError::RevocationFeedNotConfigured);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        let urls = self.urls(auth_url)?;
        let source = HttpKeySource::new(self.client()?, urls.clone());
        let metrics = Arc::new(VerifierMetrics::default());
        let feed = match choice {
            FeedChoice::Follow(settings) => Some(self.follow(settings, WhenStale::Refuse, urls, &metrics, &runtime)?),
            FeedChoice::Unset | FeedChoice::Declined => {
                tracing::warn!(
                    "local verification without the revocation feed (declined): revoked tokens pass until they expire"
                );
                None
            }
        };
        let (verifier, jwks) = self.build_local(Arc::new(source), metrics, feed);
        spawn_refresher(&jwks, &runtime);
        Ok(verifier)
    }

    /// Local mode with keys from any [`KeySource`], refreshed in the background like
    /// the auth server's. Call within a Tokio runtime. No revocation feed: inject a
    /// view with [`Self::revocation`].
    pub fn local_with_source(self, source: Arc<dyn KeySource>) -> Result<Verifier, BuildError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        let (verifier, jwks) = self.build_local(source, Arc::default(), None);
        spawn_refresher(&jwks, &runtime);
        Ok(verifier)
    }

    /// Local mode with a fixed key set, ready at once, no background task: pinned keys,
    /// embedded use, tests. Tokens naming another `kid` are refused. No revocation
    /// feed: inject a view with [`Self::revocation`].
    pub fn local_with_keys(self, issuer: impl Into<String>, keys: KeySet) -> Verifier {
        let issuer = issuer.into();
        let source = Arc::new(super::StaticKeySource::new(issuer.clone(), keys.clone()));
        let (verifier, jwks) = self.build_local(source, Arc::default(), None);
        jwks.install(issuer, keys);
        verifier
    }

    fn build_local(
        self,
        source: Arc<dyn KeySource>,
        metrics: Arc<VerifierMetrics>,
        feed: Option<FollowedFeed>,
    ) -> (Verifier, Arc<JwksCache>) {
        let jwks = Arc::new(JwksCache::new(
            source,
            self.audience.clone(),
            self.leeway_secs,
            self.refresh.clone(),
            metrics.clone(),
        ));
        let local = LocalVerifier::new(jwks.clone(), TokenCache::new(self.cache_capacity));
        (self.finish(Mode::Local(local), metrics, feed), jwks)
    }

    /// Introspection mode (RFC 7662) against the auth server at `auth_url`,
    /// authenticating as `credentials`. Returns at once; discovery is retried in the
    /// background until it succeeds. Call within a Tokio runtime.
    ///
    /// With [`Self::revocation_feed`], a revocation refuses cached answers at once, and
    /// while the feed is stale the cache is bypassed (every token is introspected).
    pub fn introspect(mut self, auth_url: &str, credentials: ClientCredentials) -> Result<Verifier, BuildError> {
        if credentials.client_id.is_empty() || credentials.client_secret.is_empty() {
            return Err(BuildError::MissingCredentials);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        let urls = self.urls(auth_url)?;
        let metrics = Arc::new(VerifierMetrics::default());
        let feed = match std::mem::replace(&mut self.feed, FeedChoice::Unset) {
            FeedChoice::Follow(settings) => {
                Some(self.follow(settings, WhenStale::Introspect, urls.clone(), &metrics, &runtime)?)
            }
            FeedChoice::Unset | FeedChoice::Declined => None,
        };
        let remote = Arc::new(IntrospectionVerifier::new(IntrospectionConfig {
            client: self.client()?,
            urls,
            credentials,
            audience: self.audience.clone(),
            leeway_secs: self.leeway_secs,
            max_cache_ttl: self.introspection_cache_ttl,
            cache: TokenCache::new(self.cache_capacity),
            max_concurrent_calls: self.introspection_concurrency,
            metrics: metrics.clone(),
            feed: feed.as_ref().map(|followed| followed.feed.clone()),
        }));
        spawn_discovery(&remote, &runtime, Backoff::new(self.refresh.retry_initial, self.refresh.retry_max));
        Ok(self.finish(Mode::Introspection(remote), metrics, feed))
    }

    /// The auth server at `auth_url`, with the configured issuer if any.
    fn urls(&self, auth_url: &str) -> Result<AuthServerUrls, BuildError> {
        let urls = AuthServerUrls::new(auth_url)?;
        Ok(match &self.issuer {
            Some(issuer) => urls.with_issuer(issuer)?,
            None => urls,
        })
    }

    fn client(&self) -> Result<reqwest::Client, BuildError> {
        http::client(self.http_timeout).map_err(|e| BuildError::HttpClient(e.to_string()))
    }

    /// Starts following the feed: the follower and its watchdog, stopped with the
    /// verifier.
    fn follow(
        &self,
        settings: FeedSettings,
        when_stale: WhenStale,
        urls: AuthServerUrls,
        metrics: &Arc<VerifierMetrics>,
        runtime: &tokio::runtime::Handle,
    ) -> Result<FollowedFeed, BuildError> {
        let FeedSettings { credentials, max_staleness } = settings;
        if credentials.client_id.is_empty() || credentials.client_secret.is_empty() {
            return Err(BuildError::MissingCredentials);
        }
        if max_staleness < Self::MIN_REVOCATION_MAX_STALENESS {
            tracing::warn!(
                max_staleness_secs = max_staleness.as_secs_f64(),
                "the revocation staleness bound is shorter than three of the auth server's shortest (1 s) \
                 keepalives: a quiet but healthy feed may be judged stale"
            );
        }
        let keepalive = Duration::from_secs((max_staleness / 3).as_secs())
            .clamp(shared_claims::feed_protocol::MIN_KEEPALIVE, Self::FEED_KEEPALIVE_MAX);
        let client = http::streaming_client(self.http_timeout).map_err(|e| BuildError::HttpClient(e.to_string()))?;
        let feed = Arc::new(Feed::new(max_staleness, self.leeway_secs, when_stale, metrics.clone()));
        let config = FollowerConfig {
            client,
            urls,
            credentials,
            retry_initial: Self::FEED_RETRY_INITIAL,
            retry_max: Self::FEED_RETRY_MAX,
            // Half the bound: a dead connection is replaced before the view turns stale.
            idle_timeout: (max_staleness / 2).min(Self::FEED_IDLE_TIMEOUT).max(Duration::from_millis(100)),
            keepalive,
        };
        let mut tasks = BackgroundTasks::default();
        tasks.push(spawn_follower(feed.clone(), config, runtime));
        tasks.push(spawn_watchdog(&feed, runtime));
        Ok(FollowedFeed { feed, tasks })
    }

    fn finish(self, mode: Mode, metrics: Arc<VerifierMetrics>, feed: Option<FollowedFeed>) -> Verifier {
        let (revocation, feed, tasks): (Arc<dyn RevocationCheck>, _, _) = match feed {
            Some(FollowedFeed { feed, tasks }) => (Arc::new(FeedRevocations(feed.clone())), Some(feed), tasks),
            None => (self.revocation, None, BackgroundTasks::default()),
        };
        Verifier::from_inner(Inner {
            mode,
            audience: self.audience,
            max_token_bytes: self.max_token_bytes,
            revocation,
            metrics,
            feed,
            _tasks: tasks,
        })
    }
}

/// A feed being followed, and the tasks doing it.
struct FollowedFeed {
    feed: Arc<Feed>,
    tasks: BackgroundTasks,
}
