//! The Redis protocol (RESP2) as the harness speaks it: a connection to one
//! redis-server on 127.0.0.1, plain or TLS, that sends commands and reads complete
//! replies, raw or parsed. The stores under test use the `redis` crate; the harness
//! keeps its own small client so that what it checks does not depend on that crate.

use std::io::{Error, ErrorKind};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_native_tls::{native_tls, TlsConnector};

/// How long connecting (with the TLS handshake) and one command's exchange may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Where a redis-server listens: a port of 127.0.0.1 and, for a TLS port, the only
/// CA its certificate is checked against.
#[derive(Clone)]
pub struct Endpoint {
    port: u16,
    tls: Option<TlsConnector>,
}

impl Endpoint {
    /// A plain-text port.
    pub fn plain(port: u16) -> Self {
        Endpoint { port, tls: None }
    }

    /// A TLS port whose certificate, for `127.0.0.1`, must chain to `ca_pem`.
    pub fn tls(port: u16, ca_pem: &[u8]) -> Self {
        let ca = native_tls::Certificate::from_pem(ca_pem).expect("a PEM CA certificate");
        let connector = native_tls::TlsConnector::builder()
            .add_root_certificate(ca)
            .disable_built_in_roots(true)
            .build()
            .expect("a TLS connector");
        Endpoint { port, tls: Some(connector.into()) }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

/// A byte stream to Redis: plain TCP or TLS over it.
trait Link: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Link for T {}

/// One open connection; replies are read in order.
pub struct Connection {
    link: Box<dyn Link>,
    /// Bytes read but not yet handed out (the start of the next reply).
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn connect(endpoint: &Endpoint) -> std::io::Result<Self> {
        let connecting = async {
            let tcp = TcpStream::connect(("127.0.0.1", endpoint.port)).await?;
            let link: Box<dyn Link> = match &endpoint.tls {
                None => Box::new(tcp),
                Some(connector) => Box::new(
                    connector
                        .connect("127.0.0.1", tcp)
                        .await
                        .map_err(|e| Error::new(ErrorKind::InvalidData, format!("TLS handshake: {e}")))?,
                ),
            };
            Ok(Connection { link, buffer: Vec::new() })
        };
        tokio::time::timeout(TIMEOUT, connecting)
            .await
            .map_err(|_| Error::new(ErrorKind::TimedOut, "no connection within the timeout"))?
    }

    /// Sends one command without waiting for its reply.
    pub async fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> std::io::Result<()> {
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            let arg = arg.as_ref();
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg);
            request.extend_from_slice(b"\r\n");
        }
        self.link.write_all(&request).await
    }

