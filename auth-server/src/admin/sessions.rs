//! Login sessions of a user: list them, end one or all.
//!
//! Ending a session goes through [`Authority::revoke_session`]: the session is
//! deleted (its refresh token stops working) and a session revocation is recorded
//! and fed to resource servers, so every access token carrying its `sid` is refused
//! too. This is not a user cut-off (`revoke_user`): logins made afterwards work.
//!
//! Ending all of a user's sessions also ends the browser login sessions at the
//! authorization endpoint, which the store does not index by user: the user's
//! `tokens_valid_after` moves to now, as a password change does, and a login session
//! stands only if it was opened at or after it. The cut-off is in whole seconds, so a
//! login session opened within the same second as the revocation survives it.

use serde::Serialize;
use shared_claims::ScopeSet;

use super::find_user;
use super::AdminError;
use crate::oauth::authority::Authority;
use crate::store::Session;

/// A live session as the admin API shows it: never its refresh token's `jti`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct SessionView {
    pub sid: String,
    pub client_id: String,
    pub created_at: i64,
    pub last_used: i64,
    /// Absolute end (`AUTH_REFRESH_MAX_TTL` after login).
    pub expires_at: i64,
    /// Sliding end: the session dies if not refreshed before it.
    pub idle_expires_at: i64,
    /// Space-delimited, as in a token response (RFC 6749 §3.3).
    #[schema(value_type = String)]
    pub scope: ScopeSet,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        Self {
            sid: s.sid,
            client_id: s.client_id,
            created_at: s.created_at,
            last_used: s.last_used,
            expires_at: s.expires_at,
            idle_expires_at: s.idle_expires_at,
            scope: s.scope,
        }
    }
}

/// The user's live sessions, oldest first; 404 for an unknown user.
pub(crate) async fn list_user_sessions(authority: &Authority, username: &str) -> Result<Vec<SessionView>, AdminError> {
    find_user(authority, username).await?;
    let now = shared_claims::unix_now();
    let sessions = authority.store.user_sessions(username).await?;
    Ok(sessions.into_iter().filter(|s| s.is_live(now)).map(SessionView::from).collect())
}

/// Ends every session of the user; returns how many. 404 for an unknown user.
pub(crate) async fn revoke_user_sessions(authority: &Authority, username: &str) -> Result<usize, AdminError> {
    let mut user = find_user(authority, username).await?;
    let now = shared_claims::unix_now();
    // Never lowered: a disabled user's cut-off may lie a second ahead.
    if user.tokens_valid_after < now {
        user.tokens_valid_after = now;
        authority.store.put_user(&user).await?;
    }
    let sessions = authority.store.user_sessions(username).await?;
    for session in &sessions {
        authority.revoke_session_of(session).await?;
    }
    tracing::info!(username, sessions = sessions.len(), "admin: sessions revoked");
    Ok(sessions.len())
}

/// Ends one session; 404 when no live session has that id.
pub(crate) async fn revoke_session(authority: &Authority, sid: &str) -> Result<(), AdminError> {
    let Some(session) = authority.store.session(sid).await? else {
        return Err(AdminError::not_found("no live session with that sid"));
    };
    authority.revoke_session_of(&session).await?;
    tracing::info!(sid, "admin: session revoked");
    Ok(())
}
