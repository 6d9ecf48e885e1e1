//! Every command a redis-server executes, as `MONITOR` streams it: one line per
//! command, from a client or from a Lua script, with its arguments quoted.
//!
//! ```text
//! 1796465708.500280 [0 127.0.0.1:46754] "evalsha" "3b1f…" "1" "as:{s:abc}" "jti-1"
//! 1796465708.500372 [0 lua] "HMGET" "as:{s:abc}" "refresh_jti" "previous_jti"
//! ```
//!
//! A script's line comes before the lines of the commands its body runs, and those
//! follow one another (a script runs atomically). `RedisMonitor::start` opens the
//! stream and collects it on a task of its own, so the server never buffers much;
//! `finish` sends a marker on another connection and returns everything logged
//! before it.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::auth::random_key;
use crate::resp::{Connection, Endpoint, Reply};
use crate::RedisServer;

/// How long the stream may take to deliver the marker once it is sent.
const FINISH_TIMEOUT: Duration = Duration::from_secs(60);

/// Who ran a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A client connection, by its `ip:port`.
    Client(String),
    /// The body of the script whose line came last.
    Lua,
}

/// One command as `MONITOR` logged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub source: Source,
    pub args: Vec<Vec<u8>>,
}

impl Logged {
    /// The command's name, upper case (`EVALSHA`, `HSET`).
    pub fn name(&self) -> String {
        self.args.first().map(|name| String::from_utf8_lossy(name).to_ascii_uppercase()).unwrap_or_default()
    }
}

/// A `MONITOR` stream being collected.
pub struct RedisMonitor {
    endpoint: Endpoint,
    marker: String,
    collector: JoinHandle<std::io::Result<Vec<Logged>>>,
}

impl RedisMonitor {
    /// Starts monitoring `redis`: every command it runs from now on is collected.
    pub async fn start(redis: &RedisServer) -> Self {
        let endpoint = redis.endpoint().clone();
        let mut connection = Connection::connect(&endpoint).await.expect("connect to redis for MONITOR");
        let ok = connection.command(&["MONITOR"]).await.expect("MONITOR");
        assert_eq!(ok, Reply::Status("OK".into()), "MONITOR");
        let marker = format!("end-of-monitoring-{}", random_key());
        let collector = tokio::spawn(collect(connection, marker.clone()));
        RedisMonitor { endpoint, marker, collector }
    }

    /// Ends the stream and returns every command logged between [`Self::start`] and now.
    pub async fn finish(self) -> Vec<Logged> {
        let echoed = crate::resp::command(&self.endpoint, &["ECHO", &self.marker]).await.expect("ECHO the marker");
        assert_eq!(echoed.text().as_deref(), Some(self.marker.as_str()), "ECHO");
        let collected = tokio::time::timeout(FINISH_TIMEOUT, self.collector)
            .await
            .unwrap_or_else(|_| panic!("MONITOR did not show the marker within {FINISH_TIMEOUT:?}"));
        collected.expect("the MONITOR task").expect("read the MONITOR stream")
    }
}

/// Reads lines until the marker's `ECHO`.
async fn collect(mut connection: Connection, marker: String) -> std::io::Result<Vec<Logged>> {
    let mut logged = Vec::new();
    loop {
        let line = match connection.read().await? {
            Reply::Status(line) => line,
            other => panic!("MONITOR sent something other than a status line: {other:?}"),
        };
        let entry = parse_line(&line).unwrap_or_else(|why| panic!("{why}"));
        if entry.name() == "ECHO" && entry.args.get(1).is_some_and(|arg| arg == marker.as_bytes()) {
            return Ok(logged);
        }
        logged.push(entry);
    }
}

/// Parses one `MONITOR` line: `<time> [<db> <source>] "arg" "arg" ...`, each argument
/// quoted with `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` and `\xHH` escapes.
pub fn parse_line(line: &str) -> Result<Logged, String> {
    let bad = |what: &str| format!("{what} in the MONITOR line {line:?}");
    let open = line.find('[').ok_or_else(|| bad("no source"))?;
    let close = open + line[open..].find(']').ok_or_else(|| bad("no end of source"))?;
    let source = line[open + 1..close].split_once(' ').map(|(_, source)| source).ok_or_else(|| bad("no db"))?;
    let source = if source == "lua" { Source::Lua } else { Source::Client(source.to_owned()) };
    let mut args = Vec::new();
    let mut rest = &line.as_bytes()[close + 1..];
    loop {
        while let [b' ', tail @ ..] = rest {
            rest = tail;
        }
        let [b'"', tail @ ..] = rest else {
            if rest.is_empty() {
                break;
            }
            return Err(bad("an unquoted argument"));
        };
        let (arg, tail) = unquote(tail).ok_or_else(|| bad("an unterminated argument"))?;
        args.push(arg);
        rest = tail;
    }
    if args.is_empty() {
        return Err(bad("no command"));
    }
    Ok(Logged { source, args })
}

/// The bytes of a quoted argument whose opening quote is consumed, and what follows
/// its closing quote.
fn unquote(mut input: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut out = Vec::new();
    loop {
        match input {
            [b'"', rest @ ..] => return Some((out, rest)),
            [b'\\', b'x', high, low, rest @ ..] => {
                let hex = std::str::from_utf8(&[*high, *low]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())?;
                out.push(hex);
                input = rest;
            }
            [b'\\', escaped, rest @ ..] => {
                out.push(match escaped {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'a' => 0x07,
                    b'b' => 0x08,
                    other => *other,
                });
                input = rest;
            }
            [byte, rest @ ..] => {
                out.push(*byte);
                input = rest;
            }
            [] => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_client_and_script_lines() {
        let client = parse_line(r#"1796465708.500280 [0 127.0.0.1:46754] "evalsha" "ab" "1" "a\"b{t}""#).unwrap();
        assert_eq!(client.source, Source::Client("127.0.0.1:46754".into()));
        assert_eq!(client.name(), "EVALSHA");
        assert_eq!(client.args, [&b"evalsha"[..], b"ab", b"1", b"a\"b{t}"]);
        let script = parse_line(r#"1796465708.500372 [0 lua] "HSET" "k" "f" "\xff\n\\ x""#).unwrap();
        assert_eq!(script.source, Source::Lua);
        assert_eq!(script.args, [&b"HSET"[..], b"k", b"f", b"\xff\n\\ x"]);
        let empty = parse_line(r#"1.0 [3 unix:/tmp/r.sock] "SET" "" "v""#).unwrap();
        assert_eq!(empty.args, [&b"SET"[..], b"", b"v"]);
    }

    #[test]
    fn refuses_broken_lines() {
        for line in ["", "1.0 [0 lua]", r#"1.0 [0 lua] "SET" "k"#, r#"1.0 [0 lua] SET"#, r#"1.0 0 lua "SET""#] {
            assert!(parse_line(line).is_err(), "{line:?}");
        }
    }
}
