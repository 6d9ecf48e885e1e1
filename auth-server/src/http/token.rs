//! `POST /oauth2/token` (RFC 6749 §3.2): authenticate the client, run the grant,
//! answer with `Cache-Control: no-store` (§5.1).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::client_request::authenticate;
use super::form_body::read_form;
use super::metrics::{GrantLabels, Metrics};
use super::{AppState, OAuthResponseError};
use crate::grants::{self, TokenRequest};
use server_kit::trusted_proxies::client_address;

pub async fn post_token(
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
