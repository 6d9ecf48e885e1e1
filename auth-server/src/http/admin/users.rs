//! `POST /admin/users`, `GET /admin/users`, `GET /admin/users/{username}`,
//! `PATCH /admin/users/{username}`, `DELETE /admin/users/{username}`,
//! `PUT /admin/users/{username}/password`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::json::{read_json, respond};
use crate::admin::passwords::{self, NewPassword};
use crate::admin::user_listing::{self, UserListQuery};
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

/// 200 with one page of users (`?limit=`, `?cursor=`); 400 for a bad query.
pub async fn get_users(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let query: UserListQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| AdminError::invalid("the query takes limit and cursor, each at most once"))?;
    let page = user_listing::list_users(&state.authority, &query).await?;
    Ok(respond(StatusCode::OK, &page))
}

/// 200 with the user view; 404 for an unknown user.
pub async fn get_user(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let user = user_listing::show_user(&state.authority, &path).await?;
    Ok(respond(StatusCode::OK, &user))
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
