//! Free TCP ports on the loopback interface.

use std::net::{Ipv4Addr, TcpListener};

/// A port the OS considers free right now: bind 127.0.0.1:0, read the port, release it.
/// Another process may take it before we use it, so callers retry on failure.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address of a bound socket").port()
}

/// `count` distinct ports the OS considers free right now (held together while
/// probed, so none is handed out twice); the same caveat as [`free_port`] applies.
pub fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> =
        (0..count).map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0")).collect();
    listeners.iter().map(|listener| listener.local_addr().expect("local address of a bound socket").port()).collect()
}
