//! [`ServiceClient`]: requests to other services with the caller's own access token,
//! renewed before it expires and once more when a service refuses it.
//!
//! ```text
//! ServiceClient::execute(request)
//!   ├─ TokenCache::token                   cached, or renewed (one renewal in flight)
//!   ├─ send with Authorization: Bearer     RFC 6750 §2.1
//!   ├─ 401 with error="invalid_token"?     RFC 6750 §3.1 (revoked, or signed by a key the
//!   │    │                                 service does not know yet)
//!   │    ├─ TokenCache::invalidate(token)  only if it is still the current one
//!   │    ├─ body cannot be sent twice      → that 401, as it is (the next request renews)
//!   │    └─ token again, send once more    → whatever that answer is, a 401 included
//!   └─ any other answer, as it is          (403 insufficient_scope: a new token would not help)
//! ```

use std::sync::Arc;

use prometheus_client::registry::Registry;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{Client, IntoUrl, Method, Request, RequestBuilder, Response, StatusCode};

use super::builder::ServiceClientBuilder;
use super::cached_token::CachedToken;
use super::challenge::is_invalid_token;
use super::error::{ClientError, TokenError};
use super::metrics::ClientMetrics;
use super::token_cache::TokenCache;
use crate::Secret;

/// An HTTP client that authenticates as a service (the client credentials grant, RFC
/// 6749 §4.4). Cheap to clone: clones share the token, the connection pool and the
/// counters; make one per client identity and keep it.
#[derive(Clone)]
pub struct ServiceClient {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: Client,
    pub(crate) tokens: TokenCache,
    pub(crate) metrics: Arc<ClientMetrics>,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient").finish_non_exhaustive()
    }
}

impl ServiceClient {
    /// Starts configuring a client that authenticates as `client_id` with
    /// `client_secret` (`client_secret_basic`, RFC 6749 §2.3.1).
    pub fn builder(client_id: impl Into<String>, client_secret: Secret) -> ServiceClientBuilder {
        ServiceClientBuilder::new(client_id.into(), client_secret)
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self { inner: Arc::new(inner) }
    }

    /// The HTTP client requests go out on, for building them:
    /// `client.send(client.http().post(url).json(&body))`.
    pub fn http(&self) -> &Client {
        &self.inner.http
    }

    /// `GET url` with the token.
    pub async fn get(&self, url: impl IntoUrl) -> Result<Response, ClientError> {
        self.send(self.inner.http.get(url)).await
    }

    /// `method url` with the token, no body.
    pub async fn request(&self, method: Method, url: impl IntoUrl) -> Result<Response, ClientError> {
        self.send(self.inner.http.request(method, url)).await
    }

    /// Builds `request` and sends it on the client it was made with, as
    /// [`Self::execute`] does.
    pub async fn send(&self, request: RequestBuilder) -> Result<Response, ClientError> {
        let (http, request) = request.build_split();
        let request = request.map_err(ClientError::Request)?;
        self.execute_on(&http, request).await
    }

    /// Sends `request` with `Authorization: Bearer <token>` (replacing any
    /// `Authorization` it had) and returns the service's answer, whatever its status.
    ///
    /// A `401` whose `WWW-Authenticate` says `error="invalid_token"` (RFC 6750 §3.1)
    /// drops the token, renews it once and sends the request again once; a second such
    /// `401` is returned. A request whose body cannot be sent twice (a stream) is not
    /// sent again: its `401` is returned (see [`Self::not_retried`]), and the next
    /// request gets a new token. A `403`
    /// `insufficient_scope` is returned at once: another token of the same client
    /// would carry the same scope.
    ///
    /// Errors: no token could be had ([`ClientError::Token`], with the auth server's
    /// RFC 6749 §5.2 code if it gave one), or the request failed
    /// ([`ClientError::Request`]).
    pub async fn execute(&self, request: Request) -> Result<Response, ClientError> {
        self.execute_on(&self.inner.http, request).await
    }

    async fn execute_on(&self, http: &Client, request: Request) -> Result<Response, ClientError> {
        let again = request.try_clone();
        let token = self.inner.tokens.token().await?;
        let response = send(http, request, &token).await?;
        if response.status() != StatusCode::UNAUTHORIZED || !is_invalid_token(response.headers()) {
            return Ok(response);
        }
        // Dropped even when the request cannot be retried: the next one renews.
        self.inner.tokens.invalidate(&token);
        let Some(again) = again else {
            self.inner.metrics.not_retried();
            return Ok(response);
        };
        let token = self.inner.tokens.token().await?;
        self.inner.metrics.retry();
        send(http, again, &token).await
    }

    /// The current access token (renewed if due), for a transport this client does not
    /// speak (gRPC, a WebSocket handshake). Keep it no longer than one request: a later
    /// call may return a newer one.
    pub async fn access_token(&self) -> Result<Secret, TokenError> {
        self.inner.tokens.token().await.map(|token| token.value().clone())
    }

    /// Token requests sent to the auth server so far (the first one included).
    pub fn token_requests(&self) -> u64 {
        self.inner.metrics.token_requests()
    }

    /// Token requests that brought no token.
    pub fn token_request_failures(&self) -> u64 {
        self.inner.metrics.token_request_failures()
    }

    /// Requests sent a second time, with a new token, after a `401 invalid_token`.
    pub fn retries(&self) -> u64 {
        self.inner.metrics.retries()
    }

    /// `401 invalid_token` answers returned without a retry because the request's
    /// body could not be sent twice.
    pub fn not_retried(&self) -> u64 {
        self.inner.metrics.not_retried_count()
    }

    /// Adds the counters above (names prefixed `service_client_`) to a registry the
    /// service owns and encodes on its `/metrics`. A service with several clients
    /// registers each under its own label
    /// (`registry.sub_registry_with_label(("client".into(), "reports".into()))`).
    pub fn register_metrics(&self, registry: &mut Registry) {
        self.inner.metrics.register(registry.sub_registry_with_prefix("service_client"));
    }
}

/// One attempt: the request with this token.
async fn send(http: &Client, mut request: Request, token: &CachedToken) -> Result<Response, ClientError> {
    let mut value = HeaderValue::try_from(format!("Bearer {}", token.value().expose()))
        // Checked when the token was received (a b64token); kept as an error, not a panic.
        .map_err(|_| TokenError::Response("access_token cannot be sent in a header".into()))?;
    // Kept out of reqwest's and hyper's debug output.
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
    http.execute(request).await.map_err(ClientError::Request)
}
