//! A TCP relay on 127.0.0.1 standing where a load balancer or a network link would: it
//! forwards each connection to a backend chosen when the connection arrives, and can
//! cut, slow down or silently hold the link to simulate network faults.
//!
//! ```text
//! resource server ──► Relay (the issuer's address) ──► auth-server replica 1 or 2
//! Relay::start()          listens; refuses connections until routed (its URL can be
//!                         an auth server's `AUTH_ISSUER` before that server starts)
//! Relay::route_to(addr)   new connections go to `addr`; open ones stay where they are
//! Relay::balance(addrs)   new connections take turns; a backend refusing connections
//!                         is skipped (a load balancer's passive health check)
//! Relay::cut()            closes every open connection and refuses new ones
//! Relay::delay(d)         every chunk forwarded, either way, waits `d` first
//! Relay::hold(direction)  bytes one way are held back, connections stay open: a
//!                         partition neither end can see; `release()` delivers them
//! ```
//!
//! Runs on the test's Tokio runtime: it forwards while the test awaits.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

/// Which way bytes travel through the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the connecting client to the backend (requests).
    ToBackend,
    /// From the backend back to the client (responses, event streams).
    ToClient,
}

/// How the link behaves now; open connections follow changes at once.
#[derive(Clone, Copy, Debug, Default)]
struct Conditions {
    delay: Duration,
    hold_to_backend: bool,
    hold_to_client: bool,
}

impl Conditions {
    fn holds(&self, direction: Direction) -> bool {
        match direction {
            Direction::ToBackend => self.hold_to_backend,
            Direction::ToClient => self.hold_to_client,
        }
    }
}

#[derive(Default)]
struct Routing {
    /// Where new connections go, taking turns; empty while cut.
    backends: Vec<SocketAddr>,
    /// The backend the next connection tries first.
    next: usize,
    /// The forwarding tasks of open connections.
    open: Vec<AbortHandle>,
}

/// A running relay; stops (closing every connection) on drop.
pub struct Relay {
    addr: SocketAddr,
    routing: Arc<Mutex<Routing>>,
    conditions: watch::Sender<Conditions>,
    acceptor: JoinHandle<()>,
}

impl Relay {
    /// Listens on a free port of 127.0.0.1, refusing connections until [`Self::route_to`].
    pub async fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind the relay");
        let addr = listener.local_addr().expect("the relay's address");
        let routing = Arc::new(Mutex::new(Routing::default()));
        let (conditions, _) = watch::channel(Conditions::default());
        let acceptor = tokio::spawn(accept(listener, routing.clone(), conditions.clone()));
        Relay { addr, routing, conditions, acceptor }
    }

    /// `http://127.0.0.1:PORT`: the URL clients use instead of the backend's.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on (for a non-HTTP backend such as Redis).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// New connections go to `backend`; open connections are left alone.
    pub fn route_to(&self, backend: SocketAddr) {
        self.balance(&[backend]);
    }

    /// New connections go to each of `backends` in turn; one that refuses the
    /// connection (a process that died) is skipped for the next. Open connections are
    /// left alone.
    pub fn balance(&self, backends: &[SocketAddr]) {
        let mut routing = self.lock();
        routing.backends = backends.to_vec();
        routing.next = 0;
    }

    /// Closes every open connection and refuses new ones until [`Self::route_to`].
    pub fn cut(&self) {
        let mut routing = self.lock();
        routing.backends.clear();
        for connection in routing.open.drain(..) {
            connection.abort();
        }
    }

    /// Every chunk forwarded from now on, in either direction, waits `delay` first
    /// (`Duration::ZERO` removes the delay).
    pub fn delay(&self, delay: Duration) {
        self.conditions.send_modify(|c| c.delay = delay);
    }

    /// Holds back every byte travelling in `direction`, on open and new connections,
    /// which stay open: nothing tells either end that the link is gone.
    pub fn hold(&self, direction: Direction) {
        self.conditions.send_modify(|c| match direction {
            Direction::ToBackend => c.hold_to_backend = true,
            Direction::ToClient => c.hold_to_client = true,
        });
    }

    /// Ends every [`Self::hold`]: what was held back is delivered.
    pub fn release(&self) {
        self.conditions.send_modify(|c| {
            c.hold_to_backend = false;
            c.hold_to_client = false;
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Routing> {
        self.routing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.cut();
    }
}

async fn accept(listener: TcpListener, routing: Arc<Mutex<Routing>>, conditions: watch::Sender<Conditions>) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else { continue };
        let mut routing_now = routing.lock().unwrap_or_else(PoisonError::into_inner);
        // While cut, the connection is dropped at once: the client sees it closed.
        if routing_now.backends.is_empty() {
            continue;
        }
        // The backends in the order this connection tries them.
        let first = routing_now.next % routing_now.backends.len();
        routing_now.next = first + 1;
        let mut backends = routing_now.backends.clone();
        backends.rotate_left(first);
        routing_now.open.retain(|task| !task.is_finished());
        let task = tokio::spawn(forward(inbound, backends, conditions.subscribe()));
        routing_now.open.push(task.abort_handle());
    }
}

