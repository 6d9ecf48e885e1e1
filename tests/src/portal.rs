//! The `web-portal` binary under test.

use std::net::SocketAddr;

use crate::binaries;
use crate::managed::ManagedServer;

const NAME: &str = "web-portal";

/// How to start a portal: where the auth server and the API are, its client, and the
/// address browsers use (which must match the client's registered redirect URI).
#[derive(Clone)]
pub struct PortalOptions {
    env: Vec<(String, String)>,
}

impl PortalOptions {
    /// A portal bound to `bind` (e.g. `127.0.0.1:PORT`) and reached by browsers at
    /// `public_url`, signing in at `auth_url` as `client_id` / `client_secret` and
    /// forwarding `/api/...` to `api_url`.
    pub fn new(bind: &str, public_url: &str, auth_url: &str, api_url: &str, client_id: &str, secret: &str) -> Self {
        let env = [
            ("PORTAL_BIND", bind),
            ("PORTAL_PUBLIC_URL", public_url),
            ("PORTAL_AUTH_URL", auth_url),
            ("PORTAL_API_URL", api_url),
            ("PORTAL_CLIENT_ID", client_id),
            ("PORTAL_CLIENT_SECRET", secret),
            ("RUST_LOG", "info"),
            ("LOG_FORMAT", "text"),
            ("NO_COLOR", "1"),
            ("RUST_BACKTRACE", "1"),
        ];
        PortalOptions { env: env.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect() }
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.into()));
        self
    }
}

/// A running portal, killed on drop (its logs are printed if the test failed).
pub struct PortalServer {
    server: ManagedServer,
}

impl PortalServer {
    /// Starts the portal and waits until `/readyz` answers 200 (the auth server's
    /// metadata was read). Panics with its log if it does not come up.
    pub async fn start(options: PortalOptions) -> Self {
        Self::try_start(options).await.unwrap_or_else(|why| panic!("{why}"))
    }

    /// As [`Self::start`], but says why the portal did not come up; see
    /// [`port_was_taken`].
    pub async fn try_start(options: PortalOptions) -> Result<Self, String> {
        let dir = tempfile::Builder::new().prefix("e2e-portal-").tempdir().expect("create a temp dir");
        ManagedServer::start(NAME, binaries::path(NAME), options.env, "PORTAL_BIND", dir)
            .await
            .map(|server| PortalServer { server })
    }

    /// `http://127.0.0.1:PORT`: the bound address (browsers may use another host name).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The captured stdout and stderr.
    pub fn log(&self) -> String {
        self.server.log()
    }
}

/// Whether a failed start (from [`PortalServer::try_start`]) failed because another
/// process took the port between choosing it and binding it: worth another port.
pub fn port_was_taken(why: &str) -> bool {
    why.contains(crate::managed::ADDRESS_IN_USE)
}
