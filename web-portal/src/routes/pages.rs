//! The one-page UI and its assets, and the operational endpoints.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::json_error;
use crate::app::AppState;

const INDEX_HTML: &str = include_str!("../../static/index.html");
const APP_JS: &str = include_str!("../../static/app.js");
const APP_CSS: &str = include_str!("../../static/app.css");

/// The page is the same for everyone: whether someone is signed in, and who, the
/// script asks `/api/me`.
pub(crate) async fn get_index() -> HttpResponse {
    HttpResponse::Ok().insert_header((CONTENT_TYPE, "text/html; charset=utf-8")).body(INDEX_HTML)
}

pub(crate) async fn get_asset(name: web::Path<String>) -> HttpResponse {
    let (content_type, body) = match name.as_str() {
        "app.js" => ("text/javascript; charset=utf-8", APP_JS),
        "app.css" => ("text/css; charset=utf-8", APP_CSS),
        _ => return json_error(StatusCode::NOT_FOUND, "not_found", "no such file"),
    };
    HttpResponse::Ok().insert_header((CONTENT_TYPE, content_type)).body(body)
}

/// Alive as long as the process answers.
pub(crate) async fn get_healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready once the authorization server's metadata has been read.
pub(crate) async fn get_readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.discovery.provider().await {
        Ok(_) => HttpResponse::Ok().json(json!({"status": "ready"})),
        // The reason names internal addresses: it goes to the log, not to the public port.
        Err(err) => {
            tracing::warn!(error = %shared_claims::error_chain(&err), "not ready: the authorization server's metadata is unavailable");
            HttpResponse::ServiceUnavailable().json(json!({"status": "not ready"}))
        }
    }
}
