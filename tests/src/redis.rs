//! A private `redis-server` per test: its own port, its own temp dir, no persistence
//! unless asked for ([`RedisServer::start_persistent`]: an append-only file, so the
//! server can be killed and restarted on the same port and dir with its data).
//! [`RedisOptions`] also start it on a TLS port only ([`RedisServer::start_tls`]) or
//! as a node of a Redis Cluster (`crate::redis_cluster`).
//!
//! A free port may be taken by someone else between our probe and redis binding it;
//! another redis-server there would answer our `PING`. So a server only counts as
//! ours once `INFO server` reports our child's `process_id`; otherwise ours is killed
//! and another port tried.

use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;

use crate::poll::try_poll_until;
use crate::ports::free_ports;
use crate::process::die_with_parent;
use crate::resp::{self, Endpoint};
use crate::tls::TlsFiles;

/// How long one redis-server may take to answer `PING`.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How many ports to try before giving up (another process may grab a free port).
const ATTEMPTS: usize = 5;
/// How long a cluster node waits for another before suspecting it failed: short, so
/// that a killed primary's replica takes over within seconds.
const CLUSTER_NODE_TIMEOUT_MS: u32 = 1500;

/// How a redis-server is started; the default is plain text, no persistence.
#[derive(Clone, Default)]
pub struct RedisOptions {
    /// An append-only file, fsynced on every write.
    persistent: bool,
    /// A TLS port only, with this certificate (clients are not asked for one).
    tls: Option<Arc<TlsFiles>>,
    /// A Redis Cluster node, with a cluster bus port of its own.
    cluster_node: bool,
}

impl RedisOptions {
    /// Every write in an append-only file fsynced before it is acknowledged.
    pub fn persistent(mut self) -> Self {
        self.persistent = true;
        self
    }

    /// Clients and (for a cluster node) the other nodes speak TLS to it, on its only port.
    pub fn tls(mut self, files: &Arc<TlsFiles>) -> Self {
        self.tls = Some(Arc::clone(files));
        self
    }

    /// A node of a Redis Cluster (not yet part of one: see `crate::redis_cluster`).
    pub fn cluster_node(mut self) -> Self {
        self.cluster_node = true;
        self
    }

    /// The command-line arguments for a server on `port` (and `bus_port`) with its
    /// files in `dir`.
    fn args(&self, port: u16, bus_port: Option<u16>, dir: &Path) -> Vec<String> {
        let mut args: Vec<String> = Vec::new();
        let mut push = |items: &[&str]| args.extend(items.iter().map(|item| (*item).to_owned()));
        match &self.tls {
            None => push(&["--port", &port.to_string()]),
            Some(tls) => push(&[
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--tls-cert-file",
                &tls.cert_file().display().to_string(),
                "--tls-key-file",
                &tls.key_file().display().to_string(),
                "--tls-ca-cert-file",
                &tls.ca_file().display().to_string(),
                "--tls-auth-clients",
                "no",
            ]),
        }
        push(&["--bind", "127.0.0.1", "--save", ""]);
        if self.persistent {
            push(&["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            push(&["--appendonly", "no"]);
        }
        if let Some(bus_port) = bus_port {
            push(&[
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-port",
                &bus_port.to_string(),
                "--cluster-node-timeout",
                &CLUSTER_NODE_TIMEOUT_MS.to_string(),
                // A replica takes over however long it has been cut off from its primary.
                "--cluster-replica-validity-factor",
                "0",
                // A replica syncs at once instead of waiting for others to share the
                // transfer (5 s by default).
                "--repl-diskless-sync-delay",
                "0",
            ]);
            if self.tls.is_some() {
                push(&["--tls-cluster", "yes", "--tls-replication", "yes"]);
            }
        }
        push(&["--rdbcompression", "no", "--daemonize", "no", "--dir", &dir.display().to_string()]);
        args
    }
}

/// A running `redis-server`, killed on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    /// A cluster node's bus port.
    bus_port: Option<u16>,
    dir: TempDir,
    options: RedisOptions,
    endpoint: Endpoint,
}

impl RedisServer {
    /// Starts a redis-server on a free port of 127.0.0.1 and waits until it answers `PING`.
    /// Panics if `redis-server` is not installed: the Redis tests are never skipped.
    pub async fn start() -> Self {
        Self::start_with(RedisOptions::default()).await
    }

    /// Like [`Self::start`], with every write in an append-only file fsynced before
    /// it is acknowledged: what was answered survives [`Self::kill`] and
    /// [`Self::restart`].
    pub async fn start_persistent() -> Self {
        Self::start_with(RedisOptions::default().persistent()).await
    }

    /// Like [`Self::start`], listening for TLS only (`rediss://`), with the server
    /// certificate of `tls`.
    pub async fn start_tls(tls: &Arc<TlsFiles>) -> Self {
        Self::start_with(RedisOptions::default().tls(tls)).await
    }

    /// Starts a redis-server as `options` say, on free ports, and waits until it
    /// answers `PING`.
    pub async fn start_with(options: RedisOptions) -> Self {
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            let dir = tempfile::Builder::new().prefix("e2e-redis-").tempdir().expect("create a temp dir");
            let ports = free_ports(2);
            let bus_port = options.cluster_node.then_some(ports[1]);
            match Self::try_start(ports[0], bus_port, dir, options.clone()).await {
                Ok(server) => return server,
                Err(failure) => failures.push(failure),
            }
        }
        let hint = if options.tls.is_some() {
            "\n(a TLS start needs a redis-server built with TLS support, as Debian's is)"
        } else {
            ""
        };
        panic!("redis-server did not come up after {ATTEMPTS} attempts:\n{}{hint}", failures.join("\n"));
    }

