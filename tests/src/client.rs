//! A plain OAuth 2.0 client for the token endpoint (RFC 6749 §3.2), over reqwest.
//!
//! Bodies are form-encoded here rather than by reqwest so that tests control every byte
//! (repeated parameters, odd content types, raw bytes).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;

pub const TOKEN_PATH: &str = "/oauth2/token";
pub const INTROSPECTION_PATH: &str = "/oauth2/introspect";
pub const REVOCATION_PATH: &str = "/oauth2/revoke";
pub const FORM: &str = "application/x-www-form-urlencoded";

/// How the client authenticates at the token endpoint (RFC 6749 §2.3).
#[derive(Clone, Copy, Debug)]
pub enum ClientAuth<'a> {
    /// No client identification at all.
    None,
    /// A public client: `client_id` in the body only.
    Public(&'a str),
    /// `client_secret_basic`: id and secret form-urlencoded, then Base64 (§2.3.1).
    Basic(&'a str, &'a str),
    /// `client_secret_post`: `client_id` and `client_secret` in the body.
    Post(&'a str, &'a str),
}

/// One HTTP answer: status, headers, and the body both raw and as JSON (`Null` if the
/// body is not JSON).
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub json: Value,
}

impl Reply {
    pub(crate) async fn read(response: reqwest::Response) -> Self {
        Self::try_read(response).await.unwrap_or_else(|e| panic!("read a response body: {e}"))
    }

    /// Like `read`, but a body cut off (the server died mid-answer) is an error.
    pub(crate) async fn try_read(response: reqwest::Response) -> Result<Self, reqwest::Error> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok(Reply { status, headers, body, json })
    }

    /// A header value; panics if it is not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("an ASCII header value"))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A string member of the JSON body; panics (showing the reply) if missing.
    pub fn str(&self, key: &str) -> &str {
        self.json[key].as_str().unwrap_or_else(|| panic!("no string `{key}` in {self:?}"))
    }

    /// The access token of a successful token response; panics otherwise.
    pub fn access_token(&self) -> &str {
        assert_eq!(self.status, 200, "expected a token response: {self:?}");
        self.str("access_token")
    }

    /// The refresh token of a successful token response; panics if there is none.
    pub fn refresh_token(&self) -> &str {
        assert_eq!(self.status, 200, "expected a token response: {self:?}");
        self.str("refresh_token")
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {:?} {}", self.status, self.headers, self.text())
    }
}

/// A client of one auth server.
#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    base_url: String,
}

