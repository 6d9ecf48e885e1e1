//! A private `redis-server` per test: its own port, its own temp dir, no persistence
//! unless asked for ([`RedisServer::start_persistent`]: an append-only file, so the
//! server can be killed and restarted on the same port and dir with its data).
//!
//! A free port may be taken by someone else between our probe and redis binding it;
//! another redis-server there would answer our `PING`. So a server only counts as
//! ours once `INFO server` reports our child's `process_id`; otherwise ours is killed
//! and another port tried.

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
use crate::process::die_with_parent;

/// How long one redis-server may take to answer `PING`.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How many ports to try before giving up (another process may grab a free port).
const ATTEMPTS: usize = 5;

/// A running `redis-server`, killed on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    dir: TempDir,
    /// Started with an append-only file, fsynced on every write.
    persistent: bool,
}

impl RedisServer {
    /// Starts a redis-server on a free port of 127.0.0.1 and waits until it answers `PING`.
    /// Panics if `redis-server` is not installed: the Redis tests are never skipped.
    pub async fn start() -> Self {
        Self::start_inner(false).await
    }

    /// Like [`Self::start`], with every write in an append-only file fsynced before
    /// it is acknowledged: what was answered survives [`Self::kill`] and
    /// [`Self::restart`].
    pub async fn start_persistent() -> Self {
        Self::start_inner(true).await
    }

    async fn start_inner(persistent: bool) -> Self {
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            let dir = tempfile::Builder::new().prefix("e2e-redis-").tempdir().expect("create a temp dir");
            match Self::try_start(free_port(), dir, persistent).await {
                Ok(server) => return server,
                Err(failure) => failures.push(failure),
            }
        }
        panic!("redis-server did not come up after {ATTEMPTS} attempts:\n{}", failures.join("\n"));
    }

    async fn try_start(port: u16, dir: TempDir, persistent: bool) -> Result<Self, String> {
        let child = spawn(port, dir.path(), persistent);
        let mut server = RedisServer { child, port, dir, persistent };
        match server.wait_until_up().await {
            Ok(()) => Ok(server),
            // Dropping `server` kills our redis-server; the caller tries another port.
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
        self.child = spawn(self.port, self.dir.path(), self.persistent);
        if let Err(why) = self.wait_until_up().await {
            panic!("redis-server did not restart on port {}: {why}; log:\n{}", self.port, self.log());
        }
    }

    /// Waits for `PING`, then checks that the server answering is our child.
    async fn wait_until_up(&mut self) -> Result<(), String> {
        let port = self.port;
        let server = self;
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
        let info = command(self.port, &["INFO", "server"]).await.map_err(|e| format!("INFO server: {e}"))?;
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

/// Starts `redis-server` on `port` with its files (and log, appended to) in `dir`.
fn spawn(port: u16, dir: &Path, persistent: bool) -> Child {
    let log = File::options().create(true).append(true).open(dir.join("redis.log")).expect("open the redis log");
    let mut command = Command::new("redis-server");
    command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""]);
    if persistent {
        command.args(["--appendonly", "yes", "--appendfsync", "always"]);
    } else {
        command.args(["--appendonly", "no"]);
    }
    command
        .args(["--rdbcompression", "no", "--daemonize", "no", "--dir"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone a log file handle"))
        .stderr(log);
    die_with_parent(&mut command);
    match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            panic!("redis-server not found: install it (apt-get install -y redis-server)")
        }
        Err(e) => panic!("cannot start redis-server: {e}"),
    }
}

async fn ping(port: u16) -> bool {
    matches!(command(port, &["PING"]).await, Ok(reply) if reply.starts_with("+PONG"))
}

/// How long one command may take, connection to complete reply.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends one RESP command and reads one complete reply (a status, an error, an
/// integer, a bulk string or an array of them), returned raw.
async fn command(port: u16, args: &[&str]) -> std::io::Result<String> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).await?;
        let mut reply = Vec::new();
        let mut chunk = vec![0; 8192];
        loop {
            if let Some(length) = reply_length(&reply) {
                reply.truncate(length);
                return Ok(String::from_utf8_lossy(&reply).into_owned());
            }
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(std::io::Error::new(ErrorKind::UnexpectedEof, "redis closed the connection mid-reply"));
            }
            reply.extend_from_slice(&chunk[..read]);
        }
    };
    tokio::time::timeout(COMMAND_TIMEOUT, exchange)
        .await
        .map_err(|_| std::io::Error::new(ErrorKind::TimedOut, "no complete reply"))?
}

/// The length of the first complete RESP2 reply in `buf`, or `None` while incomplete.
/// A reply that does not parse counts as complete as it is (the caller shows it).
fn reply_length(buf: &[u8]) -> Option<usize> {
    let line_end = buf.windows(2).position(|w| w == b"\r\n")?;
    let body = line_end + 2;
    let count = || std::str::from_utf8(&buf[1..line_end]).ok()?.parse::<i64>().ok();
    match buf[0] {
        b'+' | b'-' | b':' => Some(body),
        b'$' => match count() {
            Some(length) if length >= 0 => {
                let end = body + usize::try_from(length).ok()? + 2;
                (buf.len() >= end).then_some(end)
            }
            _ => Some(body),
        },
        b'*' => match count() {
            Some(items) if items >= 0 => {
                let mut end = body;
                for _ in 0..items {
                    end += reply_length(&buf[end..])?;
                }
                Some(end)
            }
            _ => Some(body),
        },
        _ => Some(buf.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::reply_length;

    #[test]
    fn measures_complete_replies_only() {
        assert_eq!(reply_length(b"+OK\r\n"), Some(5));
        assert_eq!(reply_length(b"+OK"), None);
        assert_eq!(reply_length(b":1\r\n:2\r\n"), Some(4));
        assert_eq!(reply_length(b"$5\r\nhel"), None);
        assert_eq!(reply_length(b"$5\r\nhello\r\n"), Some(11));
        assert_eq!(reply_length(b"$-1\r\n"), Some(5));
        assert_eq!(reply_length(b"*2\r\n$3\r\ndir\r\n$4\r\n/tm"), None);
        assert_eq!(reply_length(b"*2\r\n$3\r\ndir\r\n$4\r\n/tmp\r\n"), Some(23));
    }
}
