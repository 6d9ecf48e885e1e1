//! `GET /admin/users/{username}/sessions`, `DELETE /admin/users/{username}/sessions`,
//! `DELETE /admin/sessions/{sid}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::json::respond;
use crate::admin::sessions;
use crate::admin::AdminError;
use crate::http::AppState;

/// 200 with the user's live sessions; 404 for an unknown user.
pub async fn get_user_sessions(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let list = sessions::list_user_sessions(&state.authority, &path).await?;
    Ok(respond(StatusCode::OK, &list))
}

/// 204 once every session of the user is revoked; 404 for an unknown user.
pub async fn delete_user_sessions(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    sessions::revoke_user_sessions(&state.authority, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// 204; 404 when no live session has that id.
pub async fn delete_session(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    sessions::revoke_session(&state.authority, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
