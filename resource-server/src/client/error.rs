//! What can go wrong when a service calls another: no token could be had
//! ([`TokenError`]), or the call itself failed ([`ClientError`]). A refusal by the
//! called service (401, 403, ...) is no error: it is the response.

use std::fmt;

use crate::verify::FetchError;

/// Why no access token could be had. Messages carry statuses, URLs and what the auth
/// server said (its RFC 6749 §5.2 code and description), never a token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The auth server's metadata (RFC 8414) could not be read, announced no usable
    /// `token_endpoint`, or named another issuer than the one configured.
    #[error("cannot discover the token endpoint")]
    Discovery(#[source] FetchError),
    /// The token request got no answer, or an unreadable one.
    #[error("the token request failed")]
    Transport(#[source] FetchError),
    /// The auth server answered with an error (RFC 6749 §5.2).
    #[error("the auth server refused the token request: {}", Refusal::of(.status, .error, .description))]
    Refused {
        status: u16,
        /// The §5.2 `error` code (`invalid_client`, `invalid_scope`, ...), if the
        /// body had a well-formed one.
        error: Option<String>,
        description: Option<String>,
    },
    /// A success answer that cannot be used (RFC 6749 §5.1): not JSON, no
    /// `access_token`, a `token_type` other than `Bearer`, a bad `expires_in`.
    #[error("unusable token response: {0}")]
    Response(String),
}

impl TokenError {
    /// The RFC 6749 §5.2 error code the auth server gave, if it gave one.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            TokenError::Refused { error, .. } => error.as_deref(),
            _ => None,
        }
    }
}

/// `HTTP 401 invalid_client (the client secret is wrong)`.
struct Refusal<'a> {
    status: u16,
    error: Option<&'a str>,
    description: Option<&'a str>,
}

impl<'a> Refusal<'a> {
    fn of(status: &u16, error: &'a Option<String>, description: &'a Option<String>) -> Self {
        Self { status: *status, error: error.as_deref(), description: description.as_deref() }
    }
}

impl fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(error) = self.error {
            write!(f, " {error}")?;
        }
        if let Some(description) = self.description {
            write!(f, " ({description})")?;
        }
        Ok(())
    }
}

/// Why [`ServiceClient`](super::ServiceClient) has no response to return.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no access token")]
    Token(#[from] TokenError),
    /// The request could not be built or sent, or its answer not received (reqwest's
    /// error: `is_timeout()`, `is_connect()`, ...).
    #[error("the request failed")]
    Request(#[source] reqwest::Error),
}

impl ClientError {
    /// The token error, when that is what went wrong.
    pub fn token_error(&self) -> Option<&TokenError> {
        match self {
            ClientError::Token(error) => Some(error),
            ClientError::Request(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_status_code_and_description() {
        let refused = TokenError::Refused {
            status: 401,
            error: Some("invalid_client".into()),
            description: Some("client authentication failed".into()),
        };
        assert_eq!(
            refused.to_string(),
            "the auth server refused the token request: HTTP 401 invalid_client (client authentication failed)"
        );
        assert_eq!(refused.oauth_error(), Some("invalid_client"));
        let bare = TokenError::Refused { status: 502, error: None, description: None };
        assert_eq!(bare.to_string(), "the auth server refused the token request: HTTP 502");
        assert_eq!(bare.oauth_error(), None);
    }

    #[test]
    fn causes_are_sources() {
        let err = ClientError::from(TokenError::Transport(FetchError::Status(503)));
        assert_eq!(
            shared_claims::error_chain(&err),
            "no access token: the token request failed: unexpected HTTP status 503"
        );
    }
}
