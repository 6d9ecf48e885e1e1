//! The admin scope's gate: reads `Authorization: Bearer <token>` (RFC 6750 §2.1) and
//! lets the request through only if [`caller::authorize`] accepts the token.
//!
//! | header                         | answer                                          |
//! |--------------------------------|-------------------------------------------------|
//! | absent, or another scheme      | 401, `WWW-Authenticate: Bearer realm="admin"`   |
//! | `Bearer` without a token, a token with spaces or other non-b64token characters, several headers | 400 `invalid_request` |
//! | a token we did not issue, expired, revoked, for another audience | 401 `invalid_token` |
//! | a valid token without `admin`  | 403 `insufficient_scope`, `scope="admin"`       |

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use shared_claims::BearerError;

use super::error::AdminAuthError;
use crate::admin::{caller, AdminError};
use crate::http::AppState;

/// Middleware on the `/admin` scope: lets a request reach its handler only when it
/// carries an acceptable admin token; otherwise answers the RFC 6750 §3 refusal.
pub(super) async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match authenticate(&req).await {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        // Answered here rather than returned as `Err`, so outer middleware (metrics,
        // logging) sees an ordinary response.
        Err(refusal) => Ok(req.into_response(refusal).map_into_right_body()),
    }
}

async fn authenticate(req: &ServiceRequest) -> Result<(), HttpResponse> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(AdminError::Internal("the application state is not registered".into()).error_response());
    };
    let token = bearer_token(req.headers()).map_err(|e| AdminAuthError(e).error_response())?;
    let now = shared_claims::unix_now();
    let claims =
        caller::authorize(&state.authority, token, now).await.map_err(|e| AdminAuthError(e).error_response())?;
    tracing::info!(
        client_id = %claims.client_id,
        sub = %claims.sub,
        method = %req.method(),
        path = %req.path(),
        "admin request"
    );
    req.extensions_mut().insert(caller::AdminCaller { client_id: claims.client_id.clone() });
    Ok(())
}

/// The bearer token of the request (RFC 6750 §2.1), or why there is none usable.
fn bearer_token(headers: &HeaderMap) -> Result<&str, BearerError> {
    shared_claims::bearer_token_from_headers(headers.get_all(header::AUTHORIZATION).map(|v| v.as_bytes()))
}
