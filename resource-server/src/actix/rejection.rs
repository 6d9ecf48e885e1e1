//! The HTTP answer to a refused request, built from `shared_claims::BearerError` so
//! that status, `WWW-Authenticate` and body always agree (RFC 6750 §3).

use std::fmt;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use shared_claims::BearerError;

/// A bearer-token refusal, ready to be answered. Returned as the error of the
/// extractors; usable from handlers too (`Err(rejection)?`).
#[derive(Debug, Clone)]
pub struct BearerRejection {
    error: BearerError,
    realm: Arc<str>,
}

impl BearerRejection {
    pub fn new(error: BearerError, realm: Arc<str>) -> Self {
        Self { error, realm }
    }

    pub fn error(&self) -> &BearerError {
        &self.error
    }
}

impl fmt::Display for BearerRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for BearerRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Some(challenge) = self.error.www_authenticate(&self.realm) {
            // BearerError sanitises every quoted value, so this cannot fail in practice;
            // if it did, the status and body still say what happened.
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.insert_header((header::WWW_AUTHENTICATE, value));
            }
        } else {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store")).json(self.error.body())
    }
}
