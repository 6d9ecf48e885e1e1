//! The `auth-server` binary under test.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::managed::ManagedServer;
use crate::tls::TlsFiles;
use crate::{binaries, bootstrap, RedisCluster, RedisServer};

const NAME: &str = "auth-server";

/// How to start an auth server: the store, the bootstrap file and extra settings.
#[derive(Clone)]
pub struct AuthOptions {
    bootstrap: Option<String>,
    /// Settings on top of the defaults; `None` removes a default.
    env: BTreeMap<String, Option<String>>,
}

impl AuthOptions {
    /// The embedded in-memory store (no `REDIS_URL`) and the default bootstrap file.
    pub fn embedded() -> Self {
        AuthOptions { bootstrap: Some(bootstrap::default_toml()), env: BTreeMap::new() }
    }

    /// The given Redis (`REDIS_URL`), with a fresh random `AUTH_KEY_ENCRYPTION_KEY`,
    /// chosen here so that restarts of the server and replicas started from these
    /// options share it. A TLS Redis's CA is the server's trust store (`SSL_CERT_FILE`).
    pub fn redis(redis: &RedisServer) -> Self {
        Self::embedded()
            .env("REDIS_URL", redis.url())
            .env("AUTH_KEY_ENCRYPTION_KEY", random_key())
            .trusting(redis.tls().map(|tls| &**tls))
    }

    /// The given Redis Cluster (`REDIS_CLUSTER_URLS`: every node's URL), otherwise
    /// like [`Self::redis`].
    pub fn redis_cluster(cluster: &RedisCluster) -> Self {
        Self::embedded()
            .env("REDIS_CLUSTER_URLS", cluster.urls().join(","))
            .env("AUTH_KEY_ENCRYPTION_KEY", random_key())
            .trusting(cluster.tls().map(|tls| &**tls))
    }

    /// With `tls`, OpenSSL in the server trusts its CA and nothing else.
    fn trusting(self, tls: Option<&TlsFiles>) -> Self {
        match tls {
            Some(tls) => self.env("SSL_CERT_FILE", tls.ca_file().display().to_string()),
            None => self,
        }
    }

    /// Sets an environment variable, e.g. `("AUTH_ACCESS_TTL", "2")`.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.insert(key.to_owned(), Some(value.into()));
        self
    }

    /// Leaves out a variable the harness would otherwise set (e.g. the key-encryption key).
    pub fn without_env(mut self, key: &str) -> Self {
        self.env.insert(key.to_owned(), None);
        self
    }

    /// The value a setting will have, if these options set it.
    pub fn setting(&self, key: &str) -> Option<String> {
        self.env.get(key).cloned().flatten()
    }

    /// Replaces the bootstrap file; `None` starts without `AUTH_BOOTSTRAP`.
    pub fn bootstrap(mut self, toml: Option<String>) -> Self {
        self.bootstrap = toml;
        self
    }

    /// The full environment of the server; writes the bootstrap file into `dir`.
    fn environment(&self, dir: &std::path::Path) -> Vec<(String, String)> {
        let mut env: BTreeMap<String, String> = [
            ("AUTH_BIND", "127.0.0.1:0"),
            ("AUTH_OPS_BIND", "127.0.0.1:0"),
            ("RUST_LOG", "info"),
            ("LOG_FORMAT", "text"),
            ("NO_COLOR", "1"),
            ("RUST_BACKTRACE", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        if let Some(toml) = &self.bootstrap {
            let path = dir.join("bootstrap.toml");
            std::fs::write(&path, toml).expect("write the bootstrap file");
            env.insert("AUTH_BOOTSTRAP".into(), path.display().to_string());
        }
        for (key, value) in &self.env {
            match value {
                Some(value) => env.insert(key.clone(), value.clone()),
                None => env.remove(key),
            };
        }
        env.into_iter().collect()
    }
}

/// 32 random bytes, base64url without padding: an `AUTH_KEY_ENCRYPTION_KEY`.
pub fn random_key() -> String {
    let mut key = [0u8; 32];
    openssl::rand::rand_bytes(&mut key).expect("random bytes");
    URL_SAFE_NO_PAD.encode(key)
}

/// A running auth server, killed on drop (its logs are printed if the test failed).
pub struct AuthServer {
    server: ManagedServer,
}

impl AuthServer {
    /// Starts the server and waits until it is ready. Panics with its log if it does not
    /// come up.
    pub async fn start(options: AuthOptions) -> Self {
        let dir = temp_dir();
        let env = options.environment(dir.path());
        match ManagedServer::start(NAME, binaries::path(NAME), env, "AUTH_BIND", dir).await {
            Ok(server) => AuthServer { server },
            Err(why) => panic!("{why}"),
        }
    }

    /// Starts the server expecting it to refuse to start (bad settings); returns its log.
    /// Panics if it starts, or exits successfully.
    pub async fn start_failure(options: AuthOptions) -> String {
        let dir = temp_dir();
        let env = options.environment(dir.path());
        ManagedServer::start_failure(NAME, binaries::path(NAME), env, dir.path())
            .await
            .unwrap_or_else(|why| panic!("{why}"))
    }

    /// `http://127.0.0.1:PORT`, no trailing slash: the default issuer.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// The captured stdout and stderr of the current run.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// `http://127.0.0.1:PORT` of the operational endpoints (`/metrics`).
    pub fn ops_url(&self) -> String {
        self.server.ops_url()
    }

    /// Kills the process and starts it again with the same settings and store, on the
    /// same address (so the default issuer does not change). Panics, saying so, if
    /// another process took the port meanwhile: where that can happen, put the server
    /// behind a `Relay` (`AuthStack::start_relayed`) and use [`Self::restart_on_new_port`].
    pub async fn restart(&mut self) {
        if let Err(why) = self.server.restart().await {
            panic!("{why}");
        }
    }

    /// Kills the process and starts it again with the same settings and store on a free
    /// port: [`Self::addr`] changes, so the issuer must be set (`AUTH_ISSUER`) to an
    /// address that stays, a `Relay` re-routed to the new address.
    pub async fn restart_on_new_port(&mut self) {
        if let Err(why) = self.server.restart_on_new_port().await {
            panic!("{why}");
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for a graceful exit: its exit status, or
    /// `None` if it was still running then (it is killed). The log stays readable.
    pub async fn terminate(&mut self, timeout: std::time::Duration) -> Option<std::process::ExitStatus> {
        self.server.terminate(timeout).await
    }

    /// Kills the process; the log stays readable.
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

    /// The temp dir holding the bootstrap file and the logs.
    pub fn dir(&self) -> &std::path::Path {
        self.server.dir()
    }
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("e2e-auth-").tempdir().expect("create a temp dir")
}
