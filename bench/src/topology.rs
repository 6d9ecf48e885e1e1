//! The processes under test, as `bench/run.sh` started them: a name, a loopback
//! address and a pid (for memory). Only 127.0.0.1 is ever a target.

use std::net::{Ipv4Addr, SocketAddr};

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub addr: SocketAddr,
    pub pid: u32,
}

impl Service {
    /// Parses `NAME=http://127.0.0.1:PORT@PID`. Refuses any other host.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, rest) = text.split_once('=').ok_or("expected NAME=http://127.0.0.1:PORT@PID")?;
        let (url, pid) = rest.rsplit_once('@').ok_or("expected ...@PID")?;
        let authority = url.strip_prefix("http://").ok_or("only http:// URLs")?.trim_end_matches('/');
        let addr: SocketAddr = authority.parse().map_err(|_| format!("not an IP:port: {authority}"))?;
        if addr.ip() != Ipv4Addr::LOCALHOST {
            return Err(format!("{addr}: the benchmark only targets 127.0.0.1"));
        }
        let pid = pid.parse().map_err(|_| format!("not a pid: {pid}"))?;
        Ok(Self { name: name.to_owned(), addr, pid })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Everything the run talks to.
#[derive(Debug, Clone)]
pub struct Topology {
    pub auth: Service,
    /// Local-mode resource servers (the first one is the one loaded).
    pub rs_local: Vec<Service>,
    pub rs_introspect: Service,
    pub empty: Service,
    pub verify: Service,
    pub peer: Option<Service>,
    /// Why there is no peer, when there is none.
    pub peer_missing: Option<String>,
    /// Processes watched for memory only (Redis).
    pub others: Vec<Service>,
}

impl Topology {
    /// Every process with its name, for memory readings.
    pub fn processes(&self) -> Vec<&Service> {
        let mut all = vec![&self.auth];
        all.extend(&self.rs_local);
        all.extend([&self.rs_introspect, &self.empty, &self.verify]);
        all.extend(&self.peer);
        all.extend(&self.others);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_loopback_services_only() {
        let s = Service::parse("auth=http://127.0.0.1:8080@42").unwrap();
        assert_eq!((s.name.as_str(), s.addr.port(), s.pid), ("auth", 8080, 42));
        assert!(Service::parse("x=http://10.0.0.1:80@1").is_err());
        assert!(Service::parse("x=http://localhost:80@1").is_err());
    }
}
