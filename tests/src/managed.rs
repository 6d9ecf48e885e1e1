//! A server binary the harness starts, restarts and stops: the part `AuthServer` and
//! `ResourceServer` share.
//!
//! ```text
//! ManagedServer::start    ServerProcess::spawn -> wait_bound -> wait_ready
//! wait_ready              GET /readyz until 200, or the process exits
//! ManagedServer::restart  stop, then start again on the same address
//! Drop                    kills the child; prints every run's log if the test is failing
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

use crate::poll::try_poll_until;
use crate::process::{ServerProcess, START_TIMEOUT};

/// How many times a restart retries binding the previous address.
const RESTART_ATTEMPTS: usize = 3;

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
        let mut server = ManagedServer {
            name: name.to_owned(),
            binary,
            env,
            bind_var: bind_var.to_owned(),
            dir,
            logs: Vec::new(),
            process: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
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
    /// so the issuer (derived from the address) stays the same.
    pub(crate) async fn restart(&mut self) -> Result<(), String> {
        self.stop();
        let bind = (self.bind_var.clone(), self.addr.to_string());
        self.env.retain(|(key, _)| *key != bind.0);
        self.env.push(bind);
        let mut failures = Vec::new();
        for _ in 0..RESTART_ATTEMPTS {
            match self.run().await {
                Ok(()) => return Ok(()),
                Err(why) => {
                    self.stop();
                    failures.push(why);
                }
            }
        }
        Err(failures.join("\n"))
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
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
        self.stop();
        if std::thread::panicking() {
            for (run, path) in self.logs.iter().enumerate() {
                let log = crate::process::read_log(path);
                eprintln!("----- {} log, run {} -----\n{log}----- end -----", self.name, run + 1);
            }
        }
    }
}
