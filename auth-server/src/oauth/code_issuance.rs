//! Issuing an authorization code (RFC 6749 §4.1.2) to a user whose login session
//! stands: the code (32 random bytes) goes to the client's redirect URI with `state`
//! and `iss` (RFC 9207); the store keeps its SHA-256 with what it stands for, for 60
//! seconds at most (RFC 6749 §4.1.2 recommends ten minutes at most; a browser
//! redirect takes seconds).

use shared_claims::OAuthError;

use crate::crypto::{random_id, random_token, sha256_hex};
use crate::oauth::authority::Authority;
use crate::oauth::authorization_request::{redirect_url, AuthorizationRequest};
use crate::oauth::login_session::OpenLogin;
use crate::store::{AuthorizationCode, UserRecord};

/// How long a code lives, in seconds.
pub(crate) const CODE_TTL: i64 = 60;

/// Random bytes in a code.
const CODE_BYTES: usize = 32;

/// Issues a code and returns the URL that delivers it to the client.
pub(crate) async fn issue(
    authority: &Authority,
    request: &AuthorizationRequest,
    login: &OpenLogin,
    user: &UserRecord,
    now: i64,
) -> Result<String, OAuthError> {
    let code = random_token(CODE_BYTES);
    let record = AuthorizationCode {
        client_id: request.client.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        scope: request.scope.intersection(&user.scopes),
        audiences: request.audiences.clone(),
        username: user.username.clone(),
        login_session: login.key.clone(),
        sid: random_id(),
        auth_time: login.session.auth_time,
        expires_at: now.saturating_add(CODE_TTL),
    };
    // Listed before the code exists, so ending the login session always reaches
    // whatever the code is exchanged for.
    authority.store.add_login_session_sid(&login.key, &record.sid).await?;
    authority.store.put_code(&code_hash(&code), &record).await?;
    tracing::info!(client_id = %record.client_id, sid = %record.sid, "authorization code issued");
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        params.push(("state", state));
    }
    params.push(("iss", authority.issuer()));
    Ok(redirect_url(&request.redirect_uri, &params))
}

/// The store key of a code.
pub(crate) fn code_hash(code: &str) -> String {
    sha256_hex(code.as_bytes())
}
