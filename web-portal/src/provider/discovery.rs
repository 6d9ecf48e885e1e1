//! RFC 8414 discovery: the authorization server's metadata, fetched once from its
//! well-known URI and checked to name the configured issuer.

use std::sync::Arc;

use oauth2::url::Url;
use tokio::sync::OnceCell;

use super::http_adapter::MAX_AUTH_RESPONSE_BYTES;
use super::{DiscoveryError, Metadata, Provider, AUTH_SERVER_TIMEOUT};
use crate::settings::Settings;

/// The provider, discovered on first use; a failed discovery is retried next time.
pub(crate) struct Discovery {
    settings: Settings,
    http: reqwest::Client,
    provider: OnceCell<Arc<Provider>>,
}

impl Discovery {
    pub(crate) fn new(settings: Settings, http: reqwest::Client) -> Self {
        Self { settings, http, provider: OnceCell::new() }
    }

    /// Shared, so that a refresh can outlive the request that started it.
    pub(crate) async fn provider(&self) -> Result<Arc<Provider>, DiscoveryError> {
        self.provider.get_or_try_init(|| async { self.discover().await.map(Arc::new) }).await.cloned()
    }

    /// RFC 8414 §3: the well-known URI of the configured server.
    async fn discover(&self) -> Result<Provider, DiscoveryError> {
        let url = well_known_url(&self.settings.auth_url)
            .map_err(|()| DiscoveryError::Document("PORTAL_AUTH_URL is not a URL".to_owned()))?;
        let response = self.http.get(url).timeout(AUTH_SERVER_TIMEOUT).send().await.map_err(DiscoveryError::Fetch)?;
        if !response.status().is_success() {
            return Err(DiscoveryError::Status(response.status().as_u16()));
        }
        let body = crate::limited_body::read_limited(response, MAX_AUTH_RESPONSE_BYTES)
            .await
            .map_err(|e| DiscoveryError::Document(e.to_string()))?;
        let metadata: Metadata = serde_json::from_slice(&body).map_err(|e| DiscoveryError::Document(e.to_string()))?;
        let provider = Provider::from_metadata(metadata, &self.settings)?;
        tracing::info!(
            issuer = %provider.issuer,
            authorization_endpoint = provider.client.auth_uri().is_some(),
            "authorization server discovered"
        );
        Ok(provider)
    }
}

/// RFC 8414 §3.1: the well-known segment goes between the issuer's host and its path,
/// `https://h/tenant` -> `https://h/.well-known/oauth-authorization-server/tenant`.
fn well_known_url(issuer: &str) -> Result<Url, ()> {
    let mut url = Url::parse(issuer).map_err(|_| ())?;
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_segment_goes_before_the_issuer_path() {
        let url = |issuer: &str| well_known_url(issuer).unwrap().to_string();
        assert_eq!(url("http://127.0.0.1:8080"), "http://127.0.0.1:8080/.well-known/oauth-authorization-server");
        assert_eq!(url("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/.well-known/oauth-authorization-server");
        assert_eq!(url("https://h/tenant/1"), "https://h/.well-known/oauth-authorization-server/tenant/1");
        assert_eq!(url("https://h/tenant/"), "https://h/.well-known/oauth-authorization-server/tenant");
    }
}
