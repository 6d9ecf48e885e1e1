//! The HTTP layer: parses requests, calls the framework-free logic, renders answers.
//! One file per endpoint, named after it.

mod admin;
mod client_request;
mod form_body;
mod health;
mod introspect;
mod jwks;
mod metadata;
pub mod metrics;
mod oauth_response;
mod revocation_feed;
mod revoke;
mod token;

use std::sync::Arc;

use actix_web::web;

pub use oauth_response::OAuthResponseError;

use crate::authority::Authority;

/// What every handler can reach.
pub struct AppState {
    pub authority: Arc<Authority>,
    pub jwks_max_age: i64,
    pub metadata: metadata::MetadataCache,
}

impl AppState {
    pub fn new(authority: Arc<Authority>, jwks_max_age: i64) -> Self {
        Self { authority, jwks_max_age, metadata: Default::default() }
    }
}

/// Registers every route; shared by `main` and the in-process tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/oauth2/token").route(web::post().to(token::post_token)))
        .service(web::resource("/oauth2/revoke").route(web::post().to(revoke::post_revoke)))
        .service(web::resource("/oauth2/revocations").route(web::get().to(revocation_feed::get_revocations)))
        .service(web::resource("/oauth2/introspect").route(web::post().to(introspect::post_introspect)))
        .service(web::resource("/.well-known/oauth-authorization-server").route(web::get().to(metadata::get_metadata)))
        .service(
            web::resource("/.well-known/oauth-authorization-server/{path:.+}")
                .route(web::get().to(metadata::get_metadata_for_path)),
        )
        .service(web::resource("/.well-known/jwks.json").route(web::get().to(jwks::get_jwks)))
        .service(web::resource("/healthz").route(web::get().to(health::get_healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::get_readyz)))
        .service(web::resource("/metrics").route(web::get().to(metrics::get_metrics)))
        .configure(admin::configure);
}
