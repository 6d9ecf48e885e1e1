//! Moving an endpoint URL from under an auth server's public issuer URL onto the URL a
//! service reaches it on (behind a gateway, in a container network): RFC 8414 metadata
//! announces every endpoint under the issuer (§3.3), which may not resolve from there.

use url::Url;

/// `endpoint` moved from under `issuer` to under `auth_url`: the same path after the
/// issuer's, and the same query. `None` when `endpoint` is not under the issuer: another
/// origin, or a path outside the issuer's (compared segment by segment, so `/t1` is not
/// under `/t`). A trailing slash on either base is ignored.
///
/// `http://localhost:8080/jwks.json` with issuer `http://localhost:8080` and auth URL
/// `http://gateway:8080` becomes `http://gateway:8080/jwks.json`.
pub fn rebase_endpoint(endpoint: &Url, issuer: &Url, auth_url: &Url) -> Option<Url> {
    if endpoint.origin() != issuer.origin() {
        return None;
    }
    let rest = endpoint.path().strip_prefix(issuer.path().trim_end_matches('/'))?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let mut rebased = auth_url.clone();
    rebased.set_path(&format!("{}{rest}", auth_url.path().trim_end_matches('/')));
    rebased.set_query(endpoint.query());
    rebased.set_fragment(None);
    Some(rebased)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebase(endpoint: &str, issuer: &str, auth_url: &str) -> Option<String> {
        let url = |text: &str| Url::parse(text).unwrap();
        rebase_endpoint(&url(endpoint), &url(issuer), &url(auth_url)).map(String::from)
    }

    #[test]
    fn rebases_endpoints_under_the_issuer_onto_the_auth_url() {
        assert_eq!(
            rebase("http://localhost:8080/.well-known/jwks.json", "http://localhost:8080", "http://gateway:8080")
                .as_deref(),
            Some("http://gateway:8080/.well-known/jwks.json")
        );
        // The query stays; a feed URL may carry one.
        assert_eq!(
            rebase("http://localhost:8080/feed?x=1", "http://localhost:8080", "http://gateway:8080").as_deref(),
            Some("http://gateway:8080/feed?x=1")
        );
        // Default ports are the same origin.
        assert_eq!(
            rebase("https://login.example:443/jwks", "https://login.example", "http://10.0.0.5:8080").as_deref(),
            Some("http://10.0.0.5:8080/jwks")
        );
    }

    #[test]
    fn tenant_prefixes_are_replaced_not_appended() {
        let (issuer, auth) = ("https://login.example/tenant", "http://gateway:8080/t1");
        assert_eq!(
            rebase("https://login.example/tenant/jwks", issuer, auth).as_deref(),
            Some("http://gateway:8080/t1/jwks")
        );
        assert_eq!(rebase("https://login.example/tenant", issuer, auth).as_deref(), Some("http://gateway:8080/t1"));
        // Only on the issuer's side, or only on the auth URL's.
        assert_eq!(
            rebase("https://login.example/tenant/jwks", issuer, "http://gateway:8080").as_deref(),
            Some("http://gateway:8080/jwks")
        );
        assert_eq!(
            rebase("https://login.example/jwks", "https://login.example", auth).as_deref(),
            Some("http://gateway:8080/t1/jwks")
        );
        // Not under the issuer: another tenant, a longer segment, another path.
        for outside in
            ["https://login.example/tenant2/jwks", "https://login.example/other/jwks", "https://login.example/"]
        {
            assert_eq!(rebase(outside, issuer, auth), None, "{outside}");
        }
    }

    #[test]
    fn trailing_slashes_on_either_base_are_ignored() {
        for issuer in ["http://localhost:8080/tenant", "http://localhost:8080/tenant/"] {
            for auth in ["http://gateway:8080/inner", "http://gateway:8080/inner/"] {
                assert_eq!(
                    rebase("http://localhost:8080/tenant/oauth2/introspect", issuer, auth).as_deref(),
                    Some("http://gateway:8080/inner/oauth2/introspect"),
                    "{issuer} {auth}"
                );
            }
        }
        assert_eq!(
            rebase("http://localhost:8080/", "http://localhost:8080/", "http://gateway:8080/").as_deref(),
            Some("http://gateway:8080/")
        );
    }

    #[test]
    fn other_origins_are_not_under_the_issuer() {
        for elsewhere in [
            "https://login.example/jwks",
            "http://localhost:8081/jwks",
            "http://127.0.0.1:8080/jwks",
            "http://localhost.evil:8080/jwks",
        ] {
            assert_eq!(rebase(elsewhere, "http://localhost:8080", "http://gateway:8080"), None, "{elsewhere}");
        }
    }
}
