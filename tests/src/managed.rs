//! A server binary the harness starts, restarts and stops: the part `AuthServer` and
//! `ResourceServer` share.
//!
//! ```text
//! ManagedServer::start    ServerProcess::spawn -> wait_bound -> wait_ready
//! wait_ready              GET /readyz until 200, or the process exits
//! ManagedServer::start_unready
//!                         the same without wait_ready, for a server expected to
//!                         stay not ready
//! ManagedServer::restart  stop, then start again on the same address (fails saying
//!                         so if another process took the port meanwhile)
//! ManagedServer::restart_on_new_port
//!                         stop, then start again on a free port (behind a `Relay`,
//!                         whose URL is the issuer, the address clients use is kept)
//! Drop                    kills the child; says if it had died on its own; prints
//!                         every run's log if the test is failing
//! ```

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

use crate::poll::try_poll_until;
use crate::process::{ServerProcess, START_TIMEOUT};

/// What the servers log when their address is held by another socket (`EADDRINUSE`).
pub(crate) const ADDRESS_IN_USE: &str = "Address already in use";
/// The bind address of a start on a free port.
const ANY_PORT: &str = "127.0.0.1:0";

pub(crate) struct ManagedServer {
    name: String,
    binary: PathBuf,
    /// The environment of the next start; `bind_var` is rewritten on restart.
    env: Vec<(String, String)>,
    bind_var: String,
    dir: TempDir,
    logs: Vec<PathBuf>,
    process: Option<ServerProcess>,
    addr: SocketAddr,
    /// Whether a start waits for `/readyz` to answer 200.
    wait_for_ready: bool,
}

impl ManagedServer {
    /// Starts `binary` with `env` and waits until it logs its address and `/readyz`
    /// answers 200. `dir` holds the logs (and whatever the caller put there).
    pub(crate) async fn start(
        name: &str,
        binary: PathBuf,
        env: Vec<(String, String)>,
        bind_var: &str,
        dir: TempDir,
    ) -> Result<Self, String> {
        Self::launch(name, binary, env, bind_var, dir, true).await
    }

    /// Like [`Self::start`], but returns once the server has logged its address,
    /// without waiting for `/readyz` (restarts do not wait either): for a server
    /// expected to stay not ready.
    pub(crate) async fn start_unready(
        name: &str,
        binary: PathBuf,
        env: Vec<(String, String)>,
        bind_var: &str,
        dir: TempDir,
    ) -> Result<Self, String> {
        Self::launch(name, binary, env, bind_var, dir, false).await
    }

    async fn launch(
        name: &str,
        binary: PathBuf,
        env: Vec<(String, String)>,
        bind_var: &str,
        dir: TempDir,
        wait_for_ready: bool,
    ) -> Result<Self, String> {
        let mut server = ManagedServer {
            name: name.to_owned(),
            binary,
            env,
            bind_var: bind_var.to_owned(),
            dir,
            logs: Vec::new(),
            process: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            wait_for_ready,
        };
        match server.run().await {
            Ok(()) => Ok(server),
            Err(why) => {
                server.stop();
                Err(why)
            }
        }
    }

    /// Starts `binary` expecting it to refuse to start. Returns its log once it exited;
    /// an error if it came up instead.
    pub(crate) async fn start_failure(
        name: &str,
        binary: PathBuf,
        env: Vec<(String, String)>,
        dir: &Path,
    ) -> Result<String, String> {
        let mut process = ServerProcess::spawn(name, &binary, &env, &dir.join(format!("{name}.log")));
        match process.wait_bound().await {
            Ok(addr) => Err(format!("{name} started on {addr} but was expected to fail; log:\n{}", process.log())),
            Err(_) => match process.exited() {
                Some(status) if !status.success() => Ok(process.log()),
                Some(status) => Err(format!("{name} exited with {status} (expected failure); log:\n{}", process.log())),
                None => Err(format!("{name} neither started nor exited; log:\n{}", process.log())),
            },
        }
    }

    async fn run(&mut self) -> Result<(), String> {
        let log_path = self.dir.path().join(format!("{}-{}.log", self.name, self.logs.len() + 1));
        self.logs.push(log_path.clone());
        let mut process = ServerProcess::spawn(&self.name, &self.binary, &self.env, &log_path);
        let addr = process.wait_bound().await;
        self.process = Some(process);
        self.addr = addr?;
        if !self.wait_for_ready {
            return Ok(());
        }
        self.wait_ready().await
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let url = format!("{}/readyz", self.base_url());
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("build an HTTP client");
        let process = self.process.as_mut().expect("a running process");
        let ready = try_poll_until(START_TIMEOUT, || {
            let exited = process.exited();
            let request = http.get(&url).send();
            async move {
                if let Some(status) = exited {
                    return Some(Err(format!("exited with {status}")));
                }
                match request.await {
                    Ok(response) if response.status() == 200 => Some(Ok(())),
                    _ => None,
                }
            }
        })
        .await
        .unwrap_or_else(|| Err(format!("GET {url} did not answer 200 within {START_TIMEOUT:?}")));
        ready.map_err(|why| format!("{} {why}; its log:\n{}", self.name, self.log()))
    }

