//! Building the application from settings: bind, open the store, load the keys,
//! apply the bootstrap file, serve. Shared by `main` and tests.
//!
//! ```text
//! Application::build   bind, store, keys, bootstrap; spawn the feed poller and the
//!                      key scheduler (owned, stopped by `shutdown`); HttpServer
//! Application::run     serve until SIGTERM/SIGINT, then:
//!   stop accepting ─► RevocationFeed::close (streams end) ─► cancel background
//!   tasks ─► drain in-flight requests (server_kit::shutdown::DRAIN_TIMEOUT) ─► join the tasks
//! ```

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{dev::Server, web, App, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use server_kit::limits::{CLIENT_DISCONNECT_TIMEOUT, CLIENT_REQUEST_TIMEOUT, KEEP_ALIVE, MAX_CONNECTIONS};
use server_kit::shutdown::DRAIN_TIMEOUT;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::crypto::password::Passwords;
use crate::http::metrics::{self, Metrics};
use crate::http::{self, AppState};
use crate::keys::{KeyPolicy, KeyRing, KeyScheduler};
use crate::oauth::authority::Authority;
use crate::oauth::feed::RevocationFeed;
use crate::oauth::login_throttle::LoginThrottle;
use crate::oauth::revocation_budget::RevocationBudget;
use crate::oauth::tokens::{TokenSettings, Tokens};
use crate::setup::bootstrap::Bootstrap;
use crate::setup::config::Settings;
use crate::store::{KeyEncryptionKey, MemoryStore, RedisStore, RedisTarget, SharedStore};

/// How long background tasks get to notice the stop.
const TASKS_TIMEOUT: Duration = Duration::from_millis(500);

/// How often each replica looks for revocations recorded by other replicas.
const FEED_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// A start-up failure, said plainly: these end the process before it serves.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(
        "AUTH_KEY_ENCRYPTION_KEY is required when REDIS_URL or REDIS_CLUSTER_URLS is set (32 random bytes, base64url)"
    )]
    MissingKeyEncryptionKey,
    #[error(
        "AUTH_KEY_ENCRYPTION_KEY must be 32 bytes, base64url-encoded (e.g. `openssl rand 32 | basenc --base64url`)"
    )]
    BadKeyEncryptionKey,
    #[error("AUTH_KEY_ENCRYPTION_KEY_PREVIOUS must be 32 bytes, base64url-encoded, like AUTH_KEY_ENCRYPTION_KEY")]
    BadPreviousKeyEncryptionKey,
    #[error("AUTH_ISSUER must be an http or https URL without query or fragment")]
    BadIssuer,
    #[error("store")]
    Store(#[from] crate::store::StoreError),
    #[error("signing keys")]
    Keys(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Bootstrap(#[from] crate::setup::bootstrap::BootstrapError),
    #[error("password hasher")]
    Passwords(#[from] crate::crypto::password::PasswordError),
}

pub struct Application {
    addr: SocketAddr,
    server: Server,
    /// The operational endpoints' server, on `AUTH_OPS_BIND`.
    ops: Server,
    feed: Arc<RevocationFeed>,
    /// Tells the background tasks to stop.
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let (listener, addr) = bind(settings.bind)?;
        let (ops_listener, ops_addr) = bind(settings.ops_bind)?;
        let issuer = settings.issuer_for(addr);
        if !(issuer.starts_with("http://") || issuer.starts_with("https://")) || issuer.contains(['?', '#']) {
            return Err(StartupError::BadIssuer);
        }
        if crate::oauth::redirect_uri::is_http_off_loopback(&issuer) {
            tracing::warn!(
                %issuer,
                "the issuer is plain http on a non-loopback host: the login cookies are not Secure, \
                 and other hosts of the domain can set them; use https outside local development"
            );
        }

        let store = open_store(&settings).await?;
        let now = shared_claims::unix_now();
        let keys = Arc::new(KeyRing::load_or_create(store.clone(), now).await?);
        let concurrency = settings
            .password_concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let passwords = Passwords::new(concurrency)?;

        if let Some(path) = &settings.bootstrap {
            let plain = Bootstrap::load(path)?.apply(store.as_ref(), &passwords).await?;
            if plain > 0 {
                tracing::warn!(
                    file = %path.display(),
                    count = plain,
                    "bootstrap file holds plain-text passwords: for development only, use password_hash in production"
                );
            }
        }

        let keys_for_scheduler = keys.clone();
        let tokens = Tokens::new(
            keys,
            TokenSettings {
                issuer: issuer.clone(),
                access_ttl: settings.access_ttl,
                refresh_idle_ttl: settings.refresh_idle_ttl,
                refresh_max_ttl: settings.refresh_max_ttl,
                refresh_reuse_grace: settings.refresh_reuse_grace,
                max_sessions_per_user: settings.max_sessions_per_user as usize,
            },
        );
        // Other replicas' revocations are seen within one poll; this replica's at once.
        let feed = RevocationFeed::new(store.clone(), FEED_POLL_INTERVAL);
        feed.streams.set_max_per_client(usize::from(settings.feed_max_streams_per_client));
        let shutdown = CancellationToken::new();
        let mut tasks = vec![tokio::spawn(feed.clone().run())];
        // Automatic rotation and the periodic reload of the key set; a key revoked
        // on another replica (heard on the feed) stops signing here at once.
        let policy = KeyPolicy::new(
            settings.key_rotation_interval,
            settings.jwks_max_age,
            tokens.settings().access_ttl,
            tokens.settings().longest_token_lifetime(),
            settings.key_refresh_interval,
            settings.clock_skew,
        );
        let scheduler = KeyScheduler::new(keys_for_scheduler, policy);
        // Follows the feed until it closes; the lifecycle runs until shutdown (a tick
        // in progress is abandoned: every key change is one atomic compare-and-set).
        tasks.push(tokio::spawn(scheduler.clone().follow_revocations(feed.subscribe())));
        let lifecycle = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            lifecycle.run_until_cancelled(scheduler.run(shared_claims::unix_now)).await;
        }));
        let served_feed = feed.clone();
        let throttle =
            LoginThrottle::new(settings.login_attempts_per_minute, settings.login_address_failures_per_minute);
        let revocation_budget = RevocationBudget::new(settings.revocations_per_minute);
        let state = web::Data::new(
            AppState::new(
                Authority::new(store, tokens, passwords, feed, throttle, revocation_budget, policy),
                settings.jwks_max_age,
            )
            .with_trusted_proxies(settings.trusted_proxies.clone().unwrap_or_default()),
        );
        let metrics = web::Data::new(Metrics::new());
        let (ops_state, ops_metrics) = (state.clone(), metrics.clone());
        // Whose `X-Request-Id` the request trace keeps.
        let trusted = web::Data::new(settings.trusted_proxies.clone().unwrap_or_default());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(trusted.clone())
                .app_data(metrics.clone())
                .wrap(from_fn(server_kit::body_deadline::limit_body_time))
                .wrap(from_fn(metrics::track))
                .wrap(from_fn(server_kit::request_trace::trace))
                .configure(http::configure)
        })
        .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
        .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
        .keep_alive(KEEP_ALIVE)
        .max_connections(MAX_CONNECTIONS)
        // Signals are ours (see `run`): the feed's streams never end by themselves.
        .disable_signals()
        .shutdown_timeout(DRAIN_TIMEOUT.as_secs())
        .listen(listener)
        .map_err(|source| StartupError::Bind { addr, source })?
        .run();
        let ops = HttpServer::new(move || {
            App::new().app_data(ops_state.clone()).app_data(ops_metrics.clone()).configure(http::configure_ops)
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(DRAIN_TIMEOUT.as_secs())
        .listen(ops_listener)
        .map_err(|source| StartupError::Bind { addr: ops_addr, source })?
        .run();
        tracing::info!(%issuer, "listening on http://{addr}");
        tracing::info!("operational endpoints on http://{ops_addr}");
        Ok(Self { addr, server, ops, feed: served_feed, shutdown, tasks })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(server_kit::shutdown::signal()).await
    }

    /// Serves until `stop` resolves, then: stops accepting, closes the revocation
    /// feed's streams (readers reconnect elsewhere), stops the background tasks,
    /// and waits for in-flight requests at most [`DRAIN_TIMEOUT`].
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> std::io::Result<()> {
        let Self { server, ops, feed, shutdown, tasks, .. } = self;
        let ops_handle = ops.handle();
        let ops = tokio::spawn(ops);
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        let result = tokio::select! {
            // The server ended on its own (a worker failure): still stop the tasks.
            result = &mut server => result,
            () = stop => {
                // Stop accepting first, then end the streams that would otherwise hold
                // the drain open until its timeout; the server future must be polled
                // for the stop to proceed.
                let stopped = handle.stop(true);
                feed.close();
                shutdown.cancel();
                let ((), result) = tokio::join!(stopped, server);
                result
            }
        };
        // Idempotent: already done when `stop` fired.
        feed.close();
        shutdown.cancel();
        ops_handle.stop(true).await;
        let _ = ops.await;
        let joined = tokio::time::timeout(TASKS_TIMEOUT, futures_util::future::join_all(tasks));
        if joined.await.is_err() {
            tracing::warn!("background tasks did not stop in time");
        }
        tracing::info!("stopped");
        result
    }
}

fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let listener = TcpListener::bind(addr).map_err(|source| StartupError::Bind { addr, source })?;
    let bound = listener.local_addr().map_err(|source| StartupError::Bind { addr, source })?;
    Ok((listener, bound))
}

async fn open_store(settings: &Settings) -> Result<SharedStore, StartupError> {
    let Some(target) = redis_target(settings) else {
        tracing::warn!("REDIS_URL is unset: using the embedded in-memory store; nothing survives a restart");
        return Ok(Arc::new(MemoryStore::new()));
    };
    let kek = settings.key_encryption_key.as_ref().ok_or(StartupError::MissingKeyEncryptionKey)?;
    let mut kek = parse_kek(kek.expose()).ok_or(StartupError::BadKeyEncryptionKey)?;
    if let Some(previous) = &settings.key_encryption_key_previous {
        let previous = parse_kek(previous.expose()).ok_or(StartupError::BadPreviousKeyEncryptionKey)?;
        kek = kek.with_previous(previous);
        match kek.previous_kid() {
            Some(previous) => tracing::info!(
                current = kek.kid(),
                previous,
                "key-encryption key change: signing keys under the previous key are re-encrypted on first read; \
                 remove AUTH_KEY_ENCRYPTION_KEY_PREVIOUS once every replica runs with the new key"
            ),
            None => tracing::warn!("AUTH_KEY_ENCRYPTION_KEY_PREVIOUS equals AUTH_KEY_ENCRYPTION_KEY: ignored"),
        }
    }
    let wait_replicas = settings.redis_wait_replicas.unwrap_or_else(|| target.default_wait_replicas());
    let store = RedisStore::connect_waiting_for(&target, wait_replicas, kek).await?;
    match target {
        RedisTarget::Node(_) => tracing::info!(wait_replicas, "using the Redis store"),
        RedisTarget::Cluster(urls) => {
            tracing::info!(seeds = urls.len(), wait_replicas, "using the Redis store on a Redis Cluster")
        }
    }
    Ok(Arc::new(store))
}

/// `REDIS_URL` or `REDIS_CLUSTER_URLS` (clap refuses both); `None` for neither.
fn redis_target(settings: &Settings) -> Option<RedisTarget> {
    if let Some(urls) = &settings.redis_cluster_urls {
        let urls = urls.expose().split(',').map(str::trim).filter(|url| !url.is_empty()).map(str::to_owned).collect();
        return Some(RedisTarget::Cluster(urls));
    }
    settings.redis_url.as_ref().map(|url| RedisTarget::Node(url.expose().to_owned()))
}

/// 32 bytes, base64url (padding tolerated). The value is never echoed.
fn parse_kek(text: &str) -> Option<KeyEncryptionKey> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(text.trim().trim_end_matches('=')).ok()?.try_into().ok()?;
    Some(KeyEncryptionKey::new(bytes))
}
