//! Redirect URIs: what may be registered, and whether a presented one matches.
//!
//! Registration (RFC 6749 §3.1.2, RFC 9700 §2.6, RFC 8252 §7 and §8.3): an absolute
//! URI without a fragment; `https`, or `http` only for a loopback host
//! (`127.0.0.1`, `[::1]`, `localhost`), or a native app's private-use scheme (one
//! with a period, RFC 8252 §7.1).
//!
//! Matching (RFC 9700 §4.1.3): the presented URI must equal a registered one
//! character for character, except that for a registered loopback IP literal
//! (`http://127.0.0.1...`, `http://[::1]...`) any port is accepted (RFC 8252 §7.3).

use url::{Host, Url};

/// Longest URI accepted at registration.
const MAX_URI_BYTES: usize = 2_000;

/// Checks one URI offered for registration; the error says which rule it breaks.
pub fn check_registration(uri: &str) -> Result<(), String> {
    if uri.len() > MAX_URI_BYTES || uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("redirect URI {uri:.64?} must be at most {MAX_URI_BYTES} bytes, without spaces"));
    }
    let parsed = Url::parse(uri).map_err(|_| format!("redirect URI {uri:?} must be an absolute URI"))?;
    if uri.contains('#') || parsed.fragment().is_some() {
        return Err(format!("redirect URI {uri:?} must not have a fragment (RFC 6749 §3.1.2)"));
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if is_loopback_host(&parsed) => Ok(()),
        "http" => Err(format!("redirect URI {uri:?}: http is only for loopback hosts; use https (RFC 9700 §2.6)")),
        scheme if scheme.contains('.') => Ok(()),
        _ => Err(format!("redirect URI {uri:?} must use https (or http on a loopback host)")),
    }
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain == "localhost",
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    }
}

/// Whether `presented` matches one of `registered`.
pub fn is_registered(registered: &[String], presented: &str) -> bool {
    registered.iter().any(|r| r == presented || loopback_any_port(r, presented))
}

/// The loopback IP rule of RFC 8252 §7.3: equal once the port is taken out of both.
fn loopback_any_port(registered: &str, presented: &str) -> bool {
    let (Some(registered), Some(presented)) = (split_loopback(registered), split_loopback(presented)) else {
        return false;
    };
    registered.host == presented.host && registered.rest == presented.rest
}

struct LoopbackParts<'a> {
    host: &'a str,
    rest: &'a str,
}

/// `http://<loopback IP>[:port]<rest>` split into host and rest, when `uri` has that
/// shape with a valid port (or none).
fn split_loopback(uri: &str) -> Option<LoopbackParts<'_>> {
    let after = uri.strip_prefix("http://")?;
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let host = ["127.0.0.1", "[::1]"].into_iter().find(|h| authority.starts_with(h))?;
    let port = &authority[host.len()..];
    let valid_port = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n > 0)
        });
    valid_port.then_some(LoopbackParts { host, rest })
}

/// The origin (`scheme://host[:port]`, RFC 6454) of a URI, for CORS; `None` for an
/// opaque one (a private-use scheme).
pub fn origin(uri: &str) -> Option<String> {
    let origin = Url::parse(uri).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        for ok in [
            "https://app.example.com/cb",
            "https://app.example.com/cb?tenant=1",
            "http://localhost:8090/callback",
            "http://127.0.0.1/cb",
            "http://[::1]:8000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(check_registration(ok), Ok(()), "{ok}");
        }
        for (bad, rule) in [
            ("/callback", "absolute"),
            ("app.example.com/cb", "absolute"),
            ("https://app.example.com/cb#x", "fragment"),
            ("https://app.example.com/cb#", "fragment"),
            ("http://app.example.com/cb", "loopback"),
            ("http://127.0.0.2/cb", "loopback"),
            ("javascript:alert(1)", "https"),
            ("https://app.example.com/a b", "spaces"),
        ] {
            let err = check_registration(bad).unwrap_err();
            assert!(err.contains(rule), "{bad}: {err}");
        }
    }

    #[test]
    fn matching_is_exact_except_the_loopback_port() {
        let registered = vec!["https://app.example.com/cb".to_owned(), "http://127.0.0.1/cb".to_owned()];
        assert!(is_registered(&registered, "https://app.example.com/cb"));
        for other in [
            "https://app.example.com/cb/",
            "https://app.example.com/cb?x=1",
            "https://app.example.com:8443/cb",
            "https://APP.example.com/cb",
            "https://app.example.com/cb#",
            "https://app.example.com/c",
            "http://app.example.com/cb",
        ] {
            assert!(!is_registered(&registered, other), "{other}");
        }
        assert!(is_registered(&registered, "http://127.0.0.1:51234/cb"));
        assert!(is_registered(&registered, "http://127.0.0.1/cb"));
        for other in
            ["http://127.0.0.1:0/cb", "http://127.0.0.1:99999/cb", "http://127.0.0.1:80/cb/", "http://127.0.0.1:x/cb"]
        {
            assert!(!is_registered(&registered, other), "{other}");
        }
        // localhost is matched exactly (only IP literals get any port).
        let localhost = vec!["http://localhost:8090/callback".to_owned()];
        assert!(!is_registered(&localhost, "http://localhost:8091/callback"));
    }

    #[test]
    fn origins() {
        assert_eq!(origin("https://app.example.com/cb?x").as_deref(), Some("https://app.example.com"));
        assert_eq!(origin("http://localhost:8090/callback").as_deref(), Some("http://localhost:8090"));
        assert_eq!(origin("https://app.example.com:443/cb").as_deref(), Some("https://app.example.com"));
        assert_eq!(origin("com.example.app:/cb"), None);
    }
}
