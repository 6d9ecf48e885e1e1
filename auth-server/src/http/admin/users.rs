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
use crate::admin::{user_listing::UserList, users::UserView};
use crate::http::openapi::schemas::AdminErrorBody;
use crate::http::AppState;

/// 201 with the user view; 409 if the name is taken.
#[utoipa::path(
    post,
    path = "/admin/users",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    request_body(content = NewUser, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 409, description = "A user or client of that name exists", body = AdminErrorBody),
        (status = 413, description = "The body is larger than 64 KiB", body = AdminErrorBody),
    )
)]
pub(crate) async fn post_user(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let new: NewUser = read_json(&req, body).await?;
    let user = users::create_user(&state.authority, new).await?;
    Ok(respond(StatusCode::CREATED, &user))
}

/// 200 with one page of users (`?limit=`, `?cursor=`); 400 for a bad query.
#[utoipa::path(
    get,
    path = "/admin/users",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Users per page, default 100"), ("cursor" = Option<String>, Query, min_length = 1, pattern = "^[A-Za-z0-9_-]+$", description = "A `next_cursor` of an earlier page, opaque; any other value is 400")),
    responses(
        (status = 200, description = "One page of users, in no particular order", body = UserList),
    )
)]
pub(crate) async fn get_users(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let query: UserListQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| AdminError::invalid("the query takes limit and cursor, each at most once"))?;
    let page = user_listing::list_users(&state.authority, &query).await?;
    Ok(respond(StatusCode::OK, &page))
}

/// 200 with the user view; 404 for an unknown user.
#[utoipa::path(
    get,
    path = "/admin/users/{username}",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("username" = String, Path, description = "The user's name")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 404, description = "No such user", body = AdminErrorBody),
    )
)]
pub(crate) async fn get_user(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let user = user_listing::show_user(&state.authority, &path).await?;
    Ok(respond(StatusCode::OK, &user))
}

/// 200 with the user view after the change.
#[utoipa::path(
    patch,
    path = "/admin/users/{username}",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("username" = String, Path, description = "The user's name")),
    request_body(content = UserPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "The user after the change", body = UserView),
        (status = 404, description = "No such user", body = AdminErrorBody),
        (status = 413, description = "The body is larger than 64 KiB", body = AdminErrorBody),
    )
)]
pub(crate) async fn patch_user(
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
#[utoipa::path(
    delete,
    path = "/admin/users/{username}",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("username" = String, Path, description = "The user's name")),
    responses(
        (status = 204, description = "Done; empty body"),
        (status = 404, description = "No such user", body = AdminErrorBody),
    )
)]
pub(crate) async fn delete_user(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    users::delete_user(&state.authority, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// 204; sessions and tokens from before the change are revoked.
#[utoipa::path(
    put,
    path = "/admin/users/{username}/password",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("username" = String, Path, description = "The user's name")),
    request_body(content = NewPassword, content_type = "application/json"),
    responses(
        (status = 204, description = "Done; empty body"),
        (status = 404, description = "No such user", body = AdminErrorBody),
        (status = 413, description = "The body is larger than 64 KiB", body = AdminErrorBody),
    )
)]
pub(crate) async fn put_password(
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let new: NewPassword = read_json(&req, body).await?;
    passwords::set_password(&state.authority, &path, new).await?;
    Ok(HttpResponse::NoContent().finish())
}
