//! Refresh token grant (RFC 6749 §6) with rotation on every use and reuse detection
//! (RFC 9700 §4.14.2).
//!
//! ```text
//! verify_refresh_token (signature, typ, iss, aud, exp) ─► same client? scope?
//!   ─► user, session and client registration still good? ─► sign the successor
//!   ─► store.rotate_refresh (atomic) ─┬─ Rotated:  new refresh + access token
//!                                     ├─ Grace:    the same successor again
//!                                     ├─ Reused:   session revoked, invalid_grant
//!                                     ├─ NotFound: invalid_grant (log in again)
//!                                     └─ store unavailable: in_doubt::settle
//!                                          ─┬─ our successor stored: answer it
//!                                           └─ not stored, or no answer: 503
//! ```

use shared_claims::OAuthError;

use super::{in_doubt, policy, session_tokens, TokenResponse};
use crate::crypto::random_id;
use crate::oauth::authority::Authority;
use crate::store::{decide_rotation, ClientRecord, RotateOutcome, Rotation, StoreError};
use shared_claims::Secret;
use tracing::Instrument;

const INVALID: &str = "the refresh token is invalid, expired or revoked";

pub(super) async fn issue(
    authority: &Authority,
    client: &ClientRecord,
    refresh_token: Secret,
    requested_scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let now = shared_claims::unix_now();
    let claims = authority
        .tokens
        .verify_refresh_token(refresh_token.expose(), now)
        .await
        .map_err(|e| OAuthError::invalid_grant(INVALID).with_detail(e))?;
    // §6: a refresh token is bound to the client it was issued to.
    if claims.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(INVALID).with_detail("refresh token belongs to another client"));
    }
    // Checked before rotating, so a refused request leaves the token usable.
    let requested = policy::grant_scope(requested_scope, &claims.scope)?;

    // Everything that can refuse or fail happens before the session changes, so a
    // failed request leaves the presented token usable.
    let user =
        authority.store.user(&claims.sub).instrument(tracing::debug_span!("store.user")).await?.filter(|u| !u.disabled);
    let Some(session) = authority.store.session(&claims.sid).instrument(tracing::debug_span!("store.session")).await?
    else {
        return Err(OAuthError::invalid_grant(INVALID).with_detail("no live session"));
    };
    // A client deleted and registered again under the same id is a new client: the
    // sessions of the old one never come back.
    if session.client_registration != client.registration {
        authority.revoke_session_of(&session).await?;
        return Err(OAuthError::invalid_grant(INVALID).with_detail("session of an earlier registration of the client"));
    }
    let Some(user) = user.filter(|u| u.tokens_valid_after <= session.created_at) else {
        authority.revoke_session_of(&session).await?;
        return Err(OAuthError::invalid_grant(INVALID).with_detail("user gone, disabled or password changed"));
    };
    // Allowances may have been cut since login, for the user or the client.
    let scope = requested.intersection(&user.scopes).intersection(&client.scopes);

    let settings = authority.tokens.settings();
    let rotation = Rotation {
        new_jti: random_id(),
        now,
        idle_ttl: settings.refresh_idle_ttl,
        reuse_grace: settings.refresh_reuse_grace,
    };
    // Sign the expected successor now: once the store has rotated, only the answer
    // remains to be sent.
    let prepared = match decide_rotation(&session, &claims.jti, &rotation) {
        RotateOutcome::Rotated(next) => Some(session_tokens::respond(authority, &next, scope.clone(), now).await?),
        _ => None,
    };
    let outcome = match authority
        .store
        .rotate_refresh(&claims.sid, &claims.jti, &rotation)
        .instrument(tracing::debug_span!("store.rotate_refresh"))
        .await
    {
        Ok(outcome) => outcome,
        // The reply was lost, not necessarily the change: answering 503 for a
        // rotation that happened would send the client back with a used token, which
        // is reuse and ends the session. Ask the store what it holds now.
        Err(err @ StoreError::Unavailable(_)) => {
            match in_doubt::settle(authority.store.as_ref(), &claims.sid, &rotation.new_jti).await {
                Some(next) => {
                    tracing::info!(sid = %next.sid, "refresh: rotation confirmed after the store's reply was lost");
                    RotateOutcome::Rotated(next)
                }
                None => return Err(err.into()),
            }
        }
        Err(err) => return Err(err.into()),
    };
    match outcome {
        RotateOutcome::Rotated(next) => match prepared {
            Some(response) if next.refresh_jti == rotation.new_jti => Ok(response),
            _ => session_tokens::respond(authority, &next, scope, now).await,
        },
        RotateOutcome::Grace(current) => session_tokens::respond(authority, &current, scope, now).await,
        RotateOutcome::Reused(session) => {
            tracing::warn!(sid = %session.sid, client_id = %client.client_id, "refresh token reuse: session revoked");
            authority.revoke_session_of(&session).await?;
            Err(OAuthError::invalid_grant(INVALID).with_detail("refresh token reuse"))
        }
        RotateOutcome::NotFound => Err(OAuthError::invalid_grant(INVALID).with_detail("no live session")),
    }
}
