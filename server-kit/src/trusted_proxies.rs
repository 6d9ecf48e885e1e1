//! The end user's address (the auth server's per-address login throttle uses it): the
//! socket's peer, or, when the peer is a trusted proxy (`AUTH_TRUSTED_PROXIES`), the
//! address the proxies forwarded in `X-Forwarded-For`.
//!
//! Each proxy appends the peer it saw to `X-Forwarded-For`, so only the right end of
//! the list is vouched for. It is walked from the right, skipping trusted proxies: the
//! first address that is not one is the client. What a client wrote into the header
//! itself lies to the left of that and is never read. An entry that does not parse
//! stops the walk at the trusted hop that passed it on; empty entries are skipped.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// Addresses and CIDR ranges of the proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// Comma-separated addresses (`10.0.0.7`, `::1`) or CIDR ranges (`10.0.0.0/8`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                IpNet::from_str(entry)
                    .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| format!("{entry:?} is not an IP address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    /// Whether headers set by `peer` (the socket's peer) are believed.
    pub fn trusts_peer(&self, peer: IpAddr) -> bool {
        self.trusts(peer)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`, given the request's `X-Forwarded-For` values in
    /// header order.
    pub fn client_address<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let values: Vec<&str> = forwarded_for.into_iter().collect();
        let mut nearest = peer;
        let entries = values.iter().rev().flat_map(|value| value.rsplit(',')).map(str::trim);
        for entry in entries.filter(|entry| !entry.is_empty()) {
            let Some(hop) = parse_hop(entry) else { return nearest };
            nearest = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        nearest
    }
}

/// `192.0.2.1`, `2001:db8::1`, or either with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`), which some proxies add.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let address = IpAddr::from_str(entry).or_else(|_| SocketAddr::from_str(entry).map(|s| s.ip())).ok()?;
    Some(address.to_canonical())
}

/// The request's client address; `None` when the socket's peer is unknown.
pub fn client_address(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let forwarded_for = req.headers().get_all("x-forwarded-for").filter_map(|value| value.to_str().ok());
    Some(trusted.client_address(peer, forwarded_for))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_ranges() {
        let proxies: TrustedProxies = " 10.0.0.0/8, 192.0.2.7 ,::1,2001:db8::/32".parse().unwrap();
        assert!(proxies.trusts(ip("10.1.2.3")));
        assert!(proxies.trusts(ip("192.0.2.7")));
        assert!(!proxies.trusts(ip("192.0.2.8")));
        assert!(proxies.trusts(ip("::1")));
        assert!(proxies.trusts(ip("2001:db8:ffff::1")));
        assert!(proxies.trusts(ip("::ffff:10.0.0.1")), "IPv4-mapped addresses are IPv4");
        assert_eq!("".parse::<TrustedProxies>(), Ok(TrustedProxies::default()));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.example".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        assert_eq!(proxies.client_address(ip("192.0.2.1"), ["198.51.100.9"]), ip("192.0.2.1"));
        let none = TrustedProxies::default();
        assert_eq!(none.client_address(ip("127.0.0.1"), ["198.51.100.9"]), ip("127.0.0.1"));
    }

    #[test]
    fn walks_from_the_right_skipping_trusted_hops() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let peer = ip("10.0.0.1");
        // The client's own claim (203.0.113.66) is left of what the proxies saw.
        let header = ["203.0.113.66, 198.51.100.9, 10.0.0.2", "10.0.0.3"];
        assert_eq!(proxies.client_address(peer, header), ip("198.51.100.9"));
        assert_eq!(proxies.client_address(peer, ["198.51.100.9:4711"]), ip("198.51.100.9"));
        assert_eq!(proxies.client_address(peer, ["[2001:db8::9]:4711"]), ip("2001:db8::9"));
        // No header: the proxy itself; only proxies: the leftmost.
        assert_eq!(proxies.client_address(peer, []), peer);
        assert_eq!(proxies.client_address(peer, ["10.0.0.9, 10.0.0.8"]), ip("10.0.0.9"));
        // Garbage stops the walk at the trusted hop that passed it on.
        assert_eq!(proxies.client_address(peer, ["198.51.100.9, junk, 10.0.0.2"]), ip("10.0.0.2"));
        assert_eq!(proxies.client_address(peer, ["unknown"]), peer);
        assert_eq!(proxies.client_address(peer, ["198.51.100.9, ", ""]), ip("198.51.100.9"));
    }
}
