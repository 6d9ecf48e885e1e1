//! `/api/{tail}`: the documents API, called with the session's bearer token.
//!
//! ```text
//! session cookie -> Session::access_token (refreshed shortly before expiry)
//!   -> forward: same method, path, query, body, Content-Type and Accept
//!   -> 401 `invalid_token`? Session::after_rejection (one refresh), forward once more
//!   -> status, Content-Type and body back to the browser
//! ```
//!
//! No token ever reaches the browser: the request's own `Authorization` and cookies
//! are not forwarded, and of the API's answer only the status, the body (at most
//! [`MAX_RESPONSE_BYTES`]), `Content-Type` (JSON, else `application/octet-stream`),
//! `Location`, `ETag`, `Retry-After` and `WWW-Authenticate` are passed on. A session whose refresh token is refused has ended: it is
//! forgotten, the cookie cleared, and the answer is 401.

use std::time::Duration;

use actix_web::http::header::{
    HeaderName, HeaderValue, ACCEPT, ALLOW, CONTENT_TYPE, ETAG, LOCATION, RETRY_AFTER, SET_COOKIE, WWW_AUTHENTICATE,
};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use shared_claims::Secret;

use super::{api_url, json_error};
use crate::app::AppState;
use crate::cookies::CookieKind;
use crate::limited_body::read_limited;
use crate::session::SessionError;

/// Largest request body forwarded: a document of the API's largest size, JSON-escaped.
pub(crate) const MAX_BODY_BYTES: usize = 512 * 1024;

/// Largest answer passed on from the API: a list of documents at their largest.
pub(crate) const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// How long the API may take to answer.
const API_TIMEOUT: Duration = Duration::from_secs(15);

/// The methods the documents API is called with; anything else (`TRACE`, `CONNECT`,
/// `OPTIONS`, extension methods) stops here.
const FORWARDED_METHODS: [Method; 6] =
    [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE];

pub(crate) async fn forward(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    if !FORWARDED_METHODS.contains(req.method()) {
        let mut response = json_error(StatusCode::METHOD_NOT_ALLOWED, "invalid_request", "method not allowed");
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE"));
        return response;
    }
    // The raw path: actix's decoded `{tail}` would turn `%2e%2e` or `%3F` into path
    // structure.
    let Ok(url) = api_url::upstream_url(&state.api_url, req.uri().path(), req.uri().query()) else {
        return json_error(StatusCode::BAD_REQUEST, "invalid_request", "this path cannot be forwarded");
    };
    let Some(id) = state.cookies.read(&req, CookieKind::Session) else { return not_signed_in(&state) };
    let Some(session) = state.sessions.get(&id) else { return not_signed_in(&state) };
    let provider = match state.discovery.provider().await {
        Ok(provider) => provider,
        Err(err) => {
            tracing::warn!(error = %err, "the authorization server is unavailable");
            return json_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again later");
        }
    };
    let ended = |state: &AppState, error: SessionError| match error {
        SessionError::Ended => {
            state.sessions.remove(&id);
            not_signed_in(state)
        }
        SessionError::Unavailable(_) => {
            json_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again later")
        }
    };
    let token = match session.access_token(&provider, &state.http).await {
        Ok(token) => token,
        Err(error) => return ended(&state, error),
    };
    let mut answer = match call_api(&state, &req, &url, &body, &token).await {
        Ok(answer) => answer,
        Err(response) => return response,
    };
    if answer.invalid_token() {
        let token = match session.after_rejection(&token, &provider, &state.http).await {
            Ok(token) => token,
            Err(error) => return ended(&state, error),
        };
        answer = match call_api(&state, &req, &url, &body, &token).await {
            Ok(answer) => answer,
            Err(response) => return response,
        };
    }
    answer.into_response()
}

/// What the API answered, reduced to what is passed on.
struct ApiAnswer {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    www_authenticate: Option<HeaderValue>,
    /// `Location`, `ETag`, `Retry-After`: passed on as they came.
    passed: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
}

impl ApiAnswer {
    /// RFC 6750 §3.1: the token was refused as invalid (expired, revoked).
    fn invalid_token(&self) -> bool {
        self.status == StatusCode::UNAUTHORIZED
            && self
                .www_authenticate
                .as_ref()
                .and_then(|value| value.to_str().ok())
                .is_some_and(shared_claims::is_invalid_token_challenge)
    }

    /// Only JSON keeps its media type; anything else goes out as opaque bytes in a
    /// sandbox, so an API answer can never run as a page of the portal's origin.
    fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        let json = self
            .content_type
            .as_ref()
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
        match (json, self.content_type) {
            (true, Some(content_type)) => response.insert_header((CONTENT_TYPE, content_type)),
            _ => response.insert_header((CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))),
        };
        response
            .insert_header(("content-security-policy", "sandbox"))
            .insert_header(("cross-origin-resource-policy", "same-origin"));
        if let Some(value) = self.www_authenticate {
            response.insert_header((WWW_AUTHENTICATE, value));
        }
        for (name, value) in self.passed {
            response.insert_header((name, value));
        }
        response.body(self.body)
    }
}

async fn call_api(
    state: &AppState,
    req: &HttpRequest,
    url: &oauth2::url::Url,
    body: &web::Bytes,
    token: &Secret,
) -> Result<ApiAnswer, HttpResponse> {
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|_| json_error(StatusCode::METHOD_NOT_ALLOWED, "invalid_request", "unsupported method"))?;
    let mut request = state.http.request(method, url.clone()).bearer_auth(token.expose()).timeout(API_TIMEOUT);
    for name in [CONTENT_TYPE, ACCEPT] {
        if let Some(value) = req.headers().get(&name) {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    if !body.is_empty() {
        request = request.body(body.clone());
    }
    let unavailable = |err: reqwest::Error| {
        tracing::warn!(error = %shared_claims::error_chain(&err), "the documents API is unavailable");
        json_error(StatusCode::BAD_GATEWAY, "bad_gateway", "the documents API is unavailable")
    };
    let response = request.send().await.map_err(unavailable)?;
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let header = |name: HeaderName| {
        response.headers().get(name.as_str()).and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
    };
    let (content_type, www_authenticate) = (header(CONTENT_TYPE), header(WWW_AUTHENTICATE));
    let passed = [LOCATION, ETAG, RETRY_AFTER]
        .into_iter()
        .filter_map(|name| header(name.clone()).map(|value| (name, value)))
        .collect();
    let body = read_limited(response, MAX_RESPONSE_BYTES).await.map_err(|err| {
        tracing::warn!(error = %err, "the documents API's answer was not read");
        json_error(StatusCode::BAD_GATEWAY, "bad_gateway", "the documents API's answer was unusable")
    })?;
    Ok(ApiAnswer { status, content_type, www_authenticate, passed, body })
}

/// 401 for a browser without a live session; any stale cookie is cleared.
fn not_signed_in(state: &AppState) -> HttpResponse {
    let mut response = json_error(StatusCode::UNAUTHORIZED, "login_required", "sign in first");
    response.headers_mut().insert(SET_COOKIE, state.cookies.clear(CookieKind::Session));
    response
}
