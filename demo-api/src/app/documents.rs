//! `GET /api/documents` (`documents:read`) and `POST /api/documents`
//! (`documents:write`): the caller's own documents.
//!
//! The body of a POST is read only after the token and scope were accepted (the
//! extractor runs first and `Payload` never fails), so an unauthenticated caller
//! always gets the RFC 6750 answer, never a validation error.
//!
//! Documents belong to [`owner_key`]: a user's (`user:<sub>`, tokens with a `sid`) and
//! a client's own (`client:<sub>`, `client_credentials`) are kept apart even if a
//! `sub` were shared. The API still shows `owner` as the token's `sub`.
//!
//! Store limits: 409 `limit_reached` when the caller has too many documents or too
//! many bytes (1 MiB of titles and contents per owner), 507 `insufficient_storage`
//! when the store holds documents for as many owners as it may (10 000): a state of
//! this server, not of the request or the caller, and one that waiting will not
//! clear (nothing expires from the demo store), hence not 503. A store that cannot be
//! reached (Redis, `RS_DOCUMENTS_REDIS_URL`) is 503 `temporarily_unavailable` with
//! `Retry-After`, on either route.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::document_store::{owner_key, StoreError};
use super::{ApiError, Document, DocumentStore};
use resource_server::actix::Scoped;
use resource_server::required_scope;

required_scope!(pub DocumentsRead = "documents:read");
required_scope!(pub DocumentsWrite = "documents:write");

/// Longest title, in characters.
pub(super) const MAX_TITLE_CHARS: usize = 200;
/// Largest content, in bytes of UTF-8.
pub(super) const MAX_CONTENT_BYTES: usize = 64 * 1024;
/// Largest request body: the content may grow up to six-fold by JSON escaping.
const MAX_BODY_BYTES: usize = 6 * MAX_CONTENT_BYTES + 4096;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDocument {
    title: String,
    content: String,
}

pub(crate) async fn get_documents(
    token: Scoped<DocumentsRead>,
    store: web::Data<DocumentStore>,
) -> Result<HttpResponse, ApiError> {
    let documents = store.list(&owner_key(&token)).await.map_err(store_error)?;
    let documents: Vec<&Document> = documents.iter().map(|document| &**document).collect();
    Ok(HttpResponse::Ok().json(json!({ "documents": documents })))
}

pub(crate) async fn post_documents(
    token: Scoped<DocumentsWrite>,
    store: web::Data<DocumentStore>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_json(&req)?;
    let body = read_body(payload).await?;
    let new: NewDocument = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid_request(format!("the body must be a JSON object {{\"title\", \"content\"}}: {e}"))
    })?;
    validate(&new)?;
    let document = store.add(&owner_key(&token), &token.sub, new.title, new.content).await.map_err(store_error)?;
    Ok(HttpResponse::Created().json(&*document))
}

/// The answer to a refused or failed store operation. Only the bounds are told to
/// the client; what broke in the store goes to the log.
fn store_error(err: StoreError) -> ApiError {
    match err {
        StoreError::Full(_) | StoreError::OverBudget(_) => {
            ApiError::new(StatusCode::CONFLICT, "limit_reached", err.to_string())
        }
        StoreError::TooManyOwners(_) => {
            ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage", err.to_string())
        }
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %err, "document store unavailable");
            ApiError::temporarily_unavailable("the document store is unavailable; retry later")
        }
        StoreError::Id | StoreError::Corrupt(_) => {
            tracing::error!(error = %err, "document store failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error")
        }
    }
}

fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_request", "the body must be application/json"))
    }
}

async fn read_body(mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::invalid_request("the request body could not be read"))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn validate(new: &NewDocument) -> Result<(), ApiError> {
    if new.title.trim().is_empty() {
        return Err(ApiError::invalid_request("title must not be empty"));
    }
    if new.title.chars().count() > MAX_TITLE_CHARS {
        return Err(ApiError::invalid_request(format!("title is longer than {MAX_TITLE_CHARS} characters")));
    }
    if new.title.chars().any(char::is_control) {
        return Err(ApiError::invalid_request("title must not contain control characters"));
    }
    if new.content.len() > MAX_CONTENT_BYTES {
        return Err(ApiError::invalid_request(format!("content is larger than {MAX_CONTENT_BYTES} bytes")));
    }
    Ok(())
}
