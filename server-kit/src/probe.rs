//! `<binary> healthcheck`: asks the running server's own `/readyz` and exits 0 when it
//! answers 200. Container health checks (`HEALTHCHECK CMD ["auth-server",
//! "healthcheck"]`) then need no curl or shell in the image.
//!
//! The address comes from the same environment variable the server binds with, so
//! the probe follows the container's configuration; an unspecified host (`0.0.0.0`,
//! `[::]`) is asked on loopback.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(3);

/// Runs the probe when the first argument is `healthcheck`; `None` otherwise, and the
/// binary starts as usual. `bind_env` names the variable holding the listener that
/// serves `/readyz`, `default_bind` its default.
pub fn run_if_invoked(bind_env: &str, default_bind: &str) -> Option<ExitCode> {
    if std::env::args_os().nth(1).is_none_or(|arg| arg != "healthcheck") {
        return None;
    }
    let bind = std::env::var(bind_env).unwrap_or_else(|_| default_bind.to_owned());
    Some(match ready(&bind) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("not ready: {why}");
            ExitCode::FAILURE
        }
    })
}

/// GET /readyz on the listener bound at `bind`.
fn ready(bind: &str) -> Result<(), String> {
    let addr = probe_address(bind)?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("{addr}: {e}"))?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    write!(stream, "GET /readyz HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut status_line = [0u8; 12];
    stream.read_exact(&mut status_line).map_err(|e| format!("{addr}: {e}"))?;
    match &status_line {
        b"HTTP/1.0 200" | b"HTTP/1.1 200" => Ok(()),
        other => Err(format!("{addr} answered {:?}", String::from_utf8_lossy(other))),
    }
}

/// The address to connect to for a bind address: loopback for an unspecified host.
fn probe_address(bind: &str) -> Result<SocketAddr, String> {
    let mut addr = bind
        .to_socket_addrs()
        .map_err(|e| format!("{bind:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{bind:?} names no address"))?;
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        IpAddr::V6(ip) if ip.is_unspecified() => addr.set_ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        _ => {}
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn an_unspecified_host_is_asked_on_loopback() {
        assert_eq!(probe_address("0.0.0.0:9080").unwrap(), "127.0.0.1:9080".parse().unwrap());
        assert_eq!(probe_address("[::]:9080").unwrap(), "[::1]:9080".parse().unwrap());
        assert_eq!(probe_address("10.1.2.3:9080").unwrap(), "10.1.2.3:9080".parse().unwrap());
        assert!(probe_address("no port").is_err());
    }

    /// Serves one connection with `reply` and returns the listener's address.
    fn one_reply(reply: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 256];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(reply.as_bytes());
        });
        addr
    }

    #[test]
    fn only_a_200_is_ready() {
        assert_eq!(ready(&one_reply("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")), Ok(()));
        let refused = ready(&one_reply("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"));
        assert!(refused.unwrap_err().contains("503"));
    }

    #[test]
    fn nothing_listening_is_not_ready() {
        let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        assert!(ready(&addr.to_string()).is_err());
    }
}
