//! `oauth2`'s HTTP client, carried over the portal's `reqwest` client with a bounded
//! answer size.

use std::future::Future;

use oauth2::{HttpRequest, HttpResponse};

use super::AUTH_SERVER_TIMEOUT;

/// `oauth2`'s HTTP client over a clone of `http`: the futures it returns borrow
/// nothing, so a refresh can run in a spawned task.
pub(super) fn owned_sender(
    http: &reqwest::Client,
) -> impl Fn(HttpRequest) -> std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, SendError>> + Send>> {
    let http = http.clone();
    move |request| {
        let http = http.clone();
        Box::pin(async move { send(&http, request).await })
    }
}

/// The largest answer read from the authorization server (metadata, tokens).
pub(super) const MAX_AUTH_RESPONSE_BYTES: usize = 64 * 1024;

/// Why a request to the authorization server failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct SendError(String);

fn send_failed(err: crate::limited_body::BodyError) -> SendError {
    SendError(err.to_string())
}

/// `oauth2`'s HTTP client: the request goes out through `http` as it is, and the
/// response's status, headers and body come back.
async fn send(http: &reqwest::Client, request: HttpRequest) -> Result<HttpResponse, SendError> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .timeout(AUTH_SERVER_TIMEOUT)
        .send()
        .await
        .map_err(|e| SendError(shared_claims::error_chain(&e)))?;
    let (status, version, headers) = (response.status(), response.version(), response.headers().clone());
    let body = crate::limited_body::read_limited(response, MAX_AUTH_RESPONSE_BYTES).await.map_err(send_failed)?;
    let mut reply = HttpResponse::new(body);
    *reply.status_mut() = status;
    *reply.version_mut() = version;
    *reply.headers_mut() = headers;
    Ok(reply)
}
