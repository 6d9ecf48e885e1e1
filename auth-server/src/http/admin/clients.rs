//! `POST /admin/clients`, `GET /admin/clients`, `DELETE /admin/clients/{client_id}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::json::{read_json, respond};
use crate::admin::caller::AdminCaller;
use crate::admin::clients::{self, ClientView, CreatedClient, NewClient};
use crate::admin::AdminError;
use crate::http::openapi::schemas::AdminErrorBody;
use crate::http::AppState;

/// 201 with the client view and, for a confidential client, its secret (shown once).
#[utoipa::path(
    post,
    path = "/admin/clients",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    request_body(content = NewClient, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; a confidential client's `client_secret` is shown this once", body = CreatedClient),
        (status = 409, description = "A client or user of that name exists", body = AdminErrorBody),
        (status = 413, description = "The body is larger than 64 KiB", body = AdminErrorBody),
    )
)]
pub(crate) async fn post_client(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let new: NewClient = read_json(&req, body).await?;
    let created = clients::create_client(&state.authority, new).await?;
    Ok(respond(StatusCode::CREATED, &created))
}

/// 200 with every client; never a secret.
#[utoipa::path(
    get,
    path = "/admin/clients",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    responses(
        (status = 200, description = "Every client, by `client_id`", body = Vec<ClientView>),
    )
)]
pub(crate) async fn get_clients(state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let list = clients::list_clients(&state.authority).await?;
    Ok(respond(StatusCode::OK, &list))
}

/// 204; 404 for an unknown client; 409 for the caller's own client.
#[utoipa::path(
    delete,
    path = "/admin/clients/{client_id}",
    tag = "admin",
    security(("admin_bearer" = ["admin"])),
    params(("client_id" = String, Path, description = "The client's id")),
    responses(
        (status = 204, description = "Done; empty body"),
        (status = 404, description = "No such client", body = AdminErrorBody),
        (status = 409, description = "The caller's own client: its token would stop working; delete it with another admin client", body = AdminErrorBody),
    )
)]
pub(crate) async fn delete_client(
    path: web::Path<String>,
    state: web::Data<AppState>,
    caller: Option<web::ReqData<AdminCaller>>,
) -> Result<HttpResponse, AdminError> {
    let caller = caller.map(|c| c.into_inner().client_id);
    clients::delete_client(&state.authority, &path, caller.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
