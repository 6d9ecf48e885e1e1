//! Resource owner password credentials grant (RFC 6749 §4.3): the first-party login.
//! Creates a session; answers with an access token and the session's refresh token.
//! RFC 9700 §2.4 says this grant MUST NOT be used; the contract keeps it for
//! first-party apps only, so register it for nothing else, and the server throttles
//! guessing ([`crate::login_throttle`]).

use shared_claims::{OAuthError, ScopeSet};

use super::{policy, session_tokens, TokenResponse};
use crate::authority::Authority;
use crate::crypto::random_id;
use crate::secret::SecretString;
use crate::store::{ClientRecord, Session};

pub async fn issue(
    authority: &Authority,
    client: &ClientRecord,
    username: &str,
    password: SecretString,
    requested_scope: Option<&str>,
    resources: &[String],
) -> Result<TokenResponse, OAuthError> {
    // What the client may ask for is checked before the (slow) password check; what
    // the user may have only after it, so that the answer reveals nothing about users.
    let client_scope = policy::grant_scope(requested_scope, &client.scopes)?;
    let audiences = policy::audiences(client, resources)?;

    if !authority.login_throttle.allow(username) {
        return Err(OAuthError::invalid_grant("too many login attempts for this account; try again later")
            .with_detail("login throttled"));
    }
    let user = authority.store.user(username).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = authority.passwords.verify(stored_hash, password).await?;
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        _ => return Err(OAuthError::invalid_grant("invalid username or password")),
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
    let expires_at = now + settings.refresh_max_ttl;
    let session = Session {
        sid: random_id(),
        username: user_at_check.username.clone(),
        client_id: client.client_id.clone(),
        scope: scope.clone(),
        audiences,
        created_at: now,
        expires_at,
        last_used: now,
        idle_expires_at: (now + settings.refresh_idle_ttl).min(expires_at),
        refresh_jti: random_id(),
        refresh_iat: now,
        previous_jti: None,
        rotated_at: None,
    };
    authority.store.create_session(&session).await?;
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
    session_tokens::respond(authority, &session, scope, now)
}
