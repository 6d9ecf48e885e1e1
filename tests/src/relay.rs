//! A TCP relay on 127.0.0.1 standing where a load balancer would: it forwards each
//! connection to the backend chosen when the connection arrives, and can cut every
//! connection to simulate a network outage.
//!
//! ```text
//! resource server ──► Relay (the issuer's address) ──► auth-server replica 1 or 2
//! Relay::start()          listens; refuses connections until routed (its URL can be
//!                         an auth server's `AUTH_ISSUER` before that server starts)
//! Relay::route_to(addr)   new connections go to `addr`; open ones stay where they are
//! Relay::cut()            closes every open connection and refuses new ones
//! ```
//!
//! Runs on the test's Tokio runtime: it forwards while the test awaits.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

#[derive(Default)]
struct Routing {
    /// Where new connections go; `None` while cut.
    backend: Option<SocketAddr>,
    /// The forwarding tasks of open connections.
    open: Vec<AbortHandle>,
}

/// A running relay; stops (closing every connection) on drop.
pub struct Relay {
    addr: SocketAddr,
    routing: Arc<Mutex<Routing>>,
    acceptor: JoinHandle<()>,
}

impl Relay {
    /// Listens on a free port of 127.0.0.1, refusing connections until [`Self::route_to`].
    pub async fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind the relay");
        let addr = listener.local_addr().expect("the relay's address");
        let routing = Arc::new(Mutex::new(Routing::default()));
        let acceptor = tokio::spawn(accept(listener, routing.clone()));
        Relay { addr, routing, acceptor }
    }

    /// `http://127.0.0.1:PORT`: the URL clients use instead of the backend's.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// New connections go to `backend`; open connections are left alone.
    pub fn route_to(&self, backend: SocketAddr) {
        self.lock().backend = Some(backend);
    }

    /// Closes every open connection and refuses new ones until [`Self::route_to`].
    pub fn cut(&self) {
        let mut routing = self.lock();
        routing.backend = None;
        for connection in routing.open.drain(..) {
            connection.abort();
        }
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

async fn accept(listener: TcpListener, routing: Arc<Mutex<Routing>>) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else { continue };
        let mut routing_now = routing.lock().unwrap_or_else(PoisonError::into_inner);
        // While cut, the connection is dropped at once: the client sees it closed.
        let Some(backend) = routing_now.backend else { continue };
        routing_now.open.retain(|task| !task.is_finished());
        let task = tokio::spawn(forward(inbound, backend));
        routing_now.open.push(task.abort_handle());
    }
}

async fn forward(mut inbound: TcpStream, backend: SocketAddr) {
    if let Ok(mut outbound) = TcpStream::connect(backend).await {
        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
    }
}
