//! Token revocation (RFC 7009): what presenting a token at `/oauth2/revoke` does.
//!
//! - A refresh token ends its whole session: every refresh and access token of that
//!   login (RFC 7009 §2.1 allows revoking related tokens).
//! - An access token is revoked by `jti` until it would have expired; past a budget
//!   per session (see [`crate::oauth::revocation_budget`]) its whole session is revoked
//!   instead, and past one per client a session-less token is refused with 503.
//! - The revocation concerns the token's audiences: the feed shows it only to the
//!   resource servers serving one of them.
//! - A token that is unknown, malformed, expired or already revoked changes nothing
//!   and still succeeds (§2.2): the caller's goal, an unusable token, is met.
//! - A client may revoke only its own tokens (§2.1).

use shared_claims::OAuthError;

use crate::oauth::authority::Authority;
use crate::store::{ClientRecord, Revocation};

pub(crate) async fn revoke(authority: &Authority, caller: &ClientRecord, token: &str) -> Result<(), OAuthError> {
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
        let budget = &authority.revocation_budget;
        match access.sid.as_deref() {
            Some(sid) if !budget.allow_session(sid) => {
                authority.revoke_session(sid).await?;
                tracing::warn!(
                    sid,
                    client_id = %caller.client_id,
                    "access tokens of one session revoked too often: the whole session is revoked"
                );
                return Ok(());
            }
            None if !budget.allow_client(&caller.client_id) => {
                return Err(OAuthError::temporarily_unavailable(format_args!(
                    "client {} revokes access tokens too often",
                    caller.client_id
                )));
            }
            _ => {}
        }
        let audiences: Vec<String> = access.aud.iter().map(str::to_owned).collect();
        let revocation = Revocation::Token { jti: access.jti };
        authority.record_revocation_for(&revocation, &audiences, access.exp).await?;
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
