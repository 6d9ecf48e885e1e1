//! Resource servers started by the run itself, for what only a new one shows: how
//! long it takes from its start until it is ready with every revocation in force
//! loaded (its `/readyz` answers 200 only once the feed's snapshot is installed), and
//! what that view costs in memory. Each writes its log beside the others
//! (`--log-dir`) and its pid to `--spawned-pids`, so `bench/run.sh` stops it too
//! should this process die first; dropping one stops it.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cases::RS_CLIENT;
use crate::http1::Connection;
use crate::oauth;
use crate::topology::Service;

/// How to start another local-mode resource server like those `bench/run.sh` starts.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub binary: PathBuf,
    pub auth_url: String,
    pub log_dir: PathBuf,
    pub pid_file: Option<PathBuf>,
}

/// A resource server this process started.
pub struct Spawned {
    child: Child,
    pub service: Service,
    ops: SocketAddr,
    started: Instant,
}

impl Launcher {
    pub fn spawn(&self, name: &str) -> Result<Spawned, String> {
        let (bind, ops) = (free_addr()?, free_addr()?);
        let log = std::fs::File::create(self.log_dir.join(format!("{name}.log"))).map_err(|e| e.to_string())?;
        let err_log = log.try_clone().map_err(|e| e.to_string())?;
        let started = Instant::now();
        let child = Command::new(&self.binary)
            .env("RS_BIND", bind.to_string())
            .env("RS_OPS_BIND", ops.to_string())
            .env("RS_AUTH_URL", &self.auth_url)
            .env("RS_AUDIENCE", "documents-api")
            .env("RS_CLIENT_ID", RS_CLIENT.id)
            .env("RS_CLIENT_SECRET", RS_CLIENT.secret)
            .env("RS_VERIFY", "local")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err_log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.binary.display()))?;
        if let Some(file) = &self.pid_file {
            let mut pids =
                std::fs::OpenOptions::new().create(true).append(true).open(file).map_err(|e| e.to_string())?;
            writeln!(pids, "{}", child.id()).map_err(|e| e.to_string())?;
        }
        let service = Service { name: name.to_owned(), addr: bind, pid: child.id() };
        Ok(Spawned { child, service, ops, started })
    }
}

impl Spawned {
    /// Waits for `/readyz` to answer 200; returns the time since the process started.
    pub async fn ready(&mut self, timeout: Duration) -> Result<Duration, String> {
        let request = oauth::get(self.service.addr, "/readyz");
        let mut connection: Option<Connection> = None;
        while self.started.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited during start-up ({status})", self.service.name));
            }
            if connection.is_none() {
                connection = Connection::connect(self.service.addr).await.ok();
            }
            if let Some(conn) = connection.as_mut() {
                match conn.roundtrip(&request).await {
                    Ok(response) if response.status == 200 => return Ok(self.started.elapsed()),
                    Ok(_) => {}
                    Err(_) => connection = None,
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Err(format!("{} not ready within {timeout:?}", self.service.name))
    }

    /// `rs_revocations_in_force` from its `/metrics`.
    pub async fn revocations_in_force(&self) -> Option<u64> {
        let mut conn = Connection::connect(self.ops).await.ok()?;
        let response = conn.roundtrip(&oauth::get(self.ops, "/metrics")).await.ok()?;
        let text = String::from_utf8_lossy(response.body);
        text.lines().find_map(|l| l.strip_prefix("rs_revocations_in_force ")).and_then(|v| v.trim().parse().ok())
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port of 127.0.0.1 (released at once for the child to bind).
fn free_addr() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map_err(|e| e.to_string())
}
