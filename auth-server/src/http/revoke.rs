//! `POST /oauth2/revoke` (RFC 7009 §2): the client authenticates as at the token
//! endpoint; the answer is 200 with an empty body whether or not the token was known.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use shared_claims::OAuthError;

use super::form_body::read_form;
use super::{AppState, OAuthResponseError};
use crate::client_auth::ClientCredentials;
use crate::revocation;

pub async fn post_revoke(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthResponseError> {
    let form = read_form(&req, payload, &[]).await?;
    let authorization = req.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or(""));
    let credentials = ClientCredentials::from_request(authorization, &form)?;
    let authority = &state.authority;
    let caller = credentials.authenticate(authority.store.as_ref()).await?;
    let token = form.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    // §2.1: `token_type_hint` may be ignored; the token's own `typ` decides.
    revocation::revoke(authority, &caller, token).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).finish())
}
