//! Operations endpoints: liveness, readiness and Prometheus metrics.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest, HttpResponse, Responder};
use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;
use serde_json::json;

use resource_server::actix::BearerAuth;

/// Alive as long as the process answers.
pub(crate) async fn get_healthz() -> impl Responder {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready once the verifier can judge tokens: local mode holds the key set and its
/// revocation feed is live (a stale or absent feed means tokens are answered 503, so
/// a load balancer should route elsewhere); introspection mode has discovered the auth
/// server. The body names the reason when not ready.
pub(crate) async fn get_readyz(req: HttpRequest) -> impl Responder {
    let reason = match BearerAuth::from_app_data(&req) {
        Some(auth) => auth.verifier().not_ready_reason(),
        None => Some("token verification is not configured"),
    };
    match reason {
        None => HttpResponse::Ok().json(json!({"status": "ready"})),
        Some(reason) => HttpResponse::ServiceUnavailable().json(json!({"status": "not ready", "reason": reason})),
    }
}

/// The registry in the OpenMetrics text format: the verifier's counters (`rs_*`).
pub(crate) async fn get_metrics(registry: web::Data<Registry>) -> impl Responder {
    let mut body = String::with_capacity(4096);
    // Writing into a String cannot fail.
    let _ = encode(&mut body, &registry);
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8"))
        .body(body)
}
