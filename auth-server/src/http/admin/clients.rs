//! `POST /admin/clients`, `GET /admin/clients`, `DELETE /admin/clients/{client_id}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::json::{read_json, respond};
use crate::admin::clients::{self, NewClient};
use crate::admin::AdminError;
use crate::http::AppState;

/// 201 with the client view and, for a confidential client, its secret (shown once).
pub async fn post_client(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let new: NewClient = read_json(&req, body).await?;
    let created = clients::create_client(&state.authority, new).await?;
    Ok(respond(StatusCode::CREATED, &created))
}

/// 200 with every client; never a secret.
pub async fn get_clients(state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let list = clients::list_clients(&state.authority).await?;
    Ok(respond(StatusCode::OK, &list))
}

/// 204; 404 for an unknown client.
pub async fn delete_client(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    clients::delete_client(&state.authority, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
