//! The two URLs of one auth server: the one this service reaches it on (`RS_AUTH_URL`,
//! a back-channel address such as `http://gateway:8080` inside a container network)
//! and its issuer (`RS_ISSUER`, the public URL in every token's `iss` and in every URL
//! of its RFC 8414 metadata, such as `http://localhost:8080`).
//!
//! ```text
//! AuthServerUrls::new(auth_url)      RS_AUTH_URL → metadata URL (RFC 8414 §3.1)
//!   .with_issuer(issuer)             RS_ISSUER, optional
//! discover → check_issuer            the metadata's `issuer` must be RS_ISSUER, exactly
//!                                    (RFC 8414 §3.3); unset: whatever it names
//! endpoint(jwks_uri, …)              on RS_AUTH_URL's origin: as it is
//!   └─ rebase_endpoint               under the issuer: moved onto RS_AUTH_URL
//!                                    (http://localhost:8080/jwks → http://gateway:8080/jwks)
//!                                    (shared_claims::rebase_endpoint, the portal's too)
//!   └─ checks                        http(s), no downgrade, no foreign origin
//! ```

use reqwest::Url;
use shared_claims::rebase_endpoint;

use super::discovery::{metadata_url, InvalidAuthUrl};
use super::http::FetchError;

/// `RS_ISSUER` was not an http(s) URL without query or fragment (RFC 8414 §2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the configured issuer {0:?} is not an absolute http(s) URL without query or fragment")]
pub struct InvalidIssuer(pub String);

/// The issuer this service was configured to expect.
#[derive(Debug, Clone)]
struct ExpectedIssuer {
    /// As configured: compared exactly with the metadata's `issuer`.
    text: String,
    url: Url,
}

/// Where the auth server is reached, and which issuer it must be. Built once from the
/// settings and used for every call the verifier makes: discovery, the JWKS,
/// introspection and the revocation feed.
#[derive(Debug, Clone)]
pub struct AuthServerUrls {
    auth_url: Url,
    metadata_url: Url,
    issuer: Option<ExpectedIssuer>,
}

impl AuthServerUrls {
    /// The auth server at `auth_url` (`RS_AUTH_URL`); its metadata is fetched from the
    /// matching well-known URL, and whatever issuer it names is the one expected in
    /// tokens. Endpoints are used as the metadata announces them.
    pub fn new(auth_url: &str) -> Result<Self, InvalidAuthUrl> {
        let metadata_url = metadata_url(auth_url)?;
        let auth_url = Url::parse(auth_url).map_err(|_| InvalidAuthUrl(auth_url.to_owned()))?;
        Ok(Self { auth_url, metadata_url, issuer: None })
    }

