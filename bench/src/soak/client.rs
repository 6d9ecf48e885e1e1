//! The soak's HTTP client: one keep-alive connection per server and worker, opened
//! again before a request when it sat idle long enough for the server to close it
//! (the servers close idle connections after 5 s), so an idle close never shows up
//! as an error of the server under test.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::http1::Connection;

/// Reopen a connection idle for this long rather than race the server's idle close.
const MAX_IDLE: Duration = Duration::from_secs(2);

/// An answer, owned (the soak's rate is modest; clarity beats zero-copy here).
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub micros: u32,
}

#[derive(Default)]
pub struct Client {
    connections: HashMap<SocketAddr, (Connection, Instant)>,
}

impl Client {
    /// Sends one complete request; `Err` for connection-level failures.
    pub async fn send(&mut self, addr: SocketAddr, request: &[u8]) -> Result<Answer, String> {
        if self.connections.get(&addr).is_some_and(|(_, used)| used.elapsed() > MAX_IDLE) {
            self.connections.remove(&addr);
        }
        let (conn, used) = match self.connections.entry(addr) {
            Entry::Occupied(open) => open.into_mut(),
            Entry::Vacant(slot) => {
                let conn = Connection::connect(addr).await.map_err(|e| format!("connect: {}", e.kind()))?;
                slot.insert((conn, Instant::now()))
            }
        };
        let sent = Instant::now();
        match conn.roundtrip(request).await {
            Ok(response) => {
                let answer = Answer {
                    status: response.status,
                    body: response.body.to_vec(),
                    micros: u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX),
                };
                *used = Instant::now();
                Ok(answer)
            }
            Err(e) => {
                self.connections.remove(&addr);
                Err(format!("io: {}", e.kind()))
            }
        }
    }
}
