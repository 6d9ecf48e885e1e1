//! The common start of the token, introspection and revocation endpoints: read the
//! form body, then authenticate the client (RFC 6749 §2.3) from the `Authorization`
//! header or the body.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use shared_claims::OAuthError;

use super::form_body::read_form;
use crate::oauth::authority::Authority;
use crate::oauth::client_auth::ClientCredentials;
use crate::oauth::form::FormParams;
use crate::store::ClientRecord;

/// The form (names in `multi` may repeat) and the authenticated client.
pub(super) async fn authenticated_form(
    req: &HttpRequest,
    payload: web::Payload,
    authority: &Authority,
    multi: &[&str],
) -> Result<(FormParams, ClientRecord), OAuthError> {
    let form = read_form(req, payload, multi).await?;
    let client = authenticate(req, &form, authority).await?;
    Ok((form, client))
}

/// Authenticates the client of a request whose form is already read.
pub(super) async fn authenticate(
    req: &HttpRequest,
    form: &FormParams,
    authority: &Authority,
) -> Result<ClientRecord, OAuthError> {
    let mut headers = req.headers().get_all(header::AUTHORIZATION);
    let authorization = headers.next().map(|v| v.to_str().unwrap_or(""));
    if headers.next().is_some() {
        // RFC 6749 §2.3: one authentication method per request.
        return Err(OAuthError::invalid_request("more than one Authorization header"));
    }
    ClientCredentials::from_request(authorization, form)?.authenticate(&authority.clients).await
}