    /// The issuer the metadata must name (`RS_ISSUER`), for an auth server reached on
    /// another URL than its public one (behind a gateway, in a container network).
    /// Metadata naming another issuer is refused; endpoints under the issuer URL are
    /// moved onto the auth server URL before use (see [`rebase_endpoint`]).
    pub fn with_issuer(mut self, issuer: &str) -> Result<Self, InvalidIssuer> {
        let invalid = || InvalidIssuer(issuer.to_owned());
        let url = Url::parse(issuer).map_err(|_| invalid())?;
        if !matches!(url.scheme(), "http" | "https") || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid());
        }
        self.issuer = Some(ExpectedIssuer { text: issuer.to_owned(), url });
        Ok(self)
    }

    /// The RFC 8414 metadata URL, on the auth server URL.
    pub fn metadata_url(&self) -> &Url {
        &self.metadata_url
    }

    /// The configured issuer, if any.
    pub fn expected_issuer(&self) -> Option<&str> {
        self.issuer.as_ref().map(|issuer| issuer.text.as_str())
    }

    /// RFC 8414 §3.3: the `issuer` of the metadata must be identical to the configured
    /// one, or every token would be checked against an issuer nobody chose. Without a
    /// configured issuer any non-empty value is taken. A refusal is logged as an error;
    /// the caller keeps retrying and stays not ready.
    pub fn check_issuer(&self, announced: &str) -> Result<(), FetchError> {
        let Some(expected) = &self.issuer else { return Ok(()) };
        if announced == expected.text {
            return Ok(());
        }
        tracing::error!(
            expected = %expected.text,
            announced,
            metadata_url = %self.metadata_url,
            "refusing the authorization server metadata: its issuer is not the configured one; \
             RS_ISSUER must be exactly the auth server's AUTH_ISSUER"
        );
        Err(FetchError::Document(format!(
            "metadata issuer {announced:?} is not the configured issuer {:?}",
            expected.text
        )))
    }

    /// An endpoint URL announced in the metadata (`jwks_uri`, `introspection_endpoint`,
    /// `revocation_feed_endpoint`), made usable and checked before anything is sent
    /// there: our client credentials (RFC 6749 §2.3.1) and tokens (RFC 7662 §4) go to
    /// some of them, and the keys of another are trusted, so metadata that points
    /// elsewhere (tampered, or a misconfigured auth server: RFC 8414 §3.3, §6) must not
    /// be followed.
    ///
    /// With a configured issuer, an endpoint under it (and not already on the auth
    /// server URL's origin) is first rebased onto the auth server URL. Then, whatever
    /// the configuration, the URL used must be:
    /// - an http(s) URL;
    /// - not `http` when the auth server was configured as `https` (`RS_AUTH_URL`): no
    ///   downgrade from TLS;
    /// - on the origin (scheme, host, port) of `RS_AUTH_URL` (the metadata URL's) or of
    ///   the metadata's `issuer`, which may differ behind a TLS proxy.
    ///
    /// A refused endpoint is logged as an error; the caller keeps retrying discovery and
    /// stays not ready.
    pub fn endpoint(&self, value: Option<&str>, name: &str, issuer: &str) -> Result<Url, FetchError> {
        let value = value.ok_or_else(|| FetchError::Document(format!("metadata has no {name}")))?;
        let announced = match Url::parse(value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            _ => return Err(FetchError::Document(format!("metadata {name} is not an http(s) URL"))),
        };
        let url = self.back_channel(&announced);
        let refuse = |why: String| {
            tracing::error!(
                endpoint = name,
                origin = %announced.origin().ascii_serialization(),
                auth_url_origin = %self.metadata_url.origin().ascii_serialization(),
                issuer,
                "refusing the {name} of the authorization server metadata: {why}; \
                 check RS_AUTH_URL, RS_ISSUER and the auth server's issuer (AUTH_ISSUER)"
            );
            Err(FetchError::Document(format!("metadata {name}: {why}")))
        };
        if self.metadata_url.scheme() == "https" && url.scheme() != "https" {
            return refuse("it is plain http while the auth server URL is https".into());
        }
        let issuer_origin =
            Url::parse(issuer).ok().filter(|url| matches!(url.scheme(), "http" | "https")).map(|u| u.origin());
        if url.origin() != self.metadata_url.origin() && Some(url.origin()) != issuer_origin {
            return refuse("it is on neither the auth server URL's origin nor the issuer's".into());
        }
        Ok(url)
    }

    /// Where this service sends what the metadata announces at `announced`.
    fn back_channel(&self, announced: &Url) -> Url {
        let Some(issuer) = &self.issuer else { return announced.clone() };
        if announced.origin() == self.auth_url.origin() {
            return announced.clone();
        }
        rebase_endpoint(announced, &issuer.url, &self.auth_url).unwrap_or_else(|| announced.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(auth_url: &str, issuer: Option<&str>) -> AuthServerUrls {
        let urls = AuthServerUrls::new(auth_url).unwrap();
        match issuer {
            Some(issuer) => urls.with_issuer(issuer).unwrap(),
            None => urls,
        }
    }

    fn check(auth_url: &str, issuer: &str, value: &str) -> Result<String, FetchError> {
        urls(auth_url, None).endpoint(Some(value), "jwks_uri", issuer).map(String::from)
    }

    fn behind_gateway(auth_url: &str, issuer: &str, value: &str) -> Result<String, FetchError> {
        urls(auth_url, Some(issuer)).endpoint(Some(value), "jwks_uri", issuer).map(String::from)
    }

    #[test]
    fn with_a_configured_issuer_endpoints_are_reached_on_the_auth_url() {
        assert_eq!(
            behind_gateway("http://gateway:8080", "http://localhost:8080", "http://localhost:8080/jwks.json").unwrap(),
            "http://gateway:8080/jwks.json"
        );
        // An https issuer behind a plain-http internal URL: no downgrade, the auth
        // server URL was configured as http on purpose.
        assert_eq!(
            behind_gateway("http://auth.internal:8080", "https://login.example/t", "https://login.example/t/jwks")
                .unwrap(),
            "http://auth.internal:8080/jwks"
        );
        // Already on the auth server URL's origin: as it is, even under another path.
        assert_eq!(
            behind_gateway("http://gateway:8080/t1", "http://localhost:8080", "http://gateway:8080/keys").unwrap(),
            "http://gateway:8080/keys"
        );
        // On the issuer's origin but outside its path: left alone (then allowed as today).
        assert_eq!(
            behind_gateway("http://gateway:8080", "http://localhost:8080/t", "http://localhost:8080/x/jwks").unwrap(),
            "http://localhost:8080/x/jwks"
        );
    }

    #[test]
    fn with_a_configured_issuer_foreign_origins_are_still_refused() {
        for elsewhere in ["http://evil.example/jwks", "http://localhost:8081/jwks", "https://localhost:8080/jwks"] {
            let err = behind_gateway("http://gateway:8080", "http://localhost:8080", elsewhere).unwrap_err();
            assert!(err.to_string().contains("neither the auth server URL's origin nor the issuer's"), "{err}");
        }
        // An https auth server URL: an http issuer's endpoints land on https after
        // rebasing, an http endpoint elsewhere is still a downgrade.
        assert_eq!(
            behind_gateway("https://gateway", "http://localhost:8080", "http://localhost:8080/jwks").unwrap(),
            "https://gateway/jwks"
        );
        let err =
            behind_gateway("https://gateway", "http://localhost:8080/t", "http://localhost:8080/jwks").unwrap_err();
        assert!(err.to_string().contains("plain http"), "{err}");
    }

    #[test]
    fn without_a_configured_issuer_nothing_is_rebased() {
        assert_eq!(
            check("http://gateway:8080", "http://localhost:8080", "http://localhost:8080/jwks").unwrap(),
            "http://localhost:8080/jwks"
        );
    }

    #[test]
    fn the_metadata_must_name_the_configured_issuer_exactly() {
        let configured = urls("http://gateway:8080", Some("http://localhost:8080"));
        assert!(configured.check_issuer("http://localhost:8080").is_ok());
        for other in ["http://localhost:8080/", "http://gateway:8080", "HTTP://localhost:8080", ""] {
            let err = configured.check_issuer(other).unwrap_err();
            assert!(err.to_string().contains("not the configured issuer"), "{other}: {err}");
        }
        assert!(urls("http://gateway:8080", None).check_issuer("http://anything").is_ok());
        assert_eq!(configured.expected_issuer(), Some("http://localhost:8080"));
        assert_eq!(
            configured.metadata_url().as_str(),
            "http://gateway:8080/.well-known/oauth-authorization-server",
            "the metadata is fetched from the auth server URL"
        );
    }

    #[test]
    fn the_issuer_must_be_an_http_url_without_query_or_fragment() {
        let base = || AuthServerUrls::new("http://gateway:8080").unwrap();
        for bad in ["localhost:8080", "ftp://as", "http://as/?a=b", "http://as/#f", "not a url", ""] {
            assert_eq!(base().with_issuer(bad).unwrap_err(), InvalidIssuer(bad.to_owned()), "{bad}");
        }
        assert!(base().with_issuer("https://login.example/tenant").is_ok());
    }

    #[test]
    fn endpoints_must_be_http_urls() {
        assert!(check("http://as", "http://as", "http://as/jwks").is_ok());
        assert!(check("http://as", "http://as", "file:///etc/passwd").is_err());
        assert!(urls("http://as", None).endpoint(None, "jwks_uri", "http://as").is_err());
    }

    #[test]
    fn endpoints_must_share_the_origin_of_the_auth_url_or_the_issuer() {
        // The auth server's own origin, default ports included.
        assert!(check("https://as.example", "https://as.example", "https://as.example:443/jwks").is_ok());
        assert!(check("http://127.0.0.1:8080", "http://127.0.0.1:8080", "http://127.0.0.1:8080/jwks").is_ok());
        assert!(check("http://127.0.0.1:8080/tenant", "http://x", "http://127.0.0.1:8080/other/jwks").is_ok());
        // Behind a TLS proxy: reached on an internal URL, the issuer public.
        assert!(check("http://10.0.0.5:8080", "https://login.example", "https://login.example/jwks").is_ok());
        assert!(check("http://10.0.0.5:8080", "https://login.example", "http://10.0.0.5:8080/jwks").is_ok());
        for elsewhere in [
            "https://evil.example/jwks",
            "https://as.example:8443/jwks",
            "https://sub.as.example/jwks",
            "https://as.example.evil/jwks",
        ] {
            assert!(check("https://as.example", "https://as.example", elsewhere).is_err(), "{elsewhere}");
        }
        assert!(check("http://127.0.0.1:8080", "http://127.0.0.1:8080", "http://127.0.0.1:8081/jwks").is_err());
        assert!(check("http://127.0.0.1:8080", "not a url", "http://localhost:8080/jwks").is_err());
    }

    #[test]
    fn no_downgrade_to_http_from_an_https_auth_url() {
        let err = check("https://as.example", "http://as.example", "http://as.example/jwks").unwrap_err();
        assert!(err.to_string().contains("plain http"), "{err}");
        assert!(check("https://as.example", "https://as.example", "http://as.example/jwks").is_err());
        assert!(
            check("http://as.example", "https://as.example", "https://as.example/jwks").is_ok(),
            "an upgrade is fine"
        );
    }
}
