//! `POST /oauth2/introspect` (RFC 7662 §2): the caller authenticates as a client
//! holding `introspect`; the answer is the token's claims or `{"active": false}`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use shared_claims::OAuthError;

use super::client_request::authenticated_form;
use super::openapi::schemas::{OAuthErrorBody, SubjectTokenForm};
use super::{AppState, OAuthResponseError};
use crate::oauth::introspection::{self, Introspection};

/// The state and claims of a token meant for the caller (RFC 7662 §2).
#[utoipa::path(
    post,
    path = "/oauth2/introspect",
    tag = "oauth",
    request_body(content = SubjectTokenForm, content_type = "application/x-www-form-urlencoded"),
    security(("client_basic" = []), ()),
    responses(
        (status = 200, description = "The token's claims, or `{\"active\": false}` for a token that is not \
            active or not meant for the caller (RFC 7662 §2.2)", body = Introspection),
        (status = 400, description = "`invalid_request`: no `token`, or a malformed body", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody),
        (status = 403, description = "`access_denied`: the caller is not a confidential client holding \
            `introspect`", body = OAuthErrorBody),
        (status = 500, description = "`server_error`", body = OAuthErrorBody),
        (status = 503, description = "`temporarily_unavailable`, with `Retry-After`", body = OAuthErrorBody),
    )
)]
pub(super) async fn post_introspect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthResponseError> {
    let authority = &state.authority;
    let (form, caller) = authenticated_form(&req, payload, authority, &[]).await?;
    introspection::authorize_caller(&caller)?;
    let token = form.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    // §2.1: `token_type_hint` is only a hint; a token is recognised by its own `typ`.
    let answer = introspection::introspect(authority, &caller, token).await?;
    Ok(respond(&answer))
}

fn respond(answer: &Introspection) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(answer)
}
