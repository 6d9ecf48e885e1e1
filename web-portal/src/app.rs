//! The application factory shared by `main` and the tests.
//!
//! ```text
//! Application::build(settings)
//!   ├─ Settings::validate         client secret, URLs
//!   ├─ TcpListener::bind          PORTAL_BIND, port 0 allowed
//!   └─ HttpServer                 routes::configure(state), with request ids, the
//!                                 CSRF header rule, security headers, head, body and
//!                                 keep-alive deadlines, a connection cap
//! Application::run                serve until SIGTERM/SIGINT, then drain
//! routes
//!   GET  /                 pages::get_index          the one-page UI
//!   GET  /static/...       pages::get_asset          its script and stylesheet
//!   GET  /login            login::get_login          start the code flow
//!   GET  /callback         callback::get_callback    code -> tokens -> session
//!   POST /logout           logout::post_logout       revoke, forget, end_session_endpoint
//!   *    /api/{tail}       api_proxy::forward        to PORTAL_API_URL with the bearer token
//!   GET  /healthz /readyz  pages                     ops (ready once discovered)
//! ```

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use server_kit::limits::{CLIENT_DISCONNECT_TIMEOUT, CLIENT_REQUEST_TIMEOUT, KEEP_ALIVE, MAX_CONNECTIONS};
use server_kit::shutdown::DRAIN_TIMEOUT;

use crate::cookies::Cookies;
use crate::login_ticket::TicketSealer;
use crate::provider::Discovery;
use crate::routes;
use crate::session::Session;
use crate::session_store::SessionStore;
use crate::settings::{Settings, SettingsError};

/// Signed-in sessions held at once; past it the oldest makes room.
const MAX_SESSIONS: usize = 100_000;
/// A session lives at most this long on the portal (its refresh token may end it sooner).
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    #[error("the system's random generator failed")]
    Random,
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

/// Everything the routes share.
pub(crate) struct AppState {
    pub(crate) discovery: Discovery,
    pub(crate) http: reqwest::Client,
    pub(crate) sessions: SessionStore<Arc<Session>>,
    pub(crate) tickets: TicketSealer,
    pub(crate) cookies: Cookies,
    /// The documents API's base URL; requests go to its `/api/...`.
    pub(crate) api_url: oauth2::url::Url,
}

impl AppState {
    pub(crate) fn new(settings: &Settings) -> Result<Self, StartupError> {
        // No redirects: neither the token endpoint nor the API may send the portal's
        // credentials elsewhere.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(StartupError::HttpClient)?;
        Ok(Self {
            discovery: Discovery::new(settings.clone(), http.clone()),
            http,
            sessions: SessionStore::new(MAX_SESSIONS, SESSION_TTL),
            tickets: TicketSealer::new(Duration::from_secs(crate::cookies::LOGIN_MAX_AGE_SECS))
                .ok_or(StartupError::Random)?,
            cookies: Cookies::new(settings.secure_cookies()),
            api_url: oauth2::url::Url::parse(&settings.api_url)
                .map_err(|_| StartupError::Settings(SettingsError::BadUrl("PORTAL_API_URL")))?,
        })
    }
}

/// A bound, not yet running server.
pub struct Application {
    server: Server,
    address: SocketAddr,
}

impl Application {
    /// Binds the listener and prepares the server. The authorization server need not be
    /// up: its metadata is discovered on first use, and `/readyz` says when it was.
    pub fn build(settings: &Settings) -> Result<Self, StartupError> {
        settings.validate()?;
        let state = web::Data::new(AppState::new(settings)?);
        let bind_error = |source| StartupError::Bind { address: settings.bind.clone(), source };
        let https = settings.secure_cookies();
        let listener = TcpListener::bind(&settings.bind).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(crate::csrf::require_header))
                .wrap(routes::security_headers(https))
                .wrap(middleware::from_fn(server_kit::body_deadline::limit_body_time))
                .wrap(middleware::from_fn(server_kit::request_trace::trace))
                .configure(routes::configure(state.clone()))
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
        Ok(Self { server, address })
    }

    /// The address actually bound (the real port when `PORTAL_BIND` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(server_kit::shutdown::signal()).await
    }

    /// Serves until `stop` resolves, then stops accepting and waits for in-flight
    /// requests at most [`DRAIN_TIMEOUT`].
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> std::io::Result<()> {
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        let result = tokio::select! {
            result = &mut server => result,
            () = stop => {
                let ((), result) = tokio::join!(handle.stop(true), server);
                result
            }
        };
        tracing::info!("stopped");
        result
    }
}
