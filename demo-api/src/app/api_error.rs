//! Errors of the demo API's own routes (not token errors: those are
//! [`BearerRejection`](resource_server::actix::BearerRejection)). Same JSON shape as the OAuth
//! errors, `{"error", "error_description"}`, so clients parse one format.
//!
//! A store that cannot be reached is 503 `temporarily_unavailable` with `Retry-After`,
//! the code RFC 6749 §5.2 uses for a server that cannot answer now.

use std::fmt;

use actix_web::http::header::RETRY_AFTER;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Seconds, for `Retry-After`.
    retry_after: Option<u32>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self { status, error, description: description.into(), retry_after: None }
    }

    /// 503 `temporarily_unavailable`, to be retried in a second.
    pub fn temporarily_unavailable(description: impl Into<String>) -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", description)
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            response.insert_header((RETRY_AFTER, seconds));
        }
        response.json(Body { error: self.error, error_description: &self.description })
    }
}

/// Any path we do not serve.
pub(crate) async fn not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource").error_response()
}
