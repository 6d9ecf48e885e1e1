//! The demo protected API and the application factory shared by `main` and tests.
//!
//! ```text
//! Application::build(settings)
//!   ├─ Settings::validate          client credentials (both modes)
//!   ├─ configured_documents        memory, or Redis (RS_DOCUMENTS_REDIS_URL): the URL
//!   │                              is checked, the connection made by the first use
//!   ├─ build_verifier              local (JWKS) or introspect, both following the
//!   │                              revocation feed; background discovery
//!   ├─ TcpListener::bind           RS_BIND and RS_OPS_BIND, port 0 allowed
//!   └─ HttpServer × 2              public: configure(state), with request ids, head,
//!                                  body and keep-alive deadlines, a connection cap;
//!                                  ops: configure_ops(state)
//! Application::run                 serve until SIGTERM/SIGINT, then stop accepting
//!                                  and drain in-flight requests (DRAIN_TIMEOUT)
//! routes (public)
//!   GET  /api/me           api_me::get_me            any valid token
//!   GET  /api/documents    documents::get_documents  documents:read
//!   POST /api/documents    documents::post_documents documents:write
//!   GET  /healthz /readyz                            ops
//! routes (ops listener)
//!   GET  /healthz /readyz /metrics                   ops
//! ```

mod api_error;
mod api_me;
pub mod document_store;
mod documents;
mod ops;

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use prometheus_client::registry::Registry;
use server_kit::limits::{CLIENT_DISCONNECT_TIMEOUT, CLIENT_REQUEST_TIMEOUT, KEEP_ALIVE, MAX_CONNECTIONS};
use server_kit::shutdown::DRAIN_TIMEOUT;

pub use api_error::ApiError;
pub use document_store::{owner_key, Document, DocumentStore, InvalidRedisUrl, StoreError, StoreLimits};

use crate::settings::{Settings, SettingsError};
use resource_server::actix::BearerAuth;
use resource_server::verify::{BuildError, Verifier, VerifyMode};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("cannot build the token verifier: {0}")]
    Verifier(#[from] BuildError),
    #[error("RS_DOCUMENTS_REDIS_URL: {0}")]
    Documents(#[from] InvalidRedisUrl),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

/// Everything the routes share. Cheap to clone into each worker.
#[derive(Clone)]
pub struct AppState {
    pub auth: BearerAuth,
    pub documents: web::Data<DocumentStore>,
    /// What the ops listener's `/metrics` encodes: the verifier's metrics.
    pub metrics: web::Data<Registry>,
}

impl AppState {
    /// The realm of the challenges is the audience: it names the protected API.
    /// Documents in memory.
    pub fn new(verifier: Verifier) -> Self {
        Self::with_documents(verifier, DocumentStore::default())
    }

    pub fn with_documents(verifier: Verifier, documents: DocumentStore) -> Self {
        let mut registry = Registry::default();
        verifier.register_metrics(&mut registry);
        let realm: Arc<str> = verifier.audience().into();
        Self {
            auth: BearerAuth::new(verifier, realm),
            documents: web::Data::new(documents),
            metrics: web::Data::new(registry),
        }
    }
}

/// Registers the shared state and the public routes: `App::new().configure(configure(state))`.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state.auth.clone())
            .app_data(state.documents.clone())
            .route("/healthz", web::get().to(ops::get_healthz))
            .route("/readyz", web::get().to(ops::get_readyz))
            .service(web::resource("/api/me").route(web::get().to(api_me::get_me)))
            .service(
                web::resource("/api/documents")
                    .route(web::get().to(documents::get_documents))
                    .route(web::post().to(documents::post_documents)),
            )
            .default_service(web::to(api_error::not_found));
    }
}

/// The operational routes, on their own listener (`RS_OPS_BIND`): the public port
/// shows no counters.
pub fn configure_ops(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state.auth.clone())
            .app_data(state.metrics.clone())
            .route("/healthz", web::get().to(ops::get_healthz))
            .route("/readyz", web::get().to(ops::get_readyz))
            .route("/metrics", web::get().to(ops::get_metrics))
            .default_service(web::to(api_error::not_found));
    }
}

/// The verifier the settings ask for, following the auth server's revocation feed in
/// either mode. Must run inside the server's runtime.
pub fn build_verifier(settings: &Settings) -> Result<Verifier, StartupError> {
    settings.validate()?;
    let credentials = settings.required_client_credentials()?;
    let mut builder = Verifier::builder(settings.audience.clone())
        .revocation_feed(credentials.clone(), settings.revocation_max_staleness());
    if let Some(issuer) = &settings.issuer {
        builder = builder.issuer(issuer.clone());
    }
    let verifier = match settings.mode() {
        VerifyMode::Local => builder.local(&settings.auth_url)?,
        VerifyMode::Introspect => builder.introspect(&settings.auth_url, credentials)?,
    };
    Ok(verifier)
}

