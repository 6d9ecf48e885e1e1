//! Rendering the admin API's errors: [`AdminError`] as `{"error", "error_description"}`
//! with the status of its one table, and a refused bearer token (RFC 6750 §3) with
//! its `WWW-Authenticate: Bearer realm="admin", ...` challenge. Both `no-store`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use shared_claims::BearerError;

use crate::admin::caller::ADMIN_REALM;
use crate::admin::AdminError;

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if self.status() >= 500 {
            // The detail (never a secret: inputs are not part of these errors) goes
            // to the log only.
            tracing::error!(error = %shared_claims::error_chain(self), "admin request failed");
        } else {
            tracing::debug!(code = self.code(), "admin request refused");
        }
        let description = self.description();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if self.status() == 503 {
            // As on the OAuth endpoints: a short outage, worth retrying (RFC 9110 §10.2.3).
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
        }
        response.json(ErrorBody { error: self.code(), error_description: &description })
    }
}

/// A caller refused by [`crate::admin::caller::authorize`] or by the header parser.
#[derive(Debug)]
pub(super) struct AdminAuthError(pub BearerError);

impl std::fmt::Display for AdminAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for AdminAuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        tracing::info!(error = %self.0, "admin request refused");
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let Some(challenge) = self.0.www_authenticate(ADMIN_REALM) {
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.insert_header((header::WWW_AUTHENTICATE, value));
            }
        }
        if self.0.status() == 503 {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
        }
        response.json(self.0.body())
    }
}
