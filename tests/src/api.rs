//! A client of the demo protected API (`/api/me`, `/api/documents`), sending whatever
//! `Authorization` header a test needs, well-formed or not (RFC 6750 §2.1).

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::{json, Value};

use crate::Reply;

pub const ME_PATH: &str = "/api/me";
pub const DOCUMENTS_PATH: &str = "/api/documents";

/// The `Authorization` header of a request to the API.
#[derive(Clone, Copy, Debug)]
pub enum Credentials<'a> {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// The header value exactly as given (`Bearer`, `Basic ...`, a token with spaces).
    Raw(&'a str),
}

/// A client of one resource server.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
}

impl ApiClient {
    pub fn new(base_url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("build an HTTP client");
        ApiClient { http, base_url: base_url.into() }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// One request with these credentials and, if given, a JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        credentials: Credentials<'_>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base_url));
        match credentials {
            Credentials::None => {}
            Credentials::Bearer(token) => request = request.header(AUTHORIZATION, format!("Bearer {token}")),
            Credentials::Raw(value) => request = request.header(AUTHORIZATION, value),
        }
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body.to_string());
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{method} {}{path}: {e}", self.base_url));
        Reply::read(response).await
    }

    /// `GET /api/me`, returning a failed exchange (connection refused or cut, no answer
    /// in time) instead of panicking: for tests that break the server.
    pub async fn try_me(&self, credentials: Credentials<'_>) -> Result<Reply, String> {
        let mut request = self.http.get(format!("{}{ME_PATH}", self.base_url));
        match credentials {
            Credentials::None => {}
            Credentials::Bearer(token) => request = request.header(AUTHORIZATION, format!("Bearer {token}")),
            Credentials::Raw(value) => request = request.header(AUTHORIZATION, value),
        }
        let exchange = async { Reply::try_read(request.send().await?).await };
        exchange.await.map_err(|e| format!("GET {ME_PATH}: {e}"))
    }

    /// `GET /api/me`.
    pub async fn me(&self, credentials: Credentials<'_>) -> Reply {
        self.request(Method::GET, ME_PATH, credentials, None).await
    }

    /// `GET /api/documents`.
    pub async fn documents(&self, credentials: Credentials<'_>) -> Reply {
        self.request(Method::GET, DOCUMENTS_PATH, credentials, None).await
    }

    /// `POST /api/documents` with `{"title", "content"}`.
    pub async fn create_document(&self, credentials: Credentials<'_>, title: &str, content: &str) -> Reply {
        let body = json!({"title": title, "content": content});
        self.request(Method::POST, DOCUMENTS_PATH, credentials, Some(&body)).await
    }
}
