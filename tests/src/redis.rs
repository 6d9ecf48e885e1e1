//! A private `redis-server` per test: its own port, its own temp dir, no persistence.
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
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--rdbcompression", "no", "--daemonize", "no", "--dir"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone a log file handle"))
            .stderr(log);
        die_with_parent(&mut command);
        let child = command.spawn();
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
        // A PING answered by another redis that holds the port does not count: the
        // server that answers must be our child.
        if outcome.is_ok() {
            outcome = server.answered_by_our_child().await;
        }
        if let Some(status) = server.exited() {
            outcome = Err(format!("exited with {status}"));
        }
        match outcome {
            Ok(()) => Ok(server),
            // Dropping `server` kills our redis-server; the caller tries another port.
            Err(why) => Err(format!("port {port}: {why}; log:\n{}", server.log())),
        }
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
