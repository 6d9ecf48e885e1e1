//! The demo protected API and the application factory shared by `main` and tests.
//!
//! ```text
//! Application::build(settings)
//!   ├─ Settings::validate          client credentials (both modes), staleness ≥ 1 s
//!   ├─ build_verifier              local (JWKS) or introspect, both following the
//!   │                              revocation feed; background discovery
//!   ├─ TcpListener::bind           RS_BIND, port 0 allowed → local_addr()
//!   └─ HttpServer                  App::configure(configure(state))
//! routes
//!   GET  /api/me           api_me::get_me            any valid token
//!   GET  /api/documents    documents::get_documents  documents:read
//!   POST /api/documents    documents::post_documents documents:write
//!   GET  /healthz /readyz /metrics                   ops
//! ```

mod api_error;
mod api_me;
mod document_store;
mod documents;
mod ops;
mod request_log;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};

pub use api_error::ApiError;
pub use document_store::{owner_key, Document, DocumentStore, StoreError, StoreLimits};

use crate::actix::BearerAuth;
use crate::settings::{Settings, SettingsError};
use crate::verify::{BuildError, Verifier, VerifyMode};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("cannot build the token verifier: {0}")]
    Verifier(#[from] BuildError),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

/// Everything the routes share. Cheap to clone into each worker.
#[derive(Clone)]
pub struct AppState {
    pub auth: BearerAuth,
    pub documents: web::Data<DocumentStore>,
}

impl AppState {
    /// The realm of the challenges is the audience: it names the protected API.
    pub fn new(verifier: Verifier) -> Self {
        let realm: Arc<str> = verifier.audience().into();
        Self { auth: BearerAuth::new(verifier, realm), documents: web::Data::new(DocumentStore::default()) }
    }
}

/// Registers the shared state and every route: `App::new().configure(configure(state))`.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state.auth.clone())
            .app_data(state.documents.clone())
            .route("/healthz", web::get().to(ops::get_healthz))
            .route("/readyz", web::get().to(ops::get_readyz))
            .route("/metrics", web::get().to(ops::get_metrics))
            .service(web::resource("/api/me").route(web::get().to(api_me::get_me)))
            .service(
                web::resource("/api/documents")
                    .route(web::get().to(documents::get_documents))
                    .route(web::post().to(documents::post_documents)),
            )
            .default_service(web::to(api_error::not_found));
    }
}

/// The verifier the settings ask for, following the auth server's revocation feed in
/// either mode. Must run inside the server's runtime.
pub fn build_verifier(settings: &Settings) -> Result<Verifier, StartupError> {
    settings.validate()?;
    let credentials = settings.required_client_credentials()?;
    let builder = Verifier::builder(settings.audience.clone())
        .revocation_feed(credentials.clone(), settings.revocation_max_staleness());
    let verifier = match settings.mode() {
        VerifyMode::Local => builder.local(&settings.auth_url)?,
        VerifyMode::Introspect => builder.introspect(&settings.auth_url, credentials)?,
    };
    Ok(verifier)
}

/// A bound, not yet running server.
pub struct Application {
    server: Server,
    address: SocketAddr,
}

impl Application {
    /// Binds the listener and prepares the server. The auth server need not be up:
    /// the verifier keeps trying in the background and `/readyz` says when it is ready.
    pub fn build(settings: &Settings) -> Result<Self, StartupError> {
        let verifier = build_verifier(settings)?;
        tracing::info!(
            mode = ?verifier.mode(),
            auth_url = %settings.auth_url,
            audience = %settings.audience,
            revocation_max_staleness = settings.revocation_max_staleness,
            "token verification configured"
        );
        Self::with_verifier(&settings.bind, verifier)
    }

    /// The same server around any verifier (tests, embedding).
    pub fn with_verifier(bind: &str, verifier: Verifier) -> Result<Self, StartupError> {
        let bind_error = |source| StartupError::Bind { address: bind.to_owned(), source };
        let listener = TcpListener::bind(bind).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        let state = AppState::new(verifier);
        let server = HttpServer::new(move || {
            App::new().wrap(middleware::from_fn(request_log::log_request)).configure(configure(state.clone()))
        })
        .listen(listener)
        .map_err(bind_error)?
        .run();
        Ok(Self { server, address })
    }

    /// The address actually bound (the real port when `RS_BIND` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

#[cfg(test)]
mod tests;
