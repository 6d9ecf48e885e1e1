//! Where verification keys come from. A trait so that the verifier can be fed a key
//! set directly (tests, services with pinned keys) as easily as from the auth server.
//!
//! ```text
//! HttpKeySource::fetch
//!   ├─ metadata known?  no → discover()  GET {auth}/.well-known/oauth-authorization-server
//!   │                                   (naming RS_ISSUER when it is set)
//!   ├─ GET jwks_uri                     (RFC 7517 JWK Set; rebased onto the auth URL when
//!   │                                   under RS_ISSUER, then on the origin of the auth URL
//!   │                                   or of the issuer, see AuthServerUrls::endpoint)
//!   ├─ KeySet::from_jwks_json           (parsed once, here, not per request)
//!   └─ max_age(Cache-Control)           (when to refresh)
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use reqwest::header::{HeaderMap, CACHE_CONTROL};
use reqwest::{Client, Url};

use super::discovery::{discover, ServerMetadata};
use super::http::{read_ok_body, FetchError};
use super::{AuthServerUrls, KeySet};

const MAX_JWKS_BYTES: usize = 256 * 1024;

/// One successful fetch: the issuer the keys belong to, the keys, and how long the
/// publisher says they may be cached.
#[derive(Debug, Clone)]
pub struct FetchedKeys {
    pub issuer: String,
    pub keys: KeySet,
    /// From `Cache-Control: max-age`; `None` when the response said nothing.
    pub max_age: Option<Duration>,
}

/// A source of the trusted key set. `fetch` is called from a background task and on an
/// unknown `kid` (coalesced and rate-limited by the caller), never once per request.
pub trait KeySource: Send + Sync + 'static {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedKeys, FetchError>>;
}

/// A fixed key set, e.g. keys pinned in configuration or made by a test.
#[derive(Debug, Clone)]
pub struct StaticKeySource {
    issuer: String,
    keys: KeySet,
}

impl StaticKeySource {
    pub fn new(issuer: impl Into<String>, keys: KeySet) -> Self {
        Self { issuer: issuer.into(), keys }
    }
}

impl KeySource for StaticKeySource {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedKeys, FetchError>> {
        let fetched = FetchedKeys { issuer: self.issuer.clone(), keys: self.keys.clone(), max_age: None };
        Box::pin(async move { Ok(fetched) })
    }
}

/// The auth server's JWKS, found through its RFC 8414 metadata.
pub struct HttpKeySource {
    client: Client,
    urls: AuthServerUrls,
    /// Discovered once and reused; forgotten after a failed key fetch so that a moved
    /// `jwks_uri` is picked up by the next attempt.
    metadata: Mutex<Option<Arc<(ServerMetadata, Url)>>>,
}

impl HttpKeySource {
    pub fn new(client: Client, urls: AuthServerUrls) -> Self {
        Self { client, urls, metadata: Mutex::new(None) }
    }

    async fn fetch_keys(&self) -> Result<FetchedKeys, FetchError> {
        let known = self.lock().clone();
        let metadata = match known {
            Some(metadata) => metadata,
            None => {
                let metadata = discover(&self.client, &self.urls).await?;
                let jwks_uri = self.urls.endpoint(metadata.jwks_uri.as_deref(), "jwks_uri", &metadata.issuer)?;
                let found = Arc::new((metadata, jwks_uri));
                *self.lock() = Some(found.clone());
                found
            }
        };
        let (metadata, jwks_uri) = &*metadata;
        let result = self.fetch_jwks(jwks_uri).await;
        if result.is_err() {
            *self.lock() = None;
        }
        let (keys, max_age) = result?;
        Ok(FetchedKeys { issuer: metadata.issuer.clone(), keys, max_age })
    }

    async fn fetch_jwks(&self, jwks_uri: &Url) -> Result<(KeySet, Option<Duration>), FetchError> {
        let response = self.client.get(jwks_uri.clone()).send().await?;
        let max_age = max_age(response.headers());
        let body = read_ok_body(response, MAX_JWKS_BYTES).await?;
        let keys = KeySet::from_jwks_json(&body).map_err(|e| FetchError::Document(e.to_string()))?;
        Ok((keys, max_age))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<(ServerMetadata, Url)>>> {
        self.metadata.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl KeySource for HttpKeySource {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedKeys, FetchError>> {
        Box::pin(self.fetch_keys())
    }
}

/// The freshness lifetime a `Cache-Control` header grants (RFC 9111 §5.2.2.1):
/// `max-age=N`, or zero for `no-cache` / `no-store`. Directive names are
/// case-insensitive; the quoted form `max-age="N"` is tolerated.
pub(crate) fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut found = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',').map(str::trim) {
            let (name, argument) = directive.split_once('=').unwrap_or((directive, ""));
            let name = name.trim();
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                return Some(Duration::ZERO);
            }
            if name.eq_ignore_ascii_case("max-age") {
                let seconds = argument.trim().trim_matches('"').parse::<u64>().ok()?;
                found = Some(Duration::from_secs(seconds));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(CACHE_CONTROL, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn reads_max_age() {
        assert_eq!(max_age(&headers(&["public, max-age=300"])), Some(Duration::from_secs(300)));
        assert_eq!(max_age(&headers(&["Max-Age=\"60\", public"])), Some(Duration::from_secs(60)));
        assert_eq!(max_age(&headers(&["public", "max-age=5"])), Some(Duration::from_secs(5)));
        assert_eq!(max_age(&headers(&["no-store"])), Some(Duration::ZERO));
        assert_eq!(max_age(&headers(&["public"])), None);
        assert_eq!(max_age(&headers(&[])), None);
        assert_eq!(max_age(&headers(&["max-age=soon"])), None);
    }
}
