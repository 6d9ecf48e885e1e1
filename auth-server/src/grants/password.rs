//! Resource owner password credentials grant (RFC 6749 §4.3): the first-party login.
//! Creates a session; answers with an access token and the session's refresh token.
//! RFC 9700 §2.4 says this grant MUST NOT be used; it is kept, for compatibility, for
//! first-party apps only, so register it for nothing else, and the server throttles
//! guessing ([`crate::oauth::login_throttle`]).
//!
//! ```text
//! issue ─► policy (client scope, audiences) ─► LoginThrottle::check ─► store.user
//!       ─► Passwords::verify ─┬─ mismatch: Attempt::failed ─► invalid_grant
//!                             └─ match: Attempt::succeeded ─► session ─► tokens
//! ```

use std::net::IpAddr;

use shared_claims::{OAuthError, ScopeSet};

use super::{policy, session_tokens, TokenResponse};
use crate::crypto::random_id;
use crate::oauth::authority::Authority;
use crate::store::{ClientRecord, Session};
use shared_claims::Secret;

pub(super) async fn issue(
    authority: &Authority,
    client: &ClientRecord,
    username: &str,
    password: Secret,
    requested_scope: Option<&str>,
    resources: &[String],
    client_address: Option<IpAddr>,
) -> Result<TokenResponse, OAuthError> {
    // What the client may ask for is checked before the (slow) password check; what
    // the user may have only after it, so that the answer reveals nothing about users.
    let client_scope = policy::grant_scope(requested_scope, &client.scopes)?;
    let audiences = policy::audiences(client, resources)?;

    let store = authority.store.as_ref();
    let Some(attempt) = authority.login_throttle.check(store, username, client_address).await? else {
        return Err(
            OAuthError::invalid_grant("too many failed login attempts; try again later").with_detail("login throttled")
        );
    };
    let user = authority.store.user(username).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = authority.passwords.verify(stored_hash, password).await?;
    let user = match user {
        Some(user) if matches && !user.disabled => {
            attempt.succeeded(store).await?;
            user
        }
        _ => {
            attempt.failed(store).await?;
            return Err(OAuthError::invalid_grant("invalid username or password"));
        }
    };

    let scope: ScopeSet = match requested_scope {
        // An explicit request must be fully grantable to this user.
        Some(_) if !client_scope.is_subset(&user.scopes) => {
            return Err(OAuthError::invalid_scope("the requested scope exceeds what may be granted"))
        }
        _ => client_scope.intersection(&user.scopes),
    };

    let user_at_check = user;
    let now = shared_claims::unix_now();
    let settings = authority.tokens.settings();
    let expiry = settings.session_expiry(now);
    let session = Session {
        sid: random_id(),
        username: user_at_check.username.clone(),
        client_id: client.client_id.clone(),
        client_registration: client.registration.clone(),
        scope: scope.clone(),
        audiences,
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
    // A password change or disable that ran while we were hashing must win: its
    // revocation may have listed the user's sessions before this one existed.
    let current = authority.store.user(&session.username).await?;
    if current.as_ref() != Some(&user_at_check) {
        authority.store.delete_session(&session.sid).await?;
        return Err(
            OAuthError::invalid_grant("invalid username or password").with_detail("account changed during login")
        );
    }
    tracing::info!(sid = %session.sid, client_id = %client.client_id, "login");
    end_sessions_over_cap(authority, &over_cap).await;
    session_tokens::respond(authority, &session, scope, now).await
}

/// Ends the oldest sessions of a user and client beyond `AUTH_MAX_SESSIONS_PER_USER`,
/// each a normal session revocation (on the feed). A failure does not fail the login
/// that is already made: the sessions stay indexed, so the next login names them again.
pub(super) async fn end_sessions_over_cap(authority: &Authority, sids: &[String]) {
    for sid in sids {
        match authority.revoke_session(sid).await {
            Ok(()) => tracing::info!(sid = %sid, "session ended: too many sessions for this user and client"),
            Err(err) => tracing::warn!(sid = %sid, error = %err, "could not end a session over the cap"),
        }
    }
}
