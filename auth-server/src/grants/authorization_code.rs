//! The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.6).
//!
//! ```text
//! issue ─► store.redeem_code ─┬─ None: invalid_grant
//!                             ├─ AlreadyUsed: revoke the sid the first exchange got ─► invalid_grant
//!                             └─ First ─► client, redirect_uri, PKCE verifier match?
//!                                   └─ no: invalid_grant (the code stays spent)
//!                                   └─ yes ─► user still allowed? ─► session (pre-allocated sid) ─► tokens
//! ```

use shared_claims::{OAuthError, Secret};

use super::{session_tokens, TokenResponse};
use crate::crypto::random_id;
use crate::oauth::authority::Authority;
use crate::oauth::code_issuance::code_hash;
use crate::oauth::pkce;
use crate::store::{ClientRecord, Redeemed, Session};

pub(super) async fn issue(
    authority: &Authority,
    client: &ClientRecord,
    code: Secret,
    redirect_uri: &str,
    code_verifier: Secret,
) -> Result<TokenResponse, OAuthError> {
    let now = shared_claims::unix_now();
    let invalid = || OAuthError::invalid_grant("the authorization code is invalid, expired or already used");
    let record = match authority.store.redeem_code(&code_hash(code.expose()), now).await? {
        None => return Err(invalid().with_detail("unknown or expired code")),
        Some(Redeemed::AlreadyUsed(record)) => {
            // RFC 6749 §4.1.2: a replayed code revokes what it was exchanged for.
            authority.revoke_session(&record.sid).await?;
            tracing::warn!(sid = %record.sid, client_id = %record.client_id, "authorization code replayed: session revoked");
            return Err(invalid().with_detail("code replayed"));
        }
        Some(Redeemed::First(record)) => record,
    };
    if record.client_id != client.client_id {
        return Err(invalid().with_detail("code issued to another client"));
    }
    if record.redirect_uri != redirect_uri {
        return Err(invalid().with_detail("redirect_uri differs from the authorization request"));
    }
    if !pkce::verifies(code_verifier.expose(), &record.code_challenge) {
        return Err(invalid().with_detail("PKCE verifier does not match"));
    }
    // The user may have been disabled or changed the password since the login.
    let user = authority.store.user(&record.username).await?;
    if !user.as_ref().is_some_and(|u| !u.disabled && u.tokens_valid_after <= record.auth_time) {
        return Err(invalid().with_detail("the user may no longer sign in"));
    }

    let settings = authority.tokens.settings();
    let expiry = settings.session_expiry(now);
    let session = Session {
        sid: record.sid.clone(),
        username: record.username.clone(),
        client_id: client.client_id.clone(),
        client_registration: client.registration.clone(),
        scope: record.scope.clone(),
        audiences: record.audiences.clone(),
        created_at: now,
        expires_at: expiry.expires_at,
        last_used: now,
        idle_expires_at: expiry.idle_expires_at,
        refresh_jti: random_id(),
        refresh_iat: now,
        previous_jti: None,
        rotated_at: None,
    };
    let over_cap = authority.store.create_session(&session, settings.max_sessions_per_user).await?;
    // A replay or a logout that ran meanwhile revoked this sid before the session
    // existed: it must not outlive that.
    if authority.store.is_revoked("", Some(&session.sid), &session.username, &client.client_id, now).await? {
        authority.store.delete_session(&session.sid).await?;
        return Err(invalid().with_detail("session revoked during the exchange"));
    }
    tracing::info!(sid = %session.sid, client_id = %client.client_id, "login (authorization code)");
    super::password::end_sessions_over_cap(authority, &over_cap).await;
    session_tokens::respond(authority, &session, record.scope, now).await
}
