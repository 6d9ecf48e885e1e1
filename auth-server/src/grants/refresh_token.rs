//! Refresh token grant (RFC 6749 §6) with rotation on every use and reuse detection
//! (RFC 9700 §4.14.2).
//!
//! ```text
//! verify_refresh_token (signature, typ, iss, aud, exp)
//!   ─► same client? ─► store.rotate_refresh (atomic) ─┬─ Rotated: new refresh + access token
//!                                                     ├─ Grace:   the same successor again
//!                                                     ├─ Reused:  session revoked, invalid_grant
//!                                                     └─ NotFound: invalid_grant (log in again)
//! ```

use shared_claims::OAuthError;

use super::{policy, session_tokens, TokenResponse};
use crate::authority::Authority;
use crate::crypto::random_id;
use crate::secret::SecretString;
use crate::store::{ClientRecord, RotateOutcome, Rotation};

const INVALID: &str = "the refresh token is invalid, expired or revoked";

pub async fn issue(
    authority: &Authority,
    client: &ClientRecord,
    refresh_token: SecretString,
    requested_scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let now = shared_claims::unix_now();
    let claims = authority
        .tokens
        .verify_refresh_token(refresh_token.expose(), now)
        .map_err(|e| OAuthError::invalid_grant(INVALID).with_detail(e))?;
    // §6: a refresh token is bound to the client it was issued to.
    if claims.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(INVALID).with_detail("refresh token belongs to another client"));
    }
    // Checked before rotating, so a refused request leaves the token usable.
    let requested = policy::grant_scope(requested_scope, &claims.scope)?;

    let settings = authority.tokens.settings();
    let rotation = Rotation {
        new_jti: random_id(),
        now,
        idle_ttl: settings.refresh_idle_ttl,
        reuse_grace: settings.refresh_reuse_grace,
    };
    let outcome =
        authority.store.rotate_refresh(&claims.sid, &claims.jti, &rotation).await.map_err(OAuthError::server_error)?;
    let session = match outcome {
        RotateOutcome::Rotated(session) | RotateOutcome::Grace(session) => session,
        RotateOutcome::Reused(session) => {
            tracing::warn!(sid = %session.sid, client_id = %client.client_id, "refresh token reuse: session revoked");
            authority.revoke_session(&session.sid).await.map_err(OAuthError::server_error)?;
            return Err(OAuthError::invalid_grant(INVALID).with_detail("refresh token reuse"));
        }
        RotateOutcome::NotFound => {
            return Err(OAuthError::invalid_grant(INVALID).with_detail("no live session"));
        }
    };

    // The user may have been disabled or had allowances cut since login.
    let user = authority.store.user(&session.username).await.map_err(OAuthError::server_error)?;
    let Some(user) = user.filter(|u| !u.disabled && u.tokens_valid_after <= session.created_at) else {
        authority.revoke_session(&session.sid).await.map_err(OAuthError::server_error)?;
        return Err(OAuthError::invalid_grant(INVALID).with_detail("user gone, disabled or password changed"));
    };
    let scope = requested.intersection(&user.scopes);
    session_tokens::respond(authority, &session, scope, now)
}
