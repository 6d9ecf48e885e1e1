//! `bench-tool balance`: a round-robin TCP relay standing in for the load balancer in
//! front of several auth-server replicas. The issuer URL points here, so resource
//! servers reach every replica (metadata, JWKS, introspection, the revocation feed)
//! the way they would behind a real balancer: one replica per connection, in turn.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

/// Listens on `bind` (loopback only) and relays each connection to the next of `to`.
pub async fn serve(bind: &str, to: Vec<SocketAddr>) -> std::io::Result<()> {
    if to.is_empty() || to.iter().any(|a| !a.ip().is_loopback()) {
        return Err(std::io::Error::other("balance: give one or more 127.0.0.1 targets"));
    }
    let listener = TcpListener::bind(bind).await?;
    if !listener.local_addr()?.ip().is_loopback() {
        return Err(std::io::Error::other("balance: listen on 127.0.0.1 only"));
    }
    println!("listening on http://{}", listener.local_addr()?);
    let to = Arc::new(to);
    let turn = Arc::new(AtomicUsize::new(0));
    loop {
        let (mut inbound, _) = listener.accept().await?;
        let target = to[turn.fetch_add(1, Ordering::Relaxed) % to.len()];
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(target).await {
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}
