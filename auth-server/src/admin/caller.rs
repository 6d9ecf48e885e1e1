//! Who may call the admin API: the bearer of an access token this server issued to
//! itself, holding `admin`. Framework-free; the HTTP layer reads the header and
//! renders the [`BearerError`] (RFC 6750 §3.1).
//!
//! ```text
//! verify_access_token (signature, typ at+jwt, iss, exp)  ─► 401 invalid_token
//!   ─► aud contains the issuer                           ─► 401 invalid_token
//!   ─► not revoked (jti, session, user cut-off)          ─► 401 invalid_token
//!   ─► scope contains `admin`                            ─► 403 insufficient_scope
//! ```
//!
//! The audience check is what keeps a token minted for a resource server (say
//! `documents-api`) from opening the admin API even if its client were granted
//! `admin`: tokens for the auth server itself go only to clients
//! without `audiences` (such as `ops`), and their `aud` is the issuer.

use shared_claims::{AccessClaims, BearerError};

use crate::oauth::authority::Authority;

/// The scope the admin API requires.
pub(crate) const ADMIN_SCOPE: &str = "admin";

/// The `realm` of the admin API's `WWW-Authenticate` challenges.
pub(crate) const ADMIN_REALM: &str = "admin";

/// Checks a presented bearer token; returns its claims when it may use the admin API.
/// The client an admin request came from, as the gate found it in the token: what an
/// operation needs to refuse changes that would cut off the caller itself.
#[derive(Debug, Clone)]
pub(crate) struct AdminCaller {
    pub(crate) client_id: String,
}

pub(crate) async fn authorize(authority: &Authority, token: &str, now: i64) -> Result<AccessClaims, BearerError> {
    let claims = authority
        .tokens
        .verify_access_token(token, now)
        .await
        .map_err(|e| BearerError::invalid_token(e.to_string()))?;
    if !claims.aud.contains(authority.issuer()) {
        return Err(BearerError::invalid_token("the token is not meant for this server"));
    }
    match authority.is_revoked(&claims).await {
        Ok(false) => {}
        Ok(true) => return Err(BearerError::invalid_token("the token has been revoked")),
        Err(err) => {
            tracing::error!(error = %shared_claims::error_chain(&err), "admin API: cannot check revocations");
            return Err(BearerError::unavailable("the revocation state cannot be read now"));
        }
    }
    if !claims.scope.contains(ADMIN_SCOPE) {
        return Err(BearerError::insufficient_scope(ADMIN_SCOPE));
    }
    Ok(claims)
}