impl OAuthClient {
    pub fn new(base_url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("build an HTTP client");
        OAuthClient { http, base_url: base_url.into() }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET` a path of the auth server.
    pub async fn get(&self, path: &str) -> Reply {
        let response = self.http.get(format!("{}{path}", self.base_url)).send().await;
        Reply::read(response.unwrap_or_else(|e| panic!("GET {path}: {e}"))).await
    }

    /// The password grant (RFC 6749 §4.3) for a public client.
    pub async fn token_password(&self, client_id: &str, username: &str, password: &str, scope: Option<&str>) -> Reply {
        let mut params = vec![("grant_type", "password"), ("username", username), ("password", password)];
        params.extend(scope.map(|scope| ("scope", scope)));
        self.token(&params, ClientAuth::Public(client_id)).await
    }

    /// The client credentials grant (RFC 6749 §4.4) with `client_secret_basic`.
    pub async fn token_client_credentials(&self, client_id: &str, secret: &str, scope: Option<&str>) -> Reply {
        let mut params = vec![("grant_type", "client_credentials")];
        params.extend(scope.map(|scope| ("scope", scope)));
        self.token(&params, ClientAuth::Basic(client_id, secret)).await
    }

    /// The refresh token grant (RFC 6749 §6) for a public client.
    pub async fn token_refresh(&self, client_id: &str, refresh_token: &str) -> Reply {
        let params = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        self.token(&params, ClientAuth::Public(client_id)).await
    }

    /// RFC 7662 introspection of `token`, authenticating with `client_secret_basic` as a
    /// client holding `introspect`.
    pub async fn introspect(&self, token: &str, client_id: &str, secret: &str) -> Reply {
        let response = self
            .http
            .post(format!("{}{INTROSPECTION_PATH}", self.base_url))
            .header(CONTENT_TYPE, FORM)
            .header(AUTHORIZATION, basic_authorization(client_id, secret))
            .body(form_encode(&[("token", token)]))
            .send()
            .await;
        Reply::read(response.unwrap_or_else(|e| panic!("POST {INTROSPECTION_PATH}: {e}"))).await
    }

    /// RFC 7009 revocation of `token`, the client authenticating as at the token endpoint.
    pub async fn revoke(&self, token: &str, auth: ClientAuth<'_>) -> Reply {
        self.post_form(REVOCATION_PATH, &[("token", token)], auth).await
    }

    /// A token request with exactly these parameters (repeats allowed) and client
    /// authentication.
    pub async fn token(&self, params: &[(&str, &str)], auth: ClientAuth<'_>) -> Reply {
        self.post_form(TOKEN_PATH, params, auth).await
    }

    /// Like [`Self::token_password`], but a failed exchange (connection refused or cut,
    /// no answer in time) is returned, not a panic: for tests that break the server.
    pub async fn try_token_password(&self, client_id: &str, username: &str, password: &str) -> Result<Reply, String> {
        let params = [("grant_type", "password"), ("username", username), ("password", password)];
        self.try_post_form(TOKEN_PATH, &params, ClientAuth::Public(client_id)).await
    }

    /// Like [`Self::token_refresh`], returning a failed exchange instead of panicking.
    pub async fn try_token_refresh(&self, client_id: &str, refresh_token: &str) -> Result<Reply, String> {
        let params = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        self.try_post_form(TOKEN_PATH, &params, ClientAuth::Public(client_id)).await
    }

    /// Like [`Self::revoke`], returning a failed exchange instead of panicking.
    pub async fn try_revoke(&self, token: &str, auth: ClientAuth<'_>) -> Result<Reply, String> {
        self.try_post_form(REVOCATION_PATH, &[("token", token)], auth).await
    }

    /// Like [`Self::get`], returning a failed exchange instead of panicking.
    pub async fn try_get(&self, path: &str) -> Result<Reply, String> {
        let exchange = async {
            let response = self.http.get(format!("{}{path}", self.base_url)).send().await?;
            Reply::try_read(response).await
        };
        exchange.await.map_err(|e| format!("GET {path}: {e}"))
    }

    async fn post_form(&self, path: &str, params: &[(&str, &str)], auth: ClientAuth<'_>) -> Reply {
        self.try_post_form(path, params, auth).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// A form `POST` to `path` with these parameters and client authentication.
    async fn try_post_form(&self, path: &str, params: &[(&str, &str)], auth: ClientAuth<'_>) -> Result<Reply, String> {
        let mut params = params.to_vec();
        let mut headers = Vec::new();
        match auth {
            ClientAuth::None => {}
            ClientAuth::Public(id) => params.push(("client_id", id)),
            ClientAuth::Post(id, secret) => params.extend([("client_id", id), ("client_secret", secret)]),
            ClientAuth::Basic(id, secret) => headers.push((AUTHORIZATION.as_str(), basic_authorization(id, secret))),
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.try_post_raw(path, Some(FORM), form_encode(&params).into_bytes(), &headers).await
    }

    /// `POST /oauth2/token` with any content type (or none), body and headers.
    pub async fn post_token_raw(&self, content_type: Option<&str>, body: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
        self.post_raw(TOKEN_PATH, content_type, body, headers).await
    }

    async fn post_raw(&self, path: &str, content_type: Option<&str>, body: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
        self.try_post_raw(path, content_type, body, headers).await.unwrap_or_else(|e| panic!("{e}"))
    }

    async fn try_post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, String> {
        let mut request = self.http.post(format!("{}{path}", self.base_url)).body(body);
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let exchange = async { Reply::try_read(request.send().await?).await };
        exchange.await.map_err(|e| format!("POST {path}: {e}"))
    }
}

/// The `Authorization` value of `client_secret_basic` (RFC 6749 §2.3.1).
pub fn basic_authorization(client_id: &str, secret: &str) -> String {
    let credentials = format!("{}:{}", form_urlencode(client_id), form_urlencode(secret));
    format!("Basic {}", STANDARD.encode(credentials))
}

/// `application/x-www-form-urlencoded` serialisation of `pairs`, in order.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<String> =
        pairs.iter().map(|(key, value)| format!("{}={}", form_urlencode(key), form_urlencode(value))).collect();
    pairs.join("&")
}

/// `application/x-www-form-urlencoded` serialisation of one string (the URL
/// standard's byte serializer: alphanumerics and `*-._` kept, space as `+`).
pub fn form_urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_urlencoding_escapes_reserved_characters() {
        assert_eq!(form_urlencode("a b+c/d:e%é"), "a+b%2Bc%2Fd%3Ae%25%C3%A9");
        assert_eq!(form_encode(&[("grant_type", "password"), ("scope", "a b")]), "grant_type=password&scope=a+b");
    }

    #[test]
    fn basic_credentials_are_encoded_before_base64() {
        // RFC 6749 §2.3.1: "partner:app" must not be split at its own colon.
        let header = basic_authorization("partner:app", "s p");
        let decoded = STANDARD.decode(header.strip_prefix("Basic ").unwrap()).unwrap();
        assert_eq!(decoded, b"partner%3Aapp:s+p");
    }
}
