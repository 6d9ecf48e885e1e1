//! Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2) with a size
//! limit, turning every failure into `invalid_request`.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use shared_claims::OAuthError;

use crate::oauth::form::FormParams;

/// Far above any legitimate token request; small enough that nobody can make us
/// buffer much.
const MAX_FORM_BYTES: usize = 16 * 1024;

pub(super) async fn read_form(
    req: &HttpRequest,
    mut payload: web::Payload,
    multi: &[&str],
) -> Result<FormParams, OAuthError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| OAuthError::invalid_request("the request body could not be read").with_detail(e))?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(OAuthError::invalid_request("the request body is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    FormParams::parse(&body, multi).map_err(|e| OAuthError::invalid_request(e.to_string()))
}
