//! The little HTTP the verifier does (discovery, JWKS, introspection), with the limits
//! every call shares: timeouts, no redirects, bounded bodies.

use std::time::Duration;

use reqwest::{Client, Response};

/// Why a call to the auth server failed. Messages carry URLs and statuses only: never
/// a token or a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("request failed: {0}")]
    Transport(String),
    #[error("unexpected HTTP status {0}")]
    Status(u16),
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    #[error("unusable response: {0}")]
    Document(String),
}

impl From<reqwest::Error> for FetchError {
    /// Keeps the causes ("connection refused") that reqwest's own message leaves out.
    /// `without_url` keeps query strings out of logs; our URLs carry none, but the
    /// habit is cheap.
    fn from(err: reqwest::Error) -> Self {
        let err = err.without_url();
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        FetchError::Transport(message)
    }
}

/// A client for the auth server. Redirects are not followed: a moved endpoint is a
/// configuration change to make on purpose, not to discover by accident.
pub(crate) fn client(timeout: Duration) -> Result<Client, reqwest::Error> {
    Client::builder()
        // Shorter than common server keep-alives (actix-web closes idle connections
        // after 5 s), so a pooled connection is not reused just as the server drops it.
        .pool_idle_timeout(Duration::from_secs(4))
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("resource-server/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A client for long-lived streams (the revocation feed): no overall timeout, which
/// would cut the stream, only a connect timeout; the caller bounds every read.
pub(crate) fn streaming_client(connect_timeout: Duration) -> Result<Client, reqwest::Error> {
    Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("resource-server/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Reads a 200 response's body, refusing anything larger than `limit` bytes.
pub(crate) async fn read_ok_body(response: Response, limit: usize) -> Result<Vec<u8>, FetchError> {
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status(status.as_u16()));
    }
    read_body(response, limit).await
}

/// Reads any response's body (an error's too), refusing anything larger than `limit`
/// bytes.
pub(crate) async fn read_body(mut response: Response, limit: usize) -> Result<Vec<u8>, FetchError> {
    if response.content_length().is_some_and(|len| len > limit as u64) {
        return Err(FetchError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
