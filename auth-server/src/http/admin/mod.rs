//! `/admin/...`: the admin API, JSON in and out.
//!
//! Every route sits behind [`auth::require_admin`], a middleware on the whole scope,
//! so no route (nor an unknown path under `/admin`) can be reached without a bearer
//! token carrying `admin`; a route cannot forget the check. Handlers read the body
//! only after that, so an anonymous caller learns nothing from validation errors.
//!
//! ```text
//! request ─► auth::require_admin ─► handler: json::read_json ─► crate::admin::<op>
//!         ─► json::respond (view)  |  AdminError, rendered by error.rs with the status
//!                                     of crate::admin's one table
//! ```

mod auth;
pub(super) mod clients;
mod error;
mod json;
pub(super) mod keys;
pub(super) mod sessions;
pub(super) mod users;

#[cfg(test)]
mod tests;

#[cfg(feature = "fuzzing")]
pub use json::{check_media_type, parse_body};

use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};

use crate::admin::AdminError;

/// Registers the admin routes under `/admin`.
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(from_fn(auth::require_admin))
            .service(
                web::resource("/users").route(web::post().to(users::post_user)).route(web::get().to(users::get_users)),
            )
            .service(
                web::resource("/users/{username}")
                    .route(web::get().to(users::get_user))
                    .route(web::patch().to(users::patch_user))
                    .route(web::delete().to(users::delete_user)),
            )
            .service(web::resource("/users/{username}/password").route(web::put().to(users::put_password)))
            .service(
                web::resource("/users/{username}/sessions")
                    .route(web::get().to(sessions::get_user_sessions))
                    .route(web::delete().to(sessions::delete_user_sessions)),
            )
            .service(web::resource("/sessions/{sid}").route(web::delete().to(sessions::delete_session)))
            .service(
                web::resource("/clients")
                    .route(web::post().to(clients::post_client))
                    .route(web::get().to(clients::get_clients)),
            )
            .service(web::resource("/clients/{client_id}").route(web::delete().to(clients::delete_client)))
            .service(web::resource("/keys").route(web::get().to(keys::get_keys)))
            .service(web::resource("/keys/rotate").route(web::post().to(keys::post_rotate)))
            .service(web::resource("/keys/{kid}/revoke").route(web::post().to(keys::post_revoke)))
            .default_service(web::to(unknown_path)),
    );
}

async fn unknown_path() -> Result<HttpResponse, AdminError> {
    Err(AdminError::not_found("no such admin resource"))
}
