//! The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.6).
//!
//! ```text
//! issue ─► store.redeem_code ─┬─ None: invalid_grant
//!                             ├─ AlreadyUsed (kept long after the 60 s): revoke the sid the first exchange got ─► invalid_grant
//!                             └─ First ─► client, redirect_uri, PKCE verifier match?
//!                                   └─ no: invalid_grant (the code stays spent)
//!                                   └─ yes ─► user still allowed? ─► session (pre-allocated sid)
//!                                         ─► listed in its login session? (gone: revoked, invalid_grant) ─► tokens
//! ```

use shared_claims::{OAuthError, Secret};

use super::{session_tokens, TokenResponse};
use crate::crypto::random_id;
use crate::oauth::authority::Authority;
use crate::oauth::code_issuance::{code_hash, USED_CODE_KEPT_MIN};
use crate::oauth::{login_session, pkce};
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
    let kept = USED_CODE_KEPT_MIN.max(authority.tokens.settings().refresh_idle_ttl);
    let record = match authority.store.redeem_code(&code_hash(code.expose()), now, now.saturating_add(kept)).await? {
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
    // The same checks as resuming the login session: the user may have been disabled,
    // deleted, changed the password or been cut off since the login.
    let stands = match authority.store.user(&record.username).await? {
        Some(user) => login_session::user_stands(authority, &user, record.auth_time, &record.credentials).await?,
        None => false,
    };
    if !stands {
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
    // Listed only now that a session exists, so codes never exchanged leave nothing
    // behind in the login session; a logout that ran first leaves no login session to
    // list it in, and the new session must not outlive that logout.
    if !authority.store.add_login_session_sid(&record.login_session, &session.sid).await? {
        authority.revoke_session(&session.sid).await?;
        return Err(invalid().with_detail("the login session ended during the exchange"));
    }
    tracing::info!(sid = %session.sid, client_id = %client.client_id, "login (authorization code)");
    super::password::end_sessions_over_cap(authority, &over_cap).await;
    session_tokens::respond(authority, &session, record.scope, now).await
}
