//! The admin API over HTTP: a `client_credentials` token for the admin client (scope
//! `admin`, RFC 6749 §4.4), then JSON requests with it. Each failure says which exit
//! code it earns (see [`CliError`]).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::CliError;
use shared_claims::Secret;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A logged-in admin client.
pub(super) struct AdminApi {
    http: reqwest::Client,
    base: String,
    token: Secret,
}

impl AdminApi {
    /// Checks `url`, then obtains a token for `client_id`.
    pub(super) async fn login(url: &str, client_id: &str, secret: &Secret) -> Result<Self, CliError> {
        let base = base_url(url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| CliError::Unreachable(format!("cannot set up an HTTP client: {e}")))?;
        let response = http
            .post(format!("{base}/oauth2/token"))
            .header(reqwest::header::AUTHORIZATION, basic_authorization(client_id, secret))
            .form(&[("grant_type", "client_credentials"), ("scope", "admin")])
            .send()
            .await
            .map_err(|e| cannot_reach(&base, &e))?;
        let status = response.status();
        let body = read_json(response).await;
        if status != StatusCode::OK {
            return Err(CliError::Unreachable(format!(
                "the server refused the admin client {client_id:?}: {}",
                describe(status, &body)
            )));
        }
        let Some(token) = body.get("access_token").and_then(Value::as_str) else {
            return Err(CliError::Unreachable("the token endpoint answered without an access token".into()));
        };
        Ok(AdminApi { http, base, token: Secret::new(token) })
    }

    /// Sends one admin request; the JSON answer (`Null` for 204).
    pub(super) async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, CliError> {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(self.token.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| cannot_reach(&self.base, &e))?;
        let status = response.status();
        let body = read_json(response).await;
        match status {
            s if s.is_success() => Ok(body),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(CliError::Unreachable(format!(
                "the admin API refused the admin client's token: {}",
                describe(status, &body)
            ))),
            _ => Err(CliError::Refused(describe(status, &body))),
        }
    }
}

/// `/admin/users/{segment}`: a name as one path segment, whatever it holds.
pub(super) fn segment(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

/// The URL without a trailing slash; only http and https.
fn base_url(url: &str) -> Result<String, CliError> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| CliError::Usage(format!("--url / AUTH_ADMIN_URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
        return Err(CliError::Usage(format!("--url / AUTH_ADMIN_URL {url:?}: expected http(s)://host[:port][/path]")));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// `client_secret_basic`: id and secret form-urlencoded before Base64 (RFC 6749 §2.3.1).
fn basic_authorization(client_id: &str, secret: &Secret) -> String {
    let encode = |value: &str| form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(client_id), encode(secret.expose()))))
}

/// The body as JSON; `Null` when empty or not JSON.
async fn read_json(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// `404 not_found: no user "x"` from an RFC 6749 §5.2 error body, or the status alone.
fn describe(status: StatusCode, body: &Value) -> String {
    let field = |name| body.get(name).and_then(Value::as_str);
    match (field("error"), field("error_description")) {
        (Some(error), Some(description)) => format!("{} {error}: {description}", status.as_u16()),
        (Some(error), None) => format!("{} {error}", status.as_u16()),
        _ => status.to_string(),
    }
}

fn cannot_reach(base: &str, err: &reqwest::Error) -> CliError {
    // reqwest's message names the URL, never a header or body.
    // The innermost cause says what happened ("Connection refused").
    let mut cause: &dyn std::error::Error = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    CliError::Unreachable(format!("cannot reach {base}: {cause}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_are_http_without_trailing_slash() {
        assert_eq!(base_url("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(base_url("https://auth.example.com/base").unwrap(), "https://auth.example.com/base");
        for bad in ["127.0.0.1:8080", "ftp://x", "http://x/?a=b", ""] {
            assert_eq!(base_url(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        let header = basic_authorization("partner+app%", &Secret::new("p@ss word"));
        let decoded = STANDARD.decode(header.strip_prefix("Basic ").unwrap()).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "partner%2Bapp%25:p%40ss+word");
    }

    #[test]
    fn names_become_one_path_segment() {
        assert_eq!(segment("bo b/../x?y"), "bo%20b%2F%2E%2E%2Fx%3Fy");
        assert_eq!(segment("alice"), "alice");
    }

    #[test]
    fn errors_read_like_the_api_said_them() {
        let body = json!({"error": "not_found", "error_description": "no user \"x\""});
        assert_eq!(describe(StatusCode::NOT_FOUND, &body), "404 not_found: no user \"x\"");
        assert_eq!(describe(StatusCode::BAD_GATEWAY, &Value::Null), "502 Bad Gateway");
    }
}
