//! `GET /.well-known/jwks.json` (RFC 7517 §5): every key a valid token may be signed
//! with. Cacheable: resource servers honour `max-age` and refetch on an unknown `kid`;
//! each answer is read from the store, so it holds keys other replicas rotated in.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::openapi::schemas::Jwks;
use super::AppState;

/// The published signing keys; `Cache-Control: public, max-age=<AUTH_JWKS_MAX_AGE>`.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "discovery",
    responses((status = 200, description = "The JWK Set (RFC 7517 §5)", content_type = "application/jwk-set+json",
        body = Jwks))
)]
pub(super) async fn get_jwks(state: web::Data<AppState>) -> HttpResponse {
    let keys = state.authority.tokens.keys().published().await;
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={}", state.jwks_max_age)))
        .body(keys.jwks_json().to_owned())
}
