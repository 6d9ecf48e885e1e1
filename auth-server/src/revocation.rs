//! Token revocation (RFC 7009): what presenting a token at `/oauth2/revoke` does.
//!
//! - A refresh token ends its whole session: every refresh and access token of that
//!   login (the contract; RFC 7009 §2.1 allows it).
//! - An access token is revoked by `jti` until it would have expired.
//! - A token that is unknown, malformed, expired or already revoked changes nothing
//!   and still succeeds (§2.2): the caller's goal, an unusable token, is met.
//! - A client may revoke only its own tokens (§2.1).

use shared_claims::OAuthError;

use crate::authority::Authority;
use crate::store::{ClientRecord, Revocation};

pub async fn revoke(authority: &Authority, caller: &ClientRecord, token: &str) -> Result<(), OAuthError> {
    let now = shared_claims::unix_now();
    let tokens = &authority.tokens;
    if let Ok(refresh) = tokens.verify_refresh_token(token, now).await {
        ensure_own(caller, &refresh.client_id)?;
        authority.revoke_session(&refresh.sid).await?;
        tracing::info!(sid = %refresh.sid, client_id = %caller.client_id, "session revoked by its refresh token");
        return Ok(());
    }
    if let Ok(access) = tokens.verify_access_token(token, now).await {
        ensure_own(caller, &access.client_id)?;
        let revocation = Revocation::Token { jti: access.jti };
        authority.record_revocation(&revocation, access.exp).await?;
        tracing::info!(client_id = %caller.client_id, "access token revoked");
    }
    Ok(())
}

fn ensure_own(caller: &ClientRecord, token_client: &str) -> Result<(), OAuthError> {
    if caller.client_id == token_client {
        Ok(())
    } else {
        Err(OAuthError::unauthorized_client("the token was not issued to this client"))
    }
}
