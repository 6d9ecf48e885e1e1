//! Renders an [`OAuthError`] as RFC 6749 §5.2 JSON: the code's status,
//! `Cache-Control: no-store`, and `WWW-Authenticate: Basic` only after a failed Basic
//! authentication. The private detail goes to the log, never to the client.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use shared_claims::OAuthError;

#[derive(Debug)]
pub struct OAuthResponseError(pub OAuthError);

impl From<OAuthError> for OAuthResponseError {
    fn from(err: OAuthError) -> Self {
        Self(err)
    }
}

impl std::fmt::Display for OAuthResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for OAuthResponseError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let err = &self.0;
        if err.status() >= 500 {
            tracing::error!(error = %err, "request failed");
        } else {
            tracing::info!(error = %err, "request refused");
        }
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
        if err.status() == 503 {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
        }
        if err.basic_challenge() {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauth2\", charset=\"UTF-8\""),
            ));
        }
        response.json(err.body())
    }
}