/// Connects to the first backend that accepts, then pumps both ways until both ends
/// have finished (or either fails).
async fn forward(inbound: TcpStream, backends: Vec<SocketAddr>, conditions: watch::Receiver<Conditions>) {
    let mut outbound = None;
    for backend in backends {
        if let Ok(stream) = TcpStream::connect(backend).await {
            outbound = Some(stream);
            break;
        }
    }
    let Some(outbound) = outbound else { return };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    let (client_read, client_write) = inbound.into_split();
    let (backend_read, backend_write) = outbound.into_split();
    let _ = tokio::try_join!(
        pump(client_read, backend_write, Direction::ToBackend, conditions.clone()),
        pump(backend_read, client_write, Direction::ToClient, conditions),
    );
}

/// Copies one direction chunk by chunk, each chunk waiting while the direction is held
/// and for the delay; at end of stream, passes the end on (half-close).
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    direction: Direction,
    mut conditions: watch::Receiver<Conditions>,
) -> std::io::Result<()> {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let read = from.read(&mut buffer).await?;
        if read == 0 {
            return to.shutdown().await;
        }
        let now = match conditions.wait_for(|c| !c.holds(direction)).await {
            Ok(now) => *now,
            // The relay is gone: so is the link.
            Err(_) => return Ok(()),
        };
        if !now.delay.is_zero() {
            tokio::time::sleep(now.delay).await;
        }
        to.write_all(&buffer[..read]).await?;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// An echo server on a free port of 127.0.0.1; it stops with the runtime.
    async fn echo() -> SocketAddr {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.into_split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        addr
    }

    /// A port nothing listens on (bound, then released).
    async fn dead() -> SocketAddr {
        TcpListener::bind(("127.0.0.1", 0)).await.unwrap().local_addr().unwrap()
    }

    async fn round_trip(stream: &mut TcpStream, message: &[u8]) -> Vec<u8> {
        stream.write_all(message).await.unwrap();
        let mut answer = vec![0; message.len()];
        stream.read_exact(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn balancing_skips_a_backend_that_refuses() {
        let relay = Relay::start().await;
        relay.balance(&[dead().await, echo().await]);
        for _ in 0..3 {
            let mut stream = TcpStream::connect(relay.addr()).await.unwrap();
            assert_eq!(round_trip(&mut stream, b"ping").await, b"ping");
        }
    }

    #[tokio::test]
    async fn a_delay_slows_every_chunk_of_open_connections() {
        let relay = Relay::start().await;
        relay.route_to(echo().await);
        let mut stream = TcpStream::connect(relay.addr()).await.unwrap();
        assert_eq!(round_trip(&mut stream, b"before").await, b"before");
        let delay = Duration::from_millis(200);
        relay.delay(delay);
        let started = Instant::now();
        assert_eq!(round_trip(&mut stream, b"slow").await, b"slow");
        // Once each way.
        assert!(started.elapsed() >= 2 * delay, "answered after {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_held_direction_delivers_nothing_until_released() {
        let relay = Relay::start().await;
        relay.route_to(echo().await);
        let mut stream = TcpStream::connect(relay.addr()).await.unwrap();
        relay.hold(Direction::ToClient);
        stream.write_all(b"held").await.unwrap();
        let mut answer = [0; 4];
        let early = tokio::time::timeout(Duration::from_millis(300), stream.read_exact(&mut answer)).await;
        assert!(early.is_err(), "nothing comes back while held");
        relay.release();
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut answer)).await.unwrap().unwrap();
        assert_eq!(&answer, b"held", "what was held is delivered on release");
    }

    #[tokio::test]
    async fn a_cut_closes_open_connections_and_refuses_new_ones() {
        let relay = Relay::start().await;
        relay.route_to(echo().await);
        let mut open = TcpStream::connect(relay.addr()).await.unwrap();
        assert_eq!(round_trip(&mut open, b"up").await, b"up");
        relay.cut();
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), open.read_to_end(&mut rest)).await.unwrap();
        assert!(read.is_err() || rest.is_empty(), "the open connection is closed");
        let mut new = TcpStream::connect(relay.addr()).await.unwrap();
        let read = tokio::time::timeout(Duration::from_secs(10), new.read_to_end(&mut rest)).await.unwrap();
        assert!(read.is_err() || rest.is_empty(), "a new connection is closed at once");
    }
}
