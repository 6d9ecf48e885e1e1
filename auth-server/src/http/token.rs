//! `POST /oauth2/token` (RFC 6749 §3.2): authenticate the client, run the grant,
//! answer with `Cache-Control: no-store` (§5.1).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::client_request::authenticate;
use super::form_body::read_form;
use super::metrics::{GrantLabels, Metrics};
use super::openapi::schemas::{OAuthErrorBody, TokenForm};
use super::{AppState, OAuthResponseError};
use crate::grants::{self, TokenRequest, TokenResponse};
use server_kit::trusted_proxies::client_address;

/// Issues tokens for one of three grants (RFC 6749 §4.3, §4.4, §6).
#[utoipa::path(
    post,
    path = "/oauth2/token",
    tag = "oauth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "Tokens (RFC 6749 §5.1); `Cache-Control: no-store`", body = TokenResponse),
        (status = 400, description = "`invalid_request` (also a body that is not a form, too large, or repeating a parameter), `invalid_grant`, `unauthorized_client`,
            `unsupported_grant_type`, `invalid_scope`, `invalid_target` (RFC 6749 §5.2)", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`; `WWW-Authenticate: Basic` after failed Basic \
            authentication", body = OAuthErrorBody),
        (status = 500, description = "`server_error`", body = OAuthErrorBody),
        (status = 503, description = "`temporarily_unavailable`, with `Retry-After`", body = OAuthErrorBody),
    )
)]
pub(super) async fn post_token(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    metrics: web::Data<Arc<Metrics>>,
) -> Result<HttpResponse, OAuthResponseError> {
    // RFC 8707: `resource` may repeat; no other parameter may.
    let form = read_form(&req, payload, &["resource"]).await?;
    let request = TokenRequest::parse(&form)?;
    let grant_type = request.grant.grant_type().as_str();
    let authority = &state.authority;
    let client = authenticate(&req, &form, authority).await?;
    let address = client_address(&req, &state.trusted_proxies);
    let response = grants::issue(authority, &client, request, address).await?;
    metrics.tokens_issued.get_or_create(&GrantLabels { grant_type }).inc();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(response))
}
