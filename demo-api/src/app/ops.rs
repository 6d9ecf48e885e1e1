//! Operations endpoints: liveness, readiness and Prometheus metrics.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, Responder};
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

/// Prometheus text exposition format 0.0.4.
pub(crate) async fn get_metrics(req: HttpRequest) -> impl Responder {
    let mut body = String::with_capacity(4096);
    if let Some(auth) = BearerAuth::from_app_data(&req) {
        body.push_str("# HELP rs_ready Whether the server can verify tokens.\n# TYPE rs_ready gauge\n");
        body.push_str(if auth.verifier().is_ready() { "rs_ready 1\n" } else { "rs_ready 0\n" });
        auth.verifier().metrics().render(&mut body);
    }
    HttpResponse::Ok().insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")).body(body)
}
