//! Authorization server metadata (RFC 8414): where the keys, the introspection
//! endpoint and the revocation feed are, and the issuer whose tokens we accept.

use reqwest::{Client, Url};
use serde::Deserialize;

use super::http::{read_ok_body, FetchError};

const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
const MAX_METADATA_BYTES: usize = 64 * 1024;

/// The metadata fields a resource server needs (RFC 8414 §2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerMetadata {
    /// The exact `iss` every accepted token must carry.
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub introspection_endpoint: Option<String>,
    /// Where a client asks for tokens (RFC 6749 §3.2): the service client's
    /// `client_credentials` requests.
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// This project's extension (RFC 8414 §2 allows additional members): the
    /// Server-Sent Events stream of revocations. Absent on auth servers without one.
    #[serde(default)]
    pub revocation_feed_endpoint: Option<String>,
}

/// `RS_AUTH_URL` was not an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the auth server URL {0:?} is not an absolute http(s) URL without query or fragment")]
pub struct InvalidAuthUrl(pub String);

/// The metadata URL for an auth server base URL, per RFC 8414 §3.1: the well-known
/// segment goes between the host and any path (`https://as/t1` →
/// `https://as/.well-known/oauth-authorization-server/t1`).
pub fn metadata_url(auth_url: &str) -> Result<Url, InvalidAuthUrl> {
    let invalid = || InvalidAuthUrl(auth_url.to_owned());
    let mut url = Url::parse(auth_url).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid());
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{WELL_KNOWN}{path}"));
    Ok(url)
}

/// Fetches and checks the metadata document.
pub(crate) async fn discover(client: &Client, metadata_url: &Url) -> Result<ServerMetadata, FetchError> {
    let response = client.get(metadata_url.clone()).send().await?;
    let body = read_ok_body(response, MAX_METADATA_BYTES).await?;
    let metadata: ServerMetadata =
        serde_json::from_slice(&body).map_err(|e| FetchError::Document(format!("metadata: {e}")))?;
    if metadata.issuer.is_empty() {
        return Err(FetchError::Document("metadata: empty issuer".into()));
    }
    Ok(metadata)
}

/// An endpoint URL announced in the metadata (`jwks_uri`, `introspection_endpoint`,
/// `revocation_feed_endpoint`), checked before anything is sent there: our client
/// credentials (RFC 6749 §2.3.1) and tokens (RFC 7662 §4) go to some of them, and the
/// keys of another are trusted, so metadata that points elsewhere (tampered, or a
/// misconfigured auth server: RFC 8414 §3.3, §6) must not be followed.
///
/// - an http(s) URL;
/// - not `http` when the auth server was configured as `https` (`RS_AUTH_URL`): no
///   downgrade from TLS;
/// - on the origin (scheme, host, port) of `RS_AUTH_URL` (the metadata URL's) or of
///   the metadata's `issuer`, which may differ behind a TLS proxy.
///
/// A refused endpoint is logged as an error; the caller keeps retrying discovery and
/// stays not ready.
pub(crate) fn endpoint(value: Option<&str>, name: &str, metadata_url: &Url, issuer: &str) -> Result<Url, FetchError> {
    let value = value.ok_or_else(|| FetchError::Document(format!("metadata has no {name}")))?;
    let url = match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        _ => return Err(FetchError::Document(format!("metadata {name} is not an http(s) URL"))),
    };
    let refuse = |why: String| {
        tracing::error!(
            endpoint = name,
            origin = %url.origin().ascii_serialization(),
            auth_url_origin = %metadata_url.origin().ascii_serialization(),
            issuer,
            "refusing the {name} of the authorization server metadata: {why}; \
             check RS_AUTH_URL and the auth server's issuer (AUTH_ISSUER)"
        );
        Err(FetchError::Document(format!("metadata {name}: {why}")))
    };
    if metadata_url.scheme() == "https" && url.scheme() != "https" {
        return refuse("it is plain http while the auth server URL is https".into());
    }
    let issuer_origin =
        Url::parse(issuer).ok().filter(|url| matches!(url.scheme(), "http" | "https")).map(|u| u.origin());
    if url.origin() != metadata_url.origin() && Some(url.origin()) != issuer_origin {
        return refuse("it is on neither the auth server URL's origin nor the issuer's".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_rfc_8414_url() {
        let url = |base| metadata_url(base).map(|u| u.to_string());
        assert_eq!(
            url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            url("https://as.example/tenant").unwrap(),
            "https://as.example/.well-known/oauth-authorization-server/tenant"
        );
        assert!(url("ftp://as.example").is_err());
        assert!(url("http://as.example/?a=b").is_err());
        assert!(url("not a url").is_err());
    }

    fn check(auth_url: &str, issuer: &str, value: &str) -> Result<String, FetchError> {
        endpoint(Some(value), "jwks_uri", &metadata_url(auth_url).unwrap(), issuer).map(|url| url.to_string())
    }

    #[test]
    fn endpoints_must_be_http_urls() {
        assert!(check("http://as", "http://as", "http://as/jwks").is_ok());
        assert!(check("http://as", "http://as", "file:///etc/passwd").is_err());
        assert!(endpoint(None, "jwks_uri", &metadata_url("http://as").unwrap(), "http://as").is_err());
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
