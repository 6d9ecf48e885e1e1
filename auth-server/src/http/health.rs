//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers too).

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::openapi::schemas::Health;
use super::AppState;
use crate::store::StoreError;

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "The process answers: `{\"status\": \"ok\"}`", body = Health))
)]
pub(super) async fn get_healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `/readyz` answers within this, store or no store: a probe that hangs is no answer.
const READY_TIMEOUT: Duration = Duration::from_millis(800);

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "The store answers too: `{\"status\": \"ready\"}`", body = Health),
        (status = 503, description = "The store does not answer", body = Health),
    )
)]
pub(super) async fn get_readyz(state: web::Data<AppState>) -> HttpResponse {
    let ping = tokio::time::timeout(READY_TIMEOUT, state.authority.store.ping()).await;
    match ping.unwrap_or_else(|_| Err(StoreError::Unavailable("no answer in time".into()))) {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(err) => {
            tracing::warn!(error = %shared_claims::error_chain(&err), "not ready: store unreachable");
            HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "reason": "store unreachable"}))
        }
    }
}
