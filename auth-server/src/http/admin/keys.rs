//! `GET /admin/keys`, `POST /admin/keys/rotate`, `POST /admin/keys/{kid}/revoke`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::json::respond;
use crate::admin::keys;
use crate::admin::AdminError;
use crate::http::AppState;

/// 200 with every signing key's `kid`, state and dates.
pub async fn get_keys(state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let list = keys::list_keys(&state.authority).await?;
    Ok(respond(StatusCode::OK, &list))
}

/// 200 with the key list after the rotation; tokens issued after this answer carry
/// the new active key's `kid`.
pub async fn post_rotate(state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let list = keys::rotate_keys(&state.authority).await?;
    Ok(respond(StatusCode::OK, &list))
}

/// Emergency revocation of one key: 200 with the key list after it (the key gone,
/// another active if it was the active one); 404 for an unknown `kid`.
pub async fn post_revoke(state: web::Data<AppState>, kid: web::Path<String>) -> Result<HttpResponse, AdminError> {
    let list = keys::revoke_key(&state.authority, &kid).await?;
    Ok(respond(StatusCode::OK, &list))
}
