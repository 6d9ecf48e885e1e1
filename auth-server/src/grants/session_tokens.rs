//! The answer for a grant that involves a login session: an access token and the
//! refresh token the session expects next.

use shared_claims::{OAuthError, ScopeSet};

use super::TokenResponse;
use crate::oauth::authority::Authority;
use crate::oauth::tokens::AccessGrant;
use crate::store::Session;

/// Mints both tokens. `scope` is what this access token carries, which a refresh
/// may narrow below the session's scope (RFC 6749 §6).
pub(super) async fn respond(
    authority: &Authority,
    session: &Session,
    scope: ScopeSet,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    let tokens = &authority.tokens;
    let grant = AccessGrant {
        subject: session.username.clone(),
        client_id: session.client_id.clone(),
        scope,
        audiences: session.audiences.clone(),
        sid: Some(session.sid.clone()),
    };
    let access_token = tokens.access_token(&grant, now).await?;
    let refresh_token = tokens.refresh_token(session).await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: tokens.settings().access_ttl,
        refresh_token: Some(refresh_token),
        scope: grant.scope,
    })
}
