//! Configuring a [`ServiceClient`]: who it is, where the auth server is, what it asks
//! for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;

use super::metrics::ClientMetrics;
use super::service_client::{Inner, ServiceClient};
use super::token_cache::TokenCache;
use super::token_endpoint::{Location, TokenEndpoint};
use crate::verify::{http, AuthServerUrls, ClientCredentials, InvalidAuthUrl, InvalidIssuer};
use crate::Secret;

/// Why a client could not be built. Start-up errors, not request errors.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the client id and secret must not be empty")]
    MissingCredentials,
    #[error("no auth server: call .auth_url(..) or .token_endpoint(..)")]
    NoAuthServer,
    #[error(transparent)]
    AuthUrl(#[from] InvalidAuthUrl),
    #[error(transparent)]
    Issuer(#[from] InvalidIssuer),
    #[error("the token endpoint {0:?} is not an absolute http(s) URL without fragment")]
    TokenEndpoint(String),
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

/// Settings of a [`ServiceClient`]; [`ServiceClient::builder`] makes one.
#[derive(Debug, Clone)]
pub struct ServiceClientBuilder {
    credentials: ClientCredentials,
    auth_url: Option<String>,
    token_endpoint: Option<String>,
    issuer: Option<String>,
    scope: Option<String>,
    resources: Vec<String>,
    http: Option<reqwest::Client>,
    timeout: Duration,
}

impl ServiceClientBuilder {
    /// Timeout of each request (token requests included) on the client this builder
    /// makes; a client given with [`Self::http_client`] keeps its own.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    pub(crate) fn new(client_id: String, client_secret: Secret) -> Self {
        Self {
            credentials: ClientCredentials::new(client_id, client_secret),
            auth_url: None,
            token_endpoint: None,
            issuer: None,
            scope: None,
            resources: Vec::new(),
            http: None,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// The auth server: its token endpoint is read from its RFC 8414 metadata, at the
    /// first token request, with the checks the verifier applies to every endpoint
    /// (http(s), no downgrade from https, on the origin of this URL or of the issuer).
    pub fn auth_url(mut self, auth_url: impl Into<String>) -> Self {
        self.auth_url = Some(auth_url.into());
        self
    }

    /// The token endpoint itself, for an auth server without metadata; wins over
    /// [`Self::auth_url`].
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }

    /// The issuer the metadata and tokens name (RFC 8414 §3.3), when the auth server is
    /// reached on another URL than its issuer (`auth_url` is a gateway's in-network
    /// address): the metadata must name it, and the token endpoint announced under it
    /// is reached under `auth_url` instead. Unset, the metadata's issuer is taken.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The `scope` asked for (space-separated, RFC 6749 §3.3). Unset or empty: the
    /// auth server grants the client's registered scopes.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into()).filter(|scope: &String| !scope.trim().is_empty());
        self
    }

    /// Asks for a token for this audience only (RFC 8707 `resource`, one of the
    /// client's registered audiences); may be called again for several. Unset: every
    /// audience registered for the client.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// The HTTP client for token requests and service calls alike (TLS roots, proxies,
    /// timeouts of its own). Unset: one with [`Self::timeout`] that follows no
    /// redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Timeout of each request on the client this builder makes.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Checks the settings and makes the client. Nothing is fetched yet: the first
    /// request discovers the token endpoint and gets the first token.
    pub fn build(self) -> Result<ServiceClient, BuildError> {
        if self.credentials.client_id.is_empty() || self.credentials.client_secret.is_empty() {
            return Err(BuildError::MissingCredentials);
        }
        let location = match (&self.token_endpoint, &self.auth_url) {
            (Some(url), _) => Location::Fixed(token_endpoint_url(url)?),
            (None, Some(auth_url)) => {
                let urls = AuthServerUrls::new(auth_url)?;
                Location::Discovered(match &self.issuer {
                    Some(issuer) => urls.with_issuer(issuer)?,
                    None => urls,
                })
            }
            (None, None) => return Err(BuildError::NoAuthServer),
        };
        let http = match self.http {
            Some(client) => client,
            None => http::client(self.timeout).map_err(BuildError::HttpClient)?,
        };
        let metrics = Arc::new(ClientMetrics::default());
        let source =
            TokenEndpoint::new(http.clone(), location, self.credentials, self.scope.as_deref(), &self.resources);
        let tokens = TokenCache::new(Box::new(source), Arc::new(Instant::now), metrics.clone());
        Ok(ServiceClient::from_inner(Inner { http, tokens, metrics }))
    }
}

fn token_endpoint_url(value: &str) -> Result<Url, BuildError> {
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.fragment().is_none() => Ok(url),
        _ => Err(BuildError::TokenEndpoint(value.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ServiceClientBuilder {
        ServiceClientBuilder::new("reports-job".into(), Secret::new("s3cret"))
    }

    #[test]
    fn needs_credentials_and_an_auth_server() {
        let empty = ServiceClientBuilder::new(String::new(), Secret::new("s")).auth_url("http://as");
        assert!(matches!(empty.build(), Err(BuildError::MissingCredentials)));
        let empty = ServiceClientBuilder::new("id".into(), Secret::new("")).auth_url("http://as");
        assert!(matches!(empty.build(), Err(BuildError::MissingCredentials)));
        assert!(matches!(builder().build(), Err(BuildError::NoAuthServer)));
        assert!(matches!(builder().auth_url("ftp://as").build(), Err(BuildError::AuthUrl(_))));
        assert!(matches!(builder().token_endpoint("/oauth2/token").build(), Err(BuildError::TokenEndpoint(_))));
        assert!(builder().auth_url("http://127.0.0.1:8080").build().is_ok());
        assert!(builder().token_endpoint("https://as.example/oauth2/token").build().is_ok());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let builder = builder().auth_url("http://as").scope("documents:read");
        assert!(!format!("{builder:?}").contains("s3cret"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("s3cret"));
    }
}
