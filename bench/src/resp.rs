//! Just enough of the Redis protocol (RESP2) for the benchmark's own traffic to the
//! private `redis-server`: one command at a time (`INFO commandstats`, `HGET`), and
//! commands encoded in bulk for a pipelined writer (seeding). Blocking std I/O: it
//! runs between loads, never inside one.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A reply. Nested arrays are read but only their length is kept: no command we
/// send for its content answers with one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<usize>),
}

impl Reply {
    pub fn text(&self) -> Option<String> {
        match self {
            Reply::Simple(text) => Some(text.clone()),
            Reply::Bulk(Some(bytes)) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        }
    }
}

/// Appends one command to `out`, as an array of bulk strings.
pub fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    // Writing to a Vec cannot fail.
    let _ = write!(out, "*{}\r\n", args.len());
    for arg in args {
        let _ = write!(out, "${}\r\n", arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// Reads one reply.
pub fn read_reply(reader: &mut impl BufRead) -> io::Result<Reply> {
    let line = read_line(reader)?;
    let (kind, rest) = line.split_at(1.min(line.len()));
    let number = || rest.parse::<i64>().map_err(|_| invalid(format!("bad length in reply {line:?}")));
    match kind {
        "+" => Ok(Reply::Simple(rest.to_owned())),
        "-" => Ok(Reply::Error(rest.to_owned())),
        ":" => Ok(Reply::Int(number()?)),
        "$" => match usize::try_from(number()?) {
            Err(_) => Ok(Reply::Bulk(None)),
            Ok(len) => {
                let mut bytes = vec![0; len + 2];
                reader.read_exact(&mut bytes)?;
                bytes.truncate(len);
                Ok(Reply::Bulk(Some(bytes)))
            }
        },
        "*" => match usize::try_from(number()?) {
            Err(_) => Ok(Reply::Array(None)),
            Ok(len) => {
                for _ in 0..len {
                    read_reply(reader)?;
                }
                Ok(Reply::Array(Some(len)))
            }
        },
        _ => Err(invalid(format!("unexpected reply {line:?}"))),
    }
}

fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "redis closed the connection"));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// One connection, one command at a time.
pub struct Redis {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Redis {
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        Ok(Self { writer: stream.try_clone()?, reader: BufReader::new(stream) })
    }

    /// Sends a command and reads its reply; a Redis error reply is an `Err`.
    pub fn command(&mut self, args: &[&str]) -> io::Result<Reply> {
        let mut out = Vec::new();
        encode(&mut out, &args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
        self.writer.write_all(&out)?;
        match read_reply(&mut self.reader)? {
            Reply::Error(message) => Err(io::Error::other(format!("{}: {message}", args[0]))),
            reply => Ok(reply),
        }
    }

    /// The two halves, for a pipelined writer with its reader on another thread.
    pub fn split(self) -> (TcpStream, BufReader<TcpStream>) {
        (self.writer, self.reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_commands_as_bulk_arrays() {
        let mut out = Vec::new();
        encode(&mut out, &[b"HGET", b"as:{clients}", b""]);
        assert_eq!(out, b"*3\r\n$4\r\nHGET\r\n$12\r\nas:{clients}\r\n$0\r\n\r\n");
    }

    #[test]
    fn reads_every_kind_of_reply() {
        let wire = b"+OK\r\n-ERR no\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n$1\r\nx\r\n*-1\r\n";
        let mut reader = &wire[..];
        let replies: Vec<Reply> = (0..7).map(|_| read_reply(&mut reader).unwrap()).collect();
        assert_eq!(
            replies,
            vec![
                Reply::Simple("OK".into()),
                Reply::Error("ERR no".into()),
                Reply::Int(42),
                Reply::Bulk(Some(b"abc".to_vec())),
                Reply::Bulk(None),
                Reply::Array(Some(2)),
                Reply::Array(None),
            ]
        );
        assert!(read_reply(&mut reader).is_err(), "nothing left");
    }
}