    /// Reads the next complete reply, however long Redis takes (a `MONITOR` stream
    /// waits for traffic): the caller bounds the wait.
    pub async fn read_raw(&mut self) -> std::io::Result<Vec<u8>> {
        let mut chunk = vec![0; 16 * 1024];
        loop {
            if let Some(length) = reply_length(&self.buffer)? {
                let rest = self.buffer.split_off(length);
                return Ok(std::mem::replace(&mut self.buffer, rest));
            }
            let read = self.link.read(&mut chunk).await?;
            if read == 0 {
                return Err(Error::new(ErrorKind::UnexpectedEof, "redis closed the connection mid-reply"));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }

    /// Reads and parses the next reply.
    pub async fn read(&mut self) -> std::io::Result<Reply> {
        let raw = self.read_raw().await?;
        Ok(parse(&raw)?.map(|(reply, _)| reply).expect("a complete reply parses"))
    }

    /// Sends one command and reads its parsed reply, within the timeout.
    pub async fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> std::io::Result<Reply> {
        let raw = self.command_raw(args).await?;
        Ok(parse(&raw)?.map(|(reply, _)| reply).expect("a complete reply parses"))
    }

    /// Sends one command and reads its reply as Redis sent it, within the timeout.
    pub async fn command_raw<A: AsRef<[u8]>>(&mut self, args: &[A]) -> std::io::Result<Vec<u8>> {
        let exchange = async {
            self.send(args).await?;
            self.read_raw().await
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| Error::new(ErrorKind::TimedOut, "no complete reply"))?
    }
}

/// Connects, runs one command and returns its reply as Redis sent it.
pub async fn command_raw(endpoint: &Endpoint, args: &[&str]) -> std::io::Result<String> {
    let raw = Connection::connect(endpoint).await?.command_raw(args).await?;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

/// Connects, runs one command and returns its parsed reply.
pub async fn command(endpoint: &Endpoint, args: &[&str]) -> std::io::Result<Reply> {
    Connection::connect(endpoint).await?.command(args).await
}

/// A RESP2 reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`
    Status(String),
    /// `-ERR ...`
    Error(String),
    Integer(i64),
    /// `None` for the nil bulk string.
    Bulk(Option<Vec<u8>>),
    /// `None` for the nil array.
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// A status or bulk string as text (lossy), `None` for anything else.
    pub fn text(&self) -> Option<String> {
        match self {
            Reply::Status(text) => Some(text.clone()),
            Reply::Bulk(Some(bytes)) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        }
    }

    /// The elements of an array; empty for a nil array or another reply.
    pub fn items(&self) -> &[Reply] {
        match self {
            Reply::Array(Some(items)) => items,
            _ => &[],
        }
    }

    /// The text of a status or bulk reply; panics, naming `what`, on anything else.
    pub fn expect_text(&self, what: &str) -> String {
        self.text().unwrap_or_else(|| panic!("{what}: expected a string reply, got {self:?}"))
    }
}

/// The length of the first complete reply in `buf`, `None` while incomplete.
fn reply_length(buf: &[u8]) -> std::io::Result<Option<usize>> {
    Ok(parse(buf)?.map(|(_, length)| length))
}

/// The first complete reply in `buf` and its length; `None` while incomplete.
fn parse(buf: &[u8]) -> std::io::Result<Option<(Reply, usize)>> {
    let Some(line_end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let invalid = || Error::new(ErrorKind::InvalidData, format!("not RESP: {:?}", String::from_utf8_lossy(buf)));
    let Some((&kind, line)) = buf[..line_end].split_first() else {
        return Err(invalid());
    };
    let text = String::from_utf8_lossy(line).into_owned();
    let number = || text.parse::<i64>().map_err(|_| invalid());
    let body = line_end + 2;
    let parsed = match kind {
        b'+' => (Reply::Status(text), body),
        b'-' => (Reply::Error(text), body),
        b':' => (Reply::Integer(number()?), body),
        b'$' => match usize::try_from(number()?) {
            Err(_) => (Reply::Bulk(None), body),
            Ok(length) => {
                let end = body + length;
                if buf.len() < end + 2 {
                    return Ok(None);
                }
                (Reply::Bulk(Some(buf[body..end].to_vec())), end + 2)
            }
        },
        b'*' => match usize::try_from(number()?) {
            Err(_) => (Reply::Array(None), body),
            Ok(count) => {
                let mut items = Vec::with_capacity(count.min(1024));
                let mut end = body;
                for _ in 0..count {
                    let Some((item, length)) = parse(&buf[end..])? else {
                        return Ok(None);
                    };
                    items.push(item);
                    end += length;
                }
                (Reply::Array(Some(items)), end)
            }
        },
        _ => return Err(invalid()),
    };
    Ok(Some(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn length(buf: &[u8]) -> Option<usize> {
        reply_length(buf).unwrap()
    }

    #[test]
    fn measures_complete_replies_only() {
        assert_eq!(length(b"+OK\r\n"), Some(5));
        assert_eq!(length(b"+OK"), None);
        assert_eq!(length(b":1\r\n:2\r\n"), Some(4));
        assert_eq!(length(b"$5\r\nhel"), None);
        assert_eq!(length(b"$5\r\nhello\r\n"), Some(11));
        assert_eq!(length(b"$-1\r\n"), Some(5));
        assert_eq!(length(b"*2\r\n$3\r\ndir\r\n$4\r\n/tm"), None);
        assert_eq!(length(b"*2\r\n$3\r\ndir\r\n$4\r\n/tmp\r\n"), Some(23));
    }

    #[test]
    fn parses_nested_replies() {
        let (reply, _) = parse(b"*3\r\n:7\r\n*2\r\n$1\r\na\r\n$-1\r\n-ERR no\r\n").unwrap().unwrap();
        let expected = Reply::Array(Some(vec![
            Reply::Integer(7),
            Reply::Array(Some(vec![Reply::Bulk(Some(b"a".to_vec())), Reply::Bulk(None)])),
            Reply::Error("ERR no".into()),
        ]));
        assert_eq!(reply, expected);
        assert_eq!(reply.items()[1].items()[0].text().as_deref(), Some("a"));
    }

    #[test]
    fn refuses_what_is_not_resp() {
        assert!(parse(b"hello\r\n").is_err());
        assert!(parse(b":x\r\n").is_err());
    }
}
