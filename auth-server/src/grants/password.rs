//! Resource owner password credentials grant (RFC 6749 §4.3): the first-party login.
//! Creates a session; answers with an access token and the session's refresh token.
//! RFC 9700 §2.4 discourages this grant for third parties: register it only for
//! first-party clients.

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

    let user = authority.store.user(username).await.map_err(OAuthError::server_error)?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = authority.passwords.verify(stored_hash, password).await.map_err(OAuthError::server_error)?;
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

    let now = shared_claims::unix_now();
    let settings = authority.tokens.settings();
    let expires_at = now + settings.refresh_max_ttl;
    let session = Session {
        sid: random_id(),
        username: user.username,
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
    authority.store.create_session(&session).await.map_err(OAuthError::server_error)?;
    tracing::info!(sid = %session.sid, client_id = %client.client_id, "login");
    session_tokens::respond(authority, &session, scope, now)
}
