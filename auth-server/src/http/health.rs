//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers too).

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;

pub async fn get_healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn get_readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.authority.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(err) => {
            tracing::warn!(error = %err, "not ready: store unreachable");
            HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "reason": "store unreachable"}))
        }
    }
}
