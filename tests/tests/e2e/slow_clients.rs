//! Slow clients cannot hold connections: a request head or body trickled a byte at a
//! time is cut off (408, or the connection closed) within a bound, and the servers
//! keep answering everyone else meanwhile.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tests::bootstrap::*;
use tests::{ApiStack, Credentials, Verify};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How often a slow client sends its next byte.
const TRICKLE_INTERVAL: Duration = Duration::from_millis(200);
/// By when a slow client must have been cut off: the servers allow 5 s for a head
/// and 10 s for a body; an unbounded server never cuts it.
const CUT_DEADLINE: Duration = Duration::from_secs(30);
/// Slow connections of each kind held open at once against each server.
const SLOW_CLIENTS: usize = 8;
/// How long a normal request may take while the slow clients trickle.
const ANSWER_DEADLINE: Duration = Duration::from_secs(10);

/// What the server did to a slow client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Answered with this status (and then closed).
    Answered(u16),
    /// Closed the connection without an answer.
    Closed,
}

/// Sends `head`, then one byte of `filler` every [`TRICKLE_INTERVAL`] until the server
/// answers or closes. Panics if it has done neither within [`CUT_DEADLINE`].
async fn trickle(addr: SocketAddr, head: String, filler: u8) -> (Cut, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("send the head");
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    let exchange = async {
        let mut ticker = tokio::time::interval(TRICKLE_INTERVAL);
        loop {
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return status_of(&received).map_or(Cut::Closed, Cut::Answered),
                    Ok(n) => {
                        received.extend_from_slice(&buf[..n]);
                        if let Some(status) = status_of(&received) {
                            return Cut::Answered(status);
                        }
                    }
                },
                _ = ticker.tick() => {
                    if stream.write_all(&[filler]).await.is_err() {
                        // Closed on us; an answer may still be waiting to be read.
                        let mut rest = Vec::new();
                        let _ = tokio::time::timeout(Duration::from_secs(1), stream.read_to_end(&mut rest)).await;
                        received.extend_from_slice(&rest);
                        return status_of(&received).map_or(Cut::Closed, Cut::Answered);
                    }
                }
            }
        }
    };
    match tokio::time::timeout(CUT_DEADLINE, exchange).await {
        Ok(cut) => (cut, started.elapsed()),
        Err(_) => panic!("a slow client to {addr} was still connected after {CUT_DEADLINE:?}: {head:?}"),
    }
}

/// The status of an HTTP/1.1 status line at the start of `bytes`, once complete.
fn status_of(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.split_once("\r\n")?.0;
    line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// A head that never ends: a header value trickled forever.
fn slow_head(path: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
}

/// A complete head announcing a body that then trickles.
fn slow_body(path: &str, content_type: &str, authorization: Option<&str>) -> String {
    let authorization = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n{authorization}\
         Content-Length: 4096\r\n\r\n"
    )
}

fn assert_cut(what: &str, (cut, took): (Cut, Duration)) {
    eprintln!("{what}: {cut:?} after {took:?}");
    assert!(matches!(cut, Cut::Answered(408) | Cut::Closed), "{what}: expected 408 or a close, got {cut:?}");
}

#[tokio::test]
async fn slow_heads_and_bodies_are_cut_off_while_others_are_served() {
    let api = ApiStack::start(Verify::Local).await;
    let login = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    assert_eq!(login.status, 200, "{login:?}");
    let bearer = format!("Bearer {}", login.str("access_token"));
    let auth = api.stack.auth.addr();
    let resource: SocketAddr =
        api.resource.base_url().trim_start_matches("http://").parse().expect("the resource server's address");

    let mut slow = Vec::new();
    for _ in 0..SLOW_CLIENTS {
        slow.push(("auth server, slow head", trickle(auth, slow_head("/oauth2/token"), b'a')));
        let form = slow_body("/oauth2/token", "application/x-www-form-urlencoded", None);
        slow.push(("auth server, slow body", trickle(auth, form, b'a')));
        slow.push(("resource server, slow head", trickle(resource, slow_head("/api/documents"), b'a')));
        let json = slow_body("/api/documents", "application/json", Some(&bearer));
        slow.push(("resource server, slow body", trickle(resource, json, b' ')));
    }
    let (names, futures): (Vec<_>, Vec<_>) = slow.into_iter().unzip();
    let slow = tokio::spawn(futures_util::future::join_all(futures));

    // Meanwhile, everyone else is served as usual.
    tokio::time::sleep(TRICKLE_INTERVAL * 5).await;
    let started = Instant::now();
    let again = api.client.token_password(WEB_APP, ALICE, ALICE_PASSWORD, None).await;
    assert_eq!(again.status, 200, "{again:?}");
    let me = api.api.me(Credentials::Bearer(again.str("access_token"))).await;
    assert_eq!(me.status, 200, "{me:?}");
    let took = started.elapsed();
    eprintln!("a login and an API call took {took:?} while slow clients trickled");
    assert!(took < ANSWER_DEADLINE, "others wait behind slow clients: {took:?}");

    let outcomes = slow.await.expect("the slow clients");
    for (name, outcome) in names.into_iter().zip(outcomes) {
        assert_cut(name, outcome);
    }
}
