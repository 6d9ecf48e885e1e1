//! Authorization server metadata (RFC 8414): where the keys, the introspection
//! endpoint and the revocation feed are, and the issuer whose tokens we accept.

use reqwest::{Client, Url};
use serde::Deserialize;

use super::http::{read_ok_body, FetchError};
use super::AuthServerUrls;

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

/// Fetches and checks the metadata document: from the auth server URL, naming the
/// configured issuer if there is one ([`AuthServerUrls::check_issuer`]).
pub(crate) async fn discover(client: &Client, urls: &AuthServerUrls) -> Result<ServerMetadata, FetchError> {
    let response = client.get(urls.metadata_url().clone()).send().await?;
    let body = read_ok_body(response, MAX_METADATA_BYTES).await?;
    let metadata: ServerMetadata =
        serde_json::from_slice(&body).map_err(|e| FetchError::Document(format!("metadata: {e}")))?;
    if metadata.issuer.is_empty() {
        return Err(FetchError::Document("metadata: empty issuer".into()));
    }
    urls.check_issuer(&metadata.issuer)?;
    Ok(metadata)
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
}
