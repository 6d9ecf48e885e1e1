//! The end user's address behind trusted proxies (`http::client_address`):
//! `AUTH_TRUSTED_PROXIES` and `X-Forwarded-For` values.
//!
//! Must hold: no panic; the answer is the peer or an address that appears in the
//! header, always in canonical form (IPv4-mapped IPv6 as IPv4); splitting the list
//! over several header fields or joining it into one changes nothing (RFC 9110
//! §5.3); an untrusted peer is the answer whatever it sends.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use auth_server::http::TrustedProxies;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Line 1: trusted proxies; line 2: peer; every further line: one header field.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.split('\n');
    let trusted: TrustedProxies = lines
        .next()
        .and_then(|spec| spec.parse().ok())
        .unwrap_or_else(|| "10.0.0.0/8, ::1, 192.0.2.0/24".parse().expect("a valid list"));
    let peer: IpAddr =
        lines.next().and_then(|p| p.trim().parse().ok()).unwrap_or(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    let values: Vec<&str> = lines.collect();

    let answer = trusted.client_address(peer, values.iter().copied());
    assert_eq!(answer, answer.to_canonical());
    let entries: Vec<IpAddr> = values.iter().flat_map(|v| v.split(',')).filter_map(parse_hop).collect();
    assert!(answer == peer.to_canonical() || entries.contains(&answer), "{answer} came from nowhere");

    let joined = values.join(",");
    assert_eq!(trusted.client_address(peer, [joined.as_str()]), answer, "joining the fields changed the answer");

    let untrusted = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
    if trusted.client_address(untrusted, ["198.51.100.1"]) == untrusted {
        assert_eq!(trusted.client_address(untrusted, values.iter().copied()), untrusted);
    }
});

fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let address = entry.parse::<IpAddr>().or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip())).ok()?;
    Some(address.to_canonical())
}
