//! `POST /oauth2/revoke` (RFC 7009 §2): the client authenticates as at the token
//! endpoint; the answer is 200 with an empty body whether or not the token was known.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use shared_claims::OAuthError;

use super::client_request::authenticated_form;
use super::openapi::schemas::{OAuthErrorBody, SubjectTokenForm};
use super::{AppState, OAuthResponseError};
use crate::oauth::revocation;

/// Revokes an access token, or a refresh token with its whole session (RFC 7009 §2).
#[utoipa::path(
    post,
    path = "/oauth2/revoke",
    tag = "oauth",
    request_body(content = SubjectTokenForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "Revoked, or not a token of this client, or unknown (RFC 7009 §2.2); \
            empty body"),
        (status = 400, description = "`invalid_request`: no `token`, or a malformed body", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody),
        (status = 500, description = "`server_error`", body = OAuthErrorBody),
        (status = 503, description = "`temporarily_unavailable`, with `Retry-After` (RFC 7009 §2.2.1)",
            body = OAuthErrorBody),
    )
)]
pub(super) async fn post_revoke(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthResponseError> {
    let authority = &state.authority;
    let (form, caller) = authenticated_form(&req, payload, authority, &[]).await?;
    let token = form.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    // §2.1: `token_type_hint` may be ignored; the token's own `typ` decides.
    revocation::revoke(authority, &caller, token).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).finish())
}