    async fn try_start(port: u16, bus_port: Option<u16>, dir: TempDir, options: RedisOptions) -> Result<Self, String> {
        let child = spawn(&options.args(port, bus_port, dir.path()), dir.path());
        let endpoint = match &options.tls {
            Some(tls) => Endpoint::tls(port, tls.ca_pem()),
            None => Endpoint::plain(port),
        };
        let mut server = RedisServer { child, port, bus_port, dir, options, endpoint };
        match server.wait_until_up().await {
            Ok(()) => Ok(server),
            // Dropping `server` kills our redis-server; the caller tries other ports.
            Err(why) => Err(format!("port {port}: {why}; log:\n{}", server.log())),
        }
    }

    /// Kills the server with SIGKILL, mid-request if one is in flight.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM (Redis then writes its append-only file and exits) and waits up to
    /// `timeout`; the exit status, or `None` if it still ran (it is killed then).
    pub async fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let status = crate::process::terminate(&mut self.child, timeout).await;
        self.kill();
        status
    }

    /// Sends `signal` (`SIGSTOP`, `SIGCONT`) unless the server has exited.
    pub fn signal(&mut self, signal: libc::c_int) {
        crate::process::send_signal(&mut self.child, signal);
    }

    /// The process id of the server (of its latest start).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the server again on the same port and dir (after [`Self::kill`]), with
    /// the data of its append-only file if persistent. Panics, saying why, if it does
    /// not come up, e.g. because another process took the port meanwhile.
    pub async fn restart(&mut self) {
        self.kill();
        self.child = spawn(&self.options.args(self.port, self.bus_port, self.dir.path()), self.dir.path());
        if let Err(why) = self.wait_until_up().await {
            panic!("redis-server did not restart on port {}: {why}; log:\n{}", self.port, self.log());
        }
    }

    /// Waits for `PING`, then checks that the server answering is our child.
    async fn wait_until_up(&mut self) -> Result<(), String> {
        let endpoint = self.endpoint.clone();
        let server = self;
        let mut outcome = try_poll_until(START_TIMEOUT, || {
            let exited = server.exited();
            let endpoint = &endpoint;
            async move {
                match exited {
                    Some(status) => Some(Err(format!("exited with {status}"))),
                    None => ping(endpoint).await.then_some(Ok(())),
                }
            }
        })
        .await
        .unwrap_or_else(|| Err(format!("did not answer PING within {START_TIMEOUT:?}")));
        // A PING answered by another redis that holds the port does not count: the
        // server that answers must be our child.
        if outcome.is_ok() {
            outcome = server.answered_by_our_child().await;
        }
        if let Some(status) = server.exited() {
            outcome = Err(format!("exited with {status}"));
        }
        outcome
    }

    /// Whether the redis-server on our port is our child: `INFO server` reports its
    /// `process_id`.
    async fn answered_by_our_child(&self) -> Result<(), String> {
        let ours = self.child.id();
        let info =
            resp::command_raw(&self.endpoint, &["INFO", "server"]).await.map_err(|e| format!("INFO server: {e}"))?;
        let theirs = info
            .lines()
            .find_map(|line| line.trim().strip_prefix("process_id:"))
            .and_then(|pid| pid.trim().parse::<u32>().ok())
            .ok_or_else(|| format!("no process_id in the INFO server reply: {info:?}"))?;
        if theirs == ours {
            Ok(())
        } else {
            Err(format!("answered by another redis-server (process_id {theirs}; ours is {ours})"))
        }
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// `redis://127.0.0.1:PORT`, or `rediss://127.0.0.1:PORT` on TLS.
    pub fn url(&self) -> String {
        let scheme = if self.options.tls.is_some() { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The certificate files of a TLS server.
    pub fn tls(&self) -> Option<&Arc<TlsFiles>> {
        self.options.tls.as_ref()
    }

    /// How the harness reaches the server (over TLS if it speaks TLS).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory redis writes its files to (`SAVE` writes `dump.rdb` here).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Whether the server answers `PING` now.
    pub async fn ping(&self) -> bool {
        ping(&self.endpoint).await
    }

    /// Runs one command over a raw connection and returns the raw RESP reply.
    pub async fn command(&self, args: &[&str]) -> String {
        resp::command_raw(&self.endpoint, args).await.unwrap_or_else(|e| panic!("redis {args:?}: {e}"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(status) = self.exited() {
            eprintln!("----- redis-server on port {} had already exited with {status} -----", self.port);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("----- redis-server log (port {}) -----\n{}----- end -----", self.port, self.log());
        }
    }
}

/// Starts `redis-server` with `args`, its log appended to in `dir`.
fn spawn(args: &[String], dir: &Path) -> Child {
    let log = File::options().create(true).append(true).open(dir.join("redis.log")).expect("open the redis log");
    let mut command = Command::new("redis-server");
    command.args(args).stdin(Stdio::null()).stdout(log.try_clone().expect("clone a log file handle")).stderr(log);
    die_with_parent(&mut command);
    match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            panic!("redis-server not found: install it (apt-get install -y redis-server)")
        }
        Err(e) => panic!("cannot start redis-server: {e}"),
    }
}

async fn ping(endpoint: &Endpoint) -> bool {
    matches!(resp::command_raw(endpoint, &["PING"]).await, Ok(reply) if reply.starts_with("+PONG"))
}
