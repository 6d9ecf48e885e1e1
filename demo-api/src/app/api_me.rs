//! `GET /api/me`: who the token speaks for. Any valid token will do.

use actix_web::web::Json;
use serde::Serialize;

use resource_server::actix::BearerClaims;

#[derive(Debug, Serialize)]
pub(crate) struct Me {
    sub: String,
    client_id: String,
    /// Space-delimited, as in the token (RFC 6749 §3.3).
    scope: String,
}

pub(crate) async fn get_me(token: BearerClaims) -> Json<Me> {
    Json(Me { sub: token.sub.clone(), client_id: token.client_id.clone(), scope: token.scope.to_string() })
}
