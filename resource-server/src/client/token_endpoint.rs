//! The auth server's token endpoint as a [`TokenSource`]: found through its RFC 8414
//! metadata (or configured), asked with the client credentials grant.
//!
//! ```text
//! TokenEndpoint::fetch
//!   ├─ endpoint known?  no → discover()  GET {auth}/.well-known/oauth-authorization-server
//!   │                        (issuer as configured, if it was; token_endpoint on the origin
//!   │                        of the auth URL or the issuer: discovery::endpoint)
//!   ├─ POST token_endpoint   grant_type=client_credentials&scope=..&resource=..
//!   │                        Authorization: Basic (RFC 6749 §2.3.1, §4.4.2)
//!   └─ 200 → token_response::parse_success; otherwise parse_failure (§5.2)
//! ```

use std::sync::{Mutex, PoisonError};

use futures_util::future::BoxFuture;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, Url};

use super::error::TokenError;
use super::token_cache::TokenSource;
use super::token_response::{parse_failure, parse_success, IssuedToken};
use crate::verify::discovery::discover;
use crate::verify::http::read_body;
use crate::verify::AuthServerUrls;
use crate::verify::ClientCredentials;

/// Largest token endpoint answer read.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Where the token endpoint is.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// Discovered from the metadata of the auth server at these URLs (where it is
    /// reached, and the issuer its metadata must name if one is configured).
    Discovered(AuthServerUrls),
    /// Configured directly.
    Fixed(Url),
}

pub(crate) struct TokenEndpoint {
    client: Client,
    location: Location,
    credentials: ClientCredentials,
    /// The request body, the same every time.
    form: String,
    /// The discovered endpoint, forgotten when a request to it fails in a way a moved
    /// endpoint would explain, so the next attempt discovers again.
    discovered: Mutex<Option<Url>>,
}

impl TokenEndpoint {
    pub(crate) fn new(
        client: Client,
        location: Location,
        credentials: ClientCredentials,
        scope: Option<&str>,
        resources: &[String],
    ) -> Self {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        if let Some(scope) = scope {
            form.append_pair("scope", scope);
        }
        for resource in resources {
            form.append_pair("resource", resource);
        }
        Self { client, location, credentials, form: form.finish(), discovered: Mutex::new(None) }
    }

    async fn request_token(&self) -> Result<IssuedToken, TokenError> {
        let url = self.url().await?;
        let outcome = self.post(url).await;
        if matches!(&outcome, Err(TokenError::Transport(_)) | Err(TokenError::Refused { status: 404, .. })) {
            *self.lock_discovered() = None;
        }
        outcome
    }

    async fn post(&self, url: Url) -> Result<IssuedToken, TokenError> {
        let response = self
            .client
            .post(url)
            .header(AUTHORIZATION, self.credentials.basic_authorization())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(self.form.clone())
            .send()
            .await
            .map_err(|e| TokenError::Transport(e.into()))?;
        let status = response.status();
        let body = read_body(response, MAX_RESPONSE_BYTES).await.map_err(TokenError::Transport)?;
        if status.is_success() {
            parse_success(&body)
        } else {
            Err(parse_failure(status.as_u16(), &body))
        }
    }

    async fn url(&self) -> Result<Url, TokenError> {
        let urls = match &self.location {
            Location::Fixed(url) => return Ok(url.clone()),
            Location::Discovered(urls) => urls,
        };
        if let Some(known) = self.lock_discovered().clone() {
            return Ok(known);
        }
        // Checks the configured issuer, if any, and moves the endpoint from under it
        // onto the URL this client connects to (a gateway's in-network address).
        let metadata = discover(&self.client, urls).await.map_err(TokenError::Discovery)?;
        let url = urls
            .endpoint(metadata.token_endpoint.as_deref(), "token_endpoint", &metadata.issuer)
            .map_err(TokenError::Discovery)?;
        *self.lock_discovered() = Some(url.clone());
        Ok(url)
    }

    fn lock_discovered(&self) -> std::sync::MutexGuard<'_, Option<Url>> {
        self.discovered.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TokenSource for TokenEndpoint {
    fn fetch(&self) -> BoxFuture<'_, Result<IssuedToken, TokenError>> {
        Box::pin(self.request_token())
    }
}
