//! The `resource-server` binary under test.

use crate::managed::ManagedServer;
use crate::{binaries, bootstrap, ApiClient};

const NAME: &str = "resource-server";

/// How the resource server checks tokens (`RS_VERIFY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Signature against the JWKS, revocations pushed from the auth server.
    Local,
    /// RFC 7662 introspection for every token.
    Introspect,
}

impl Verify {
    /// The `RS_VERIFY` value.
    pub fn name(self) -> &'static str {
        match self {
            Verify::Local => "local",
            Verify::Introspect => "introspect",
        }
    }
}

/// How to start a resource server against a given auth server.
#[derive(Clone)]
pub struct ResourceOptions {
    auth_url: String,
    audience: String,
    verify: Verify,
    client_id: String,
    client_secret: String,
    env: Vec<(String, String)>,
}

impl ResourceOptions {
    /// `documents-api` in `local` mode, authenticating as the bootstrap `documents-api`.
    pub fn new(auth_url: impl Into<String>) -> Self {
        ResourceOptions {
            auth_url: auth_url.into(),
            audience: bootstrap::DOCUMENTS_AUDIENCE.to_owned(),
            verify: Verify::Local,
            client_id: bootstrap::DOCUMENTS_API.to_owned(),
            client_secret: bootstrap::DOCUMENTS_API_SECRET.to_owned(),
            env: Vec::new(),
        }
    }

    pub fn verify(mut self, verify: Verify) -> Self {
        self.verify = verify;
        self
    }

    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    pub fn credentials(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self.client_secret = secret.into();
        self
    }

    /// Sets an environment variable, e.g. `("RS_REVOCATION_MAX_STALENESS", "2")`.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.into()));
        self
    }

    fn environment(&self) -> Vec<(String, String)> {
        let verify = self.verify.name();
        let mut env: Vec<(String, String)> = [
            ("RS_BIND", "127.0.0.1:0"),
            ("RS_OPS_BIND", "127.0.0.1:0"),
            ("RS_AUTH_URL", &self.auth_url),
            ("RS_AUDIENCE", &self.audience),
            ("RS_VERIFY", verify),
            ("RS_CLIENT_ID", &self.client_id),
            ("RS_CLIENT_SECRET", &self.client_secret),
            ("RUST_LOG", "info"),
            ("LOG_FORMAT", "text"),
            ("NO_COLOR", "1"),
            ("RUST_BACKTRACE", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (key, value) in &self.env {
            env.retain(|(k, _)| k != key);
            env.push((key.clone(), value.clone()));
        }
        env
    }
}

/// A running resource server, killed on drop (its logs are printed if the test failed).
pub struct ResourceServer {
    server: ManagedServer,
}

impl ResourceServer {
    /// Starts the server and waits until `/readyz` answers 200. Panics with its log if it
    /// does not come up.
    pub async fn start(options: ResourceOptions) -> Self {
        let dir = tempfile::Builder::new().prefix("e2e-rs-").tempdir().expect("create a temp dir");
        match ManagedServer::start(NAME, binaries::path(NAME), options.environment(), "RS_BIND", dir).await {
            Ok(server) => ResourceServer { server },
            Err(why) => panic!("{why}"),
        }
    }

    /// Starts the server without waiting for it to be ready: for one expected to stay
    /// not ready (a misconfiguration it must refuse to work with). Returns once it
    /// listens. Panics with its log if it does not get that far.
    pub async fn start_unready(options: ResourceOptions) -> Self {
        let dir = tempfile::Builder::new().prefix("e2e-rs-").tempdir().expect("create a temp dir");
        match ManagedServer::start_unready(NAME, binaries::path(NAME), options.environment(), "RS_BIND", dir).await {
            Ok(server) => ResourceServer { server },
            Err(why) => panic!("{why}"),
        }
    }

    /// Starts the server expecting it to refuse to start (bad settings); returns its log.
    /// Panics if it starts, or exits successfully.
    pub async fn start_failure(options: ResourceOptions) -> String {
        let dir = tempfile::Builder::new().prefix("e2e-rs-").tempdir().expect("create a temp dir");
        ManagedServer::start_failure(NAME, binaries::path(NAME), options.environment(), dir.path())
            .await
            .unwrap_or_else(|why| panic!("{why}"))
    }

    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn log(&self) -> String {
        self.server.log()
    }

    /// `http://127.0.0.1:PORT` of the operational endpoints (`/metrics`).
    pub fn ops_url(&self) -> String {
        self.server.ops_url()
    }

    /// Resident memory of the process, bytes (Linux `/proc`), if it runs.
    pub fn resident_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.server.pid()?)).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// A client of its demo API.
    pub fn api(&self) -> ApiClient {
        ApiClient::new(self.base_url())
    }

    /// Kills the process and starts it again on the same address.
    pub async fn restart(&mut self) {
        if let Err(why) = self.server.restart().await {
            panic!("{why}");
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for a graceful exit: its exit status, or
    /// `None` if it was still running then (it is killed). The log stays readable.
    pub async fn terminate(&mut self, timeout: std::time::Duration) -> Option<std::process::ExitStatus> {
        self.server.terminate(timeout).await
    }

    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Sends `signal` to the running process, if any (`SIGSTOP`, `SIGCONT`): see
    /// [`crate::faults::StackProcess`].
    pub fn signal(&mut self, signal: libc::c_int) {
        self.server.signal(signal);
    }

    /// The process id of the running server, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.server.pid()
    }
}
