//! JSON in and out for the admin API: a size-limited, strictly typed body reader
//! whose every failure is a 400 (or 413) `invalid_request`, and `no-store` answers
//! (they may carry a client secret, and are never worth caching).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::admin::AdminError;

/// Far above any admin request; small enough that nobody can make us buffer much.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// Reads the body as JSON of type `T` (whose `deny_unknown_fields` refuses typos).
pub async fn read_json<T: DeserializeOwned>(req: &HttpRequest, mut payload: web::Payload) -> Result<T, AdminError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json")) {
        return Err(AdminError::invalid("the body must be application/json"));
    }
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_JSON_BYTES) {
        return Err(AdminError::TooLarge { limit: MAX_JSON_BYTES });
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AdminError::invalid("the request body could not be read"))?;
        if body.len() + chunk.len() > MAX_JSON_BYTES {
            return Err(AdminError::TooLarge { limit: MAX_JSON_BYTES });
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "the body does not have the expected shape",
            _ => "the body is not valid JSON",
        };
        AdminError::invalid(format!("{what}: {e}"))
    })
}

/// A JSON answer with `Cache-Control: no-store`.
pub fn respond(status: StatusCode, value: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store"))).json(value)
}
