//! CORS (the Fetch standard) for `/oauth2/token` and `/oauth2/revoke`, for public
//! browser clients calling from their redirect URIs' origins
//! ([`crate::oauth::cors`]). Never `*`, never credentials: these endpoints take no
//! cookies. Any other origin gets no CORS headers (so the browser withholds the
//! answer), and its preflight is 403.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

use super::AppState;
use crate::oauth::cors::is_allowed_origin;

/// How long a browser may cache a preflight's answer, seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The request's `Origin` when it is one a public client registered.
async fn allowed_origin(req: &HttpRequest, state: &AppState) -> Option<HeaderValue> {
    let origin = req.headers().get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    match is_allowed_origin(&state.authority.clients, text).await {
        Ok(true) => Some(origin.clone()),
        Ok(false) => None,
        Err(err) => {
            tracing::warn!(error = %err, "CORS: client list unavailable; no CORS headers");
            None
        }
    }
}

/// `OPTIONS` on the token and revocation endpoints: the preflight.
pub(super) async fn preflight(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(origin) = allowed_origin(&req, &state).await else {
        return HttpResponse::Forbidden().insert_header((header::VARY, "Origin")).finish();
    };
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE))
        .insert_header((header::VARY, "Origin"))
        .finish()
}

/// Middleware for the actual requests: their answers (errors included) carry
/// `Access-Control-Allow-Origin` for an allowed origin.
pub(super) async fn allow_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let allowed = match req.app_data::<web::Data<AppState>>() {
        Some(state) if req.headers().contains_key(header::ORIGIN) => allowed_origin(req.request(), state).await,
        _ => None,
    };
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    Ok(res)
}
