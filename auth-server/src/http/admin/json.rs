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
pub(super) const MAX_JSON_BYTES: usize = 64 * 1024;

/// Reads the body as JSON of type `T` (whose `deny_unknown_fields` refuses typos).
pub(super) async fn read_json<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<T, AdminError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    check_media_type(content_type)?;
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
    parse_body(&body)
}

/// `application/json` or a structured `application/*+json` type (RFC 6839 §3.1),
/// parameters ignored.
// `pub` for the fuzz targets (feature `fuzzing`); otherwise used by the admin routes only.
#[allow(unreachable_pub)]
pub fn check_media_type(content_type: &str) -> Result<(), AdminError> {
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json")) {
        return Err(AdminError::invalid("the body must be application/json"));
    }
    Ok(())
}

/// How much of serde's message an error description carries: it quotes values and
/// member names from the body in full.
const MAX_DETAIL_CHARS: usize = 200;

/// Parses a whole body as `T`; every failure is `invalid_request`.
// `pub` for the fuzz targets (feature `fuzzing`); otherwise used by the admin routes only.
#[allow(unreachable_pub)]
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "the body does not have the expected shape",
            _ => "the body is not valid JSON",
        };
        let detail = e.to_string();
        let detail = match detail.char_indices().nth(MAX_DETAIL_CHARS) {
            Some((cut, _)) => format!("{}...", &detail[..cut]),
            None => detail,
        };
        AdminError::invalid(format!("{what}: {detail}"))
    })
}

/// A JSON answer with `Cache-Control: no-store`.
pub(super) fn respond(status: StatusCode, value: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store"))).json(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::clients::NewClient;

    #[test]
    fn error_descriptions_echo_a_bounded_part_of_the_body() {
        // Found by fuzzing: serde's message quotes a string of the wrong type, or an
        // unknown member name, in full, and the description goes back to the caller.
        let long = "a".repeat(2000);
        for body in [format!("\"{long}\""), format!(r#"{{"{long}":1}}"#), format!(r#"{{"client_id":["{long}"]}}"#)] {
            let err = parse_body::<NewClient>(body.as_bytes()).unwrap_err();
            assert_eq!(err.status(), 400);
            let description = err.to_string();
            assert!(description.len() <= 1024, "{} bytes", description.len());
            assert!(description.starts_with("the body"), "{description}");
        }
    }
}