/// A bound, not yet running server: the public listener and the operational one.
pub struct Application {
    server: Server,
    address: SocketAddr,
    ops: Server,
    ops_address: SocketAddr,
}

impl Application {
    /// Binds the listener and prepares the server. The auth server need not be up:
    /// the verifier keeps trying in the background and `/readyz` says when it is ready.
    pub fn build(settings: &Settings) -> Result<Self, StartupError> {
        let verifier = build_verifier(settings)?;
        tracing::info!(
            mode = ?verifier.mode(),
            auth_url = %settings.auth_url,
            issuer = settings.issuer.as_deref().unwrap_or("(from the metadata)"),
            audience = %settings.audience,
            revocation_max_staleness = settings.revocation_max_staleness,
            "token verification configured"
        );
        let documents = configured_documents(settings)?;
        Self::with_state(&settings.bind, &settings.ops_bind, AppState::with_documents(verifier, documents))
    }

    /// The same server around any verifier (tests, embedding), documents in memory.
    pub fn with_verifier(bind: &str, ops_bind: &str, verifier: Verifier) -> Result<Self, StartupError> {
        Self::with_state(bind, ops_bind, AppState::new(verifier))
    }

    /// The same server around any state.
    pub fn with_state(bind: &str, ops_bind: &str, state: AppState) -> Result<Self, StartupError> {
        let (listener, address) = listen(bind)?;
        let (ops_listener, ops_address) = listen(ops_bind)?;
        let bind_error = |source| StartupError::Bind { address: bind.to_owned(), source };
        let ops_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(server_kit::body_deadline::limit_body_time))
                .wrap(middleware::from_fn(server_kit::request_trace::trace))
                .configure(configure(state.clone()))
        })
        .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
        .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
        .keep_alive(KEEP_ALIVE)
        .max_connections(MAX_CONNECTIONS)
        .disable_signals()
        .shutdown_timeout(DRAIN_TIMEOUT.as_secs())
        .listen(listener)
        .map_err(bind_error)?
        .run();
        let ops = HttpServer::new(move || App::new().configure(configure_ops(ops_state.clone())))
            .workers(1)
            .disable_signals()
            .shutdown_timeout(DRAIN_TIMEOUT.as_secs())
            .listen(ops_listener)
            .map_err(|source| StartupError::Bind { address: ops_bind.to_owned(), source })?
            .run();
        Ok(Self { server, address, ops, ops_address })
    }

    /// The address actually bound (the real port when `RS_BIND` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The operational listener's address (`RS_OPS_BIND`).
    pub fn ops_addr(&self) -> SocketAddr {
        self.ops_address
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(server_kit::shutdown::signal()).await
    }

    /// Serves until `stop` resolves, then stops accepting and waits for in-flight
    /// requests at most [`DRAIN_TIMEOUT`].
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> std::io::Result<()> {
        let ops_handle = self.ops.handle();
        let ops = tokio::spawn(self.ops);
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        let result = tokio::select! {
            result = &mut server => result,
            () = stop => {
                let ((), result) = tokio::join!(handle.stop(true), server);
                result
            }
        };
        ops_handle.stop(true).await;
        let _ = ops.await;
        tracing::info!("stopped");
        result
    }
}

/// The store the settings ask for. Its URL is not logged: it may hold a password.
fn configured_documents(settings: &Settings) -> Result<DocumentStore, StartupError> {
    match settings.documents_redis_url.as_ref().filter(|url| !url.is_empty()) {
        Some(url) => {
            let store = DocumentStore::redis(url.expose(), StoreLimits::default())?;
            tracing::info!("documents kept in Redis (RS_DOCUMENTS_REDIS_URL), shared by every replica");
            Ok(store)
        }
        None => {
            tracing::info!(
                "RS_DOCUMENTS_REDIS_URL is unset: documents kept in this process's memory, \
                 not shared with other replicas, lost on restart"
            );
            Ok(DocumentStore::default())
        }
    }
}

fn listen(bind: &str) -> Result<(TcpListener, SocketAddr), StartupError> {
    let bind_error = |source| StartupError::Bind { address: bind.to_owned(), source };
    let listener = TcpListener::bind(bind).map_err(bind_error)?;
    let address = listener.local_addr().map_err(bind_error)?;
    Ok((listener, address))
}

#[cfg(test)]
mod tests;
