//! `POST /admin/users`, `PATCH /admin/users/{username}`,
//! `DELETE /admin/users/{username}`, `PUT /admin/users/{username}/password`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::json::{read_json, respond};
use crate::admin::passwords::{self, NewPassword};
use crate::admin::users::{self, NewUser, UserPatch};
use crate::admin::AdminError;
use crate::http::AppState;

/// 201 with the user view; 409 if the name is taken.
pub async fn post_user(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let new: NewUser = read_json(&req, body).await?;
    let user = users::create_user(&state.authority, new).await?;
    Ok(respond(StatusCode::CREATED, &user))
}

/// 200 with the user view after the change.
pub async fn patch_user(
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let patch: UserPatch = read_json(&req, body).await?;
    let user = users::update_user(&state.authority, &path, patch).await?;
    Ok(respond(StatusCode::OK, &user))
}

/// 204; everything of the user is revoked first.
pub async fn delete_user(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    users::delete_user(&state.authority, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// 204; sessions and tokens from before the change are revoked.
pub async fn put_password(
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let new: NewPassword = read_json(&req, body).await?;
    passwords::set_password(&state.authority, &path, new).await?;
    Ok(HttpResponse::NoContent().finish())
}
