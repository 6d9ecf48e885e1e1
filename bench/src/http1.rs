//! A minimal HTTP/1.1 keep-alive client connection, the load generator's wire layer.
//!
//! Like `wrk`, it writes prepared request bytes and parses only the response head
//! (httparse) and its framing (`Content-Length` or chunked). One buffer per
//! connection is reused for every response, so a request costs no allocation here.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MAX_HEADERS: usize = 32;

/// One keep-alive connection to a server on loopback.
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` holding data read from the socket.
    filled: usize,
    /// Bytes of `buf` that belong to the last response returned.
    consumed: usize,
}

/// A response: status and the de-chunked body, borrowed from the connection's buffer
/// until the next request.
pub struct Response<'a> {
    pub status: u16,
    pub body: &'a [u8],
}

impl Connection {
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream, buf: vec![0; 16 * 1024], filled: 0, consumed: 0 })
    }

    /// Writes `request` (a complete HTTP/1.1 request) and reads one response.
    pub async fn roundtrip(&mut self, request: &[u8]) -> io::Result<Response<'_>> {
        // Drop the previous response, keeping anything that followed it.
        self.buf.copy_within(self.consumed..self.filled, 0);
        self.filled -= self.consumed;
        self.consumed = 0;
        self.stream.write_all(request).await?;
        let (status, head_len, framing) = self.read_head().await?;
        let body_end = match framing {
            Framing::Length(length) => {
                self.fill_to(head_len + length).await?;
                self.consumed = head_len + length;
                head_len + length
            }
            Framing::Chunked => {
                let (body_end, consumed) = self.dechunk(head_len).await?;
                self.consumed = consumed;
                body_end
            }
        };
        Ok(Response { status, body: &self.buf[head_len..body_end] })
    }

    async fn read_head(&mut self) -> io::Result<(u16, usize, Framing)> {
        loop {
            if self.filled > 0 {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut headers);
                match response.parse(&self.buf[..self.filled]) {
                    Ok(httparse::Status::Complete(head_len)) => {
                        let status = response.code.unwrap_or(0);
                        return Ok((status, head_len, Framing::of(response.headers)?));
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
                }
            }
            self.read_more().await?;
        }
    }

    /// Reads until `buf[..end]` is filled.
    async fn fill_to(&mut self, end: usize) -> io::Result<()> {
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        while self.filled < end {
            self.read_more().await?;
        }
        Ok(())
    }

    async fn read_more(&mut self) -> io::Result<()> {
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let read = self.stream.read(&mut self.buf[self.filled..]).await?;
        if read == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed by the server"));
        }
        self.filled += read;
        Ok(())
    }

    /// Decodes a chunked body in place, from `head_len` on. Returns (body end, bytes
    /// consumed). Trailers are not supported (our servers send none).
    async fn dechunk(&mut self, head_len: usize) -> io::Result<(usize, usize)> {
        let mut cursor = head_len;
        let mut out = head_len;
        loop {
            let line_end = loop {
                if let Some(at) = find_crlf(&self.buf[cursor..self.filled]) {
                    break cursor + at;
                }
                self.read_more().await?;
            };
            let size_text = std::str::from_utf8(&self.buf[cursor..line_end]).unwrap_or("");
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            let data_start = line_end + 2;
            self.fill_to(data_start + size + 2).await?;
            if size == 0 {
                return Ok((out, data_start + 2));
            }
            self.buf.copy_within(data_start..data_start + size, out);
            out += size;
            cursor = data_start + size + 2;
        }
    }
}

enum Framing {
    Length(usize),
    Chunked,
}

impl Framing {
    fn of(headers: &[httparse::Header<'_>]) -> io::Result<Self> {
        for header in headers {
            if header.name.eq_ignore_ascii_case("content-length") {
                let length = std::str::from_utf8(header.value).ok().and_then(|v| v.trim().parse().ok());
                return length
                    .map(Framing::Length)
                    .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"));
            }
            if header.name.eq_ignore_ascii_case("transfer-encoding") {
                return Ok(Framing::Chunked);
            }
        }
        Ok(Framing::Length(0))
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

/// Builds a complete request. `headers` are full lines without CRLF.
pub fn request(method: &str, addr: SocketAddr, path: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n").as_bytes());
    for header in headers {
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if method != "GET" || !body.is_empty() {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}
