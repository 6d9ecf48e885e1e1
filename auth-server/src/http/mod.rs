//! The HTTP layer: parses requests, calls the framework-free logic, renders answers.
//! One file per endpoint, named after it.

mod admin;
mod authorize;
mod client_request;
mod cookies;
mod cors;
mod form_body;
mod health;
mod introspect;
mod jwks;
mod login_page;
mod logout;
mod metadata;
pub mod metrics;
mod oauth_response;
pub mod openapi;
mod revocation_feed;
mod revoke;
#[cfg(test)]
mod tests;
mod token;

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{middleware, web};

pub use oauth_response::OAuthResponseError;
pub use server_kit::TrustedProxies;

/// The admin API's body parsers, reachable from the fuzz targets in `fuzz/`.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use admin::{check_media_type as admin_check_media_type, parse_body as admin_parse_body};

use crate::oauth::authority::Authority;

/// What every handler can reach.
pub struct AppState {
    pub authority: Arc<Authority>,
    pub jwks_max_age: i64,
    pub metadata: metadata::MetadataCache,
    /// Whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: TrustedProxies,
}

impl AppState {
    pub fn new(authority: Arc<Authority>, jwks_max_age: i64) -> Self {
        Self { authority, jwks_max_age, metadata: Default::default(), trusted_proxies: TrustedProxies::default() }
    }

    pub fn with_trusted_proxies(self, trusted_proxies: TrustedProxies) -> Self {
        Self { trusted_proxies, ..self }
    }
}

/// Registers every route; shared by `main` and the in-process tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth2/token")
            .wrap(middleware::from_fn(cors::allow_origin))
            .route(web::post().to(token::post_token))
            .route(web::method(Method::OPTIONS).to(cors::preflight)),
    )
    .service(
        web::resource("/oauth2/revoke")
            .wrap(middleware::from_fn(cors::allow_origin))
            .route(web::post().to(revoke::post_revoke))
            .route(web::method(Method::OPTIONS).to(cors::preflight)),
    )
    .service(
        web::resource("/oauth2/authorize")
            .route(web::get().to(authorize::get_authorize))
            .route(web::post().to(authorize::post_authorize)),
    )
    .service(
        web::resource("/oauth2/logout")
            .route(web::get().to(logout::get_logout))
            .route(web::post().to(logout::post_logout)),
    )
    .service(web::resource("/oauth2/assets/login.css").route(web::get().to(login_page::get_login_css)))
    .service(web::resource(shared_claims::feed_protocol::PATH).route(web::get().to(revocation_feed::get_revocations)))
    .service(web::resource("/oauth2/introspect").route(web::post().to(introspect::post_introspect)))
    .service(web::resource("/.well-known/oauth-authorization-server").route(web::get().to(metadata::get_metadata)))
    .service(
        web::resource("/.well-known/oauth-authorization-server/{path:.+}")
            .route(web::get().to(metadata::get_metadata_for_path)),
    )
    .service(web::resource("/.well-known/jwks.json").route(web::get().to(jwks::get_jwks)))
    .configure(health_routes)
    .configure(admin::configure);
}

/// The operational routes, on their own listener (`AUTH_OPS_BIND`): the public port
/// shows no counters. Health is on both, for load balancers and orchestrators alike.
pub fn configure_ops(cfg: &mut web::ServiceConfig) {
    cfg.configure(health_routes)
        .service(web::resource("/metrics").route(web::get().to(metrics::get_metrics)))
        .service(web::resource("/openapi.json").route(web::get().to(openapi::get_openapi)));
}

fn health_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::get_healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::get_readyz)));
}
