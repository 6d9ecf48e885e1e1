//! The vocabulary every party of the system shares: the access-token claims of
//! RFC 9068, scopes and audiences, the rules that decide whether a set of claims is
//! acceptable, the strict reading of a compact JWS and its JOSE header ([`jose`]),
//! endpoints moved from under the issuer onto the URL the auth server is reached on
//! ([`rebase_endpoint`]), the error types of RFC 6749 §5.2 and RFC 6750 §3, and the
//! reading of a refusal's `Bearer` challenge ([`is_invalid_token_challenge`]).
//!
//! Pure data and rules: no HTTP server, no storage, no clock of its own (callers pass
//! `now`), so third-party resource servers can depend on it cheaply.

mod audience;
mod bearer;
mod bearer_challenge;
mod bearer_error;
mod claims;
mod endpoint_rebase;
mod error_chain;
pub mod feed_protocol;
pub mod jose;
mod oauth_error;
#[cfg(any(test, feature = "test-support"))]
pub mod poll;
mod revocation;
mod scope;
mod secret;
mod validation;

pub use audience::Audience;
pub use bearer::{bearer_token, bearer_token_from_headers};
pub use bearer_challenge::is_invalid_token_challenge;
pub use bearer_error::{BearerError, BearerErrorBody, BearerErrorKind};
pub use claims::{AccessClaims, ACCESS_TOKEN_TYP, REFRESH_TOKEN_TYP};
pub use endpoint_rebase::rebase_endpoint;
pub use error_chain::error_chain;
pub use oauth_error::{ErrorBody, ErrorCode, OAuthError};
pub use revocation::{Revocation, RevocationNotice};
pub use scope::{ScopeError, ScopeSet};
pub use secret::Secret;
pub use validation::{is_access_token_typ, ClaimError, ClaimValidator};

/// Seconds since the Unix epoch, the JWT NumericDate (RFC 7519 §2) in whole seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