    /// Stops the process and starts it again with the same settings on the same address,
    /// so URLs clients hold (and the default issuer, derived from the address) stay the
    /// same. The port is free while the server is down, so another process (a replica
    /// started on port 0, another test) may take it: then this fails at once saying so,
    /// rather than retrying what cannot work. A test that needs a stable issuer across
    /// restarts puts the server behind a `Relay` and uses [`Self::restart_on_new_port`].
    pub(crate) async fn restart(&mut self) -> Result<(), String> {
        self.stop();
        let addr = self.addr;
        // A listener bound now is dropped at once; `SO_REUSEADDR` (set by std on Unix,
        // as by the servers) lets the old server's TIME_WAIT connections not count.
        if let Err(e) = TcpListener::bind(addr) {
            if e.kind() == ErrorKind::AddrInUse {
                return Err(self.port_taken(addr, &e.to_string()));
            }
        }
        self.set_bind(addr.to_string());
        match self.run().await {
            Ok(()) => Ok(()),
            Err(why) => {
                self.stop();
                if why.contains(ADDRESS_IN_USE) {
                    Err(self.port_taken(addr, &why))
                } else {
                    Err(why)
                }
            }
        }
    }

    /// Stops the process and starts it again with the same settings on a free port of
    /// 127.0.0.1: [`Self::addr`] changes. For a server behind a `Relay`, re-routed by
    /// the caller.
    pub(crate) async fn restart_on_new_port(&mut self) -> Result<(), String> {
        self.stop();
        self.set_bind(ANY_PORT.to_owned());
        let outcome = self.run().await;
        if outcome.is_err() {
            self.stop();
        }
        outcome
    }

    fn set_bind(&mut self, value: String) {
        let bind_var = self.bind_var.clone();
        self.env.retain(|(key, _)| *key != bind_var);
        self.env.push((bind_var, value));
    }

    fn port_taken(&self, addr: SocketAddr, detail: &str) -> String {
        format!(
            "{} cannot restart on {addr}: port taken by another process while the server was down; a test \
             that needs a stable address should put the server behind a Relay (its URL as AUTH_ISSUER) and \
             restart it on a new port. Detail: {detail}",
            self.name
        )
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit; its exit status,
    /// or `None` if it is still running (it is killed then). The log stays readable.
    pub(crate) async fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let mut process = self.process.take()?;
        let status = process.terminate(timeout).await;
        process.stop();
        status
    }

    /// Sends `signal` to the running process, if any (`SIGSTOP`, `SIGCONT`).
    pub(crate) fn signal(&mut self, signal: libc::c_int) {
        if let Some(process) = self.process.as_mut() {
            process.signal(signal);
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }

    /// The process id of the running server, if it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(ServerProcess::pid)
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` of the operational endpoints (`/metrics`), as the
    /// current run logged it (both servers log `operational endpoints on http://ADDR`).
    pub(crate) fn ops_url(&self) -> String {
        const OPS: &str = "operational endpoints on http://";
        let log = self.log();
        let at = log.rfind(OPS).unwrap_or_else(|| panic!("no `{OPS}ADDR` in {}'s log:\n{log}", self.name));
        let rest = &log[at + OPS.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']')))
            .unwrap_or(rest.len());
        format!("http://{}", &rest[..end])
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The log of the current (or last) run.
    pub(crate) fn log(&self) -> String {
        self.logs.last().map(|path| crate::process::read_log(path)).unwrap_or_default()
    }
}

impl Drop for ManagedServer {
    fn drop(&mut self) {
        // A server the test did not stop that is gone already died on its own: say how.
        if let Some(status) = self.process.as_mut().and_then(ServerProcess::exited) {
            eprintln!("----- {} (run {}) had already exited with {status} -----", self.name, self.logs.len());
        }
        self.stop();
        if std::thread::panicking() {
            for (run, path) in self.logs.iter().enumerate() {
                let log = crate::process::read_log(path);
                eprintln!("----- {} log, run {} -----\n{log}----- end -----", self.name, run + 1);
            }
        }
    }
}
