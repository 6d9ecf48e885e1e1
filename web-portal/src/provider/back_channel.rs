//! The endpoints the portal calls itself (token, revocation) when it reaches the
//! authorization server on another URL than its issuer (`PORTAL_AUTH_URL` vs
//! `PORTAL_ISSUER`): the metadata announces them under the public issuer URL, which
//! may not be reachable from where the portal runs (a container network), so they are
//! moved onto `PORTAL_AUTH_URL`. Endpoints the browser follows (authorization, end of
//! session) are not: the browser reaches the public URL.

use oauth2::url::Url;
use shared_claims::rebase_endpoint;

/// Moves back-channel endpoints from under the issuer onto the auth server URL.
pub(super) struct BackChannel {
    issuer: Url,
    auth_url: Url,
}

impl BackChannel {
    /// `None` when there is nothing to move: no `PORTAL_ISSUER`, or one that is not a
    /// URL (refused by the settings' validation before the portal starts).
    pub(super) fn new(issuer: Option<&str>, auth_url: &str) -> Option<Self> {
        Some(Self { issuer: Url::parse(issuer?).ok()?, auth_url: Url::parse(auth_url).ok()? })
    }

    /// Where the portal sends what the metadata announces at `announced`: on the auth
    /// server URL's origin already, as it is; under the issuer, rebased; elsewhere, as
    /// it is.
    pub(super) fn url(&self, announced: &str) -> String {
        let Ok(url) = Url::parse(announced) else { return announced.to_owned() };
        if url.origin() == self.auth_url.origin() {
            return announced.to_owned();
        }
        rebase_endpoint(&url, &self.issuer, &self.auth_url).map_or_else(|| announced.to_owned(), String::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(issuer: &str, auth_url: &str, announced: &str) -> String {
        BackChannel::new(Some(issuer), auth_url).unwrap().url(announced)
    }

    #[test]
    fn endpoints_under_the_issuer_are_moved_onto_the_auth_url() {
        assert_eq!(
            moved("http://localhost:8080", "http://auth-server:8080", "http://localhost:8080/oauth2/token"),
            "http://auth-server:8080/oauth2/token"
        );
        // An https issuer behind a plain-http internal address.
        assert_eq!(
            moved("https://login.example", "http://10.0.0.5:8080", "https://login.example:443/oauth2/revoke"),
            "http://10.0.0.5:8080/oauth2/revoke"
        );
    }

    #[test]
    fn tenant_prefixes_and_trailing_slashes() {
        for issuer in ["https://login.example/tenant", "https://login.example/tenant/"] {
            for auth in ["http://gateway:8080/inner", "http://gateway:8080/inner/"] {
                assert_eq!(
                    moved(issuer, auth, "https://login.example/tenant/oauth2/token?x=1"),
                    "http://gateway:8080/inner/oauth2/token?x=1",
                    "{issuer} {auth}"
                );
            }
        }
        assert_eq!(
            moved("https://login.example/tenant", "http://gateway:8080", "https://login.example/tenant/token"),
            "http://gateway:8080/token"
        );
        // Not under the issuer: another tenant, a longer segment.
        for outside in ["https://login.example/tenant2/token", "https://login.example/other/token"] {
            assert_eq!(moved("https://login.example/tenant", "http://gateway:8080", outside), outside);
        }
    }

    #[test]
    fn other_origins_and_the_auth_urls_own_are_left_alone() {
        for announced in [
            "http://auth-server:8080/somewhere/token",
            "https://localhost:8080/token",
            "http://localhost:8081/token",
            "http://evil.example/token",
            "not a url",
        ] {
            assert_eq!(moved("http://localhost:8080", "http://auth-server:8080/t", announced), announced);
        }
    }

    #[test]
    fn nothing_moves_without_an_issuer() {
        assert!(BackChannel::new(None, "http://auth-server:8080").is_none());
    }
}
