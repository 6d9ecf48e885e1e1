//! A private `redis-server` per test: its own port, its own temp dir, no persistence.

use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::poll::try_poll_until;
use crate::ports::free_port;

/// How long one redis-server may take to answer `PING`.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How many ports to try before giving up (another process may grab a free port).
const ATTEMPTS: usize = 5;

/// A running `redis-server`, killed on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl RedisServer {
    /// Starts a redis-server on a free port of 127.0.0.1 and waits until it answers `PING`.
    /// Panics if `redis-server` is not installed: the Redis tests are never skipped.
    pub async fn start() -> Self {
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            match Self::try_start(free_port()).await {
                Ok(server) => return server,
                Err(failure) => failures.push(failure),
            }
        }
        panic!("redis-server did not come up after {ATTEMPTS} attempts:\n{}", failures.join("\n"));
    }

    async fn try_start(port: u16) -> Result<Self, String> {
        let dir = tempfile::Builder::new().prefix("e2e-redis-").tempdir().expect("create a temp dir");
        let log = File::create(dir.path().join("redis.log")).expect("create the redis log");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--rdbcompression", "no", "--daemonize", "no", "--dir"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone a log file handle"))
            .stderr(log)
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                panic!("redis-server not found: install it (apt-get install -y redis-server)")
            }
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        let mut server = RedisServer { child, port, dir };
        let mut outcome = try_poll_until(START_TIMEOUT, || {
            let exited = server.exited();
            async move {
                match exited {
                    Some(status) => Some(Err(format!("exited with {status}"))),
                    None => ping(port).await.then_some(Ok(())),
                }
            }
        })
        .await
        .unwrap_or_else(|| Err(format!("did not answer PING within {START_TIMEOUT:?}")));
        // A PING answered by another redis that already held the port does not count.
        if let Some(status) = server.exited() {
            outcome = Err(format!("exited with {status}"));
        }
        match outcome {
            Ok(()) => Ok(server),
            Err(why) => Err(format!("port {port}: {why}; log:\n{}", server.log())),
        }
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// `redis://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
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
        ping(self.port).await
    }

    /// Runs one command over a raw connection and returns the raw RESP reply.
    pub async fn command(&self, args: &[&str]) -> String {
        command(self.port, args).await.unwrap_or_else(|e| panic!("redis {args:?}: {e}"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn ping(port: u16) -> bool {
    matches!(command(port, &["PING"]).await, Ok(reply) if reply.starts_with("+PONG"))
}

/// Sends one RESP command and reads whatever the first read returns: enough for the
/// short status replies the harness needs.
async fn command(port: u16, args: &[&str]) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).await?;
    let mut reply = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut reply))
        .await
        .map_err(|_| std::io::Error::new(ErrorKind::TimedOut, "no reply"))??;
    Ok(String::from_utf8_lossy(&reply[..read]).into_owned())
}
