//! `GET /admin/users/{username}/sessions`, `DELETE /admin/users/{username}/sessions`,
//! `DELETE /admin/sessions/{sid}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::json::respond;
use crate::admin::sessions;
use crate::admin::sessions::SessionView;
use crate::admin::AdminError;
use crate::http::openapi::schemas::AdminErrorBody;
use crate::http::AppState;

/// 200 with the user's live sessions; 404 for an unknown user.
#[utoipa::path(
    get,
    path = "/admin/users/{username}/sessions",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("username" = String, Path, description = "The user's name")),
    responses(
        (status = 200, description = "The user's live sessions", body = Vec<SessionView>),
        (status = 404, description = "No such user", body = AdminErrorBody),
    )
)]
pub(crate) async fn get_user_sessions(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let list = sessions::list_user_sessions(&state.authority, &path).await?;
    Ok(respond(StatusCode::OK, &list))
}

/// 204 once every session of the user is revoked, browser login sessions at the
/// authorization endpoint included; 404 for an unknown user.
#[utoipa::path(
    delete,
    path = "/admin/users/{username}/sessions",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("username" = String, Path, description = "The user's name")),
    responses(
        (status = 204, description = "Done; empty body"),
        (status = 404, description = "No such user", body = AdminErrorBody),
    )
)]
pub(crate) async fn delete_user_sessions(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    sessions::revoke_user_sessions(&state.authority, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// 204; 404 when no live session has that id.
#[utoipa::path(
    delete,
    path = "/admin/sessions/{sid}",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("sid" = String, Path, description = "A session id")),
    responses(
        (status = 204, description = "Done; empty body"),
        (status = 404, description = "No live session has that id", body = AdminErrorBody),
    )
)]
pub(crate) async fn delete_session(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    sessions::revoke_session(&state.authority, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
