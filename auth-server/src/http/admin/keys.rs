//! `GET /admin/keys`, `POST /admin/keys/rotate`, `POST /admin/keys/{kid}/revoke`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::json::respond;
use crate::admin::keys::{self, KeyView};
use crate::admin::AdminError;
use crate::http::openapi::schemas::AdminErrorBody;
use crate::http::AppState;

/// 200 with every signing key's `kid`, state and dates.
#[utoipa::path(
    get,
    path = "/admin/keys",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    responses(
        (status = 200, description = "Every signing key, oldest first", body = Vec<KeyView>),
    )
)]
pub(crate) async fn get_keys(state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let list = keys::list_keys(&state.authority).await?;
    Ok(respond(StatusCode::OK, &list))
}

/// 200 with the key list after the rotation; tokens issued after this answer carry
/// the new active key's `kid`.
#[utoipa::path(
    post,
    path = "/admin/keys/rotate",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    responses(
        (status = 200, description = "The keys after the rotation", body = Vec<KeyView>),
        (status = 409, description = "The key set cannot rotate now (too many retired keys)", body = AdminErrorBody),
    )
)]
pub(crate) async fn post_rotate(state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let list = keys::rotate_keys(&state.authority).await?;
    Ok(respond(StatusCode::OK, &list))
}

/// Emergency revocation of one key: 200 with the key list after it (the key gone,
/// another active if it was the active one); 404 for an unknown `kid`.
#[utoipa::path(
    post,
    path = "/admin/keys/{kid}/revoke",
    // Unique in the document: `post_revoke` is also RFC 7009 revocation.
    operation_id = "post_key_revoke",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("kid" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The keys after the revocation", body = Vec<KeyView>),
        (status = 404, description = "No signing key with that kid", body = AdminErrorBody),
        (status = 409, description = "The key set cannot change now", body = AdminErrorBody),
    )
)]
pub(crate) async fn post_revoke(
    state: web::Data<AppState>,
    kid: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let list = keys::revoke_key(&state.authority, &kid).await?;
    Ok(respond(StatusCode::OK, &list))
}
