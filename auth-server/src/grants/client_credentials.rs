//! Client credentials grant (RFC 6749 §4.4): a service acting for itself. Access
//! token only (§4.4.3: no refresh token), `sub` is the client (RFC 9068 §2.2).

use shared_claims::OAuthError;

use super::{policy, TokenResponse};
use crate::oauth::authority::Authority;
use crate::oauth::tokens::AccessGrant;
use crate::store::ClientRecord;

pub(super) async fn issue(
    authority: &Authority,
    client: &ClientRecord,
    requested_scope: Option<&str>,
    resources: &[String],
) -> Result<TokenResponse, OAuthError> {
    if client.secret_sha256.is_none() {
        // §4.4: confidential clients only. Registration refuses this combination
        // already; this guards records written by other means.
        return Err(OAuthError::unauthorized_client("public clients may not use client_credentials"));
    }
    let grant = AccessGrant {
        subject: client.client_id.clone(),
        client_id: client.client_id.clone(),
        scope: policy::grant_scope(requested_scope, &client.scopes)?,
        audiences: policy::audiences(client, resources)?,
        sid: None,
    };
    let now = shared_claims::unix_now();
    let access_token = authority.tokens.access_token(&grant, now).await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: authority.tokens.settings().access_ttl,
        refresh_token: None,
        scope: grant.scope,
    })
}
