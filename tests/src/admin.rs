//! The auth server's admin API (`/admin/...`), called with a bearer token
//! of the `ops` client (client_credentials, scope `admin`, `aud` the issuer).

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::{json, Value};

use crate::bootstrap::{OPS, OPS_SECRET};
use crate::{OAuthClient, Reply};

/// An admin session: the auth server's client and an admin access token.
pub struct AdminClient {
    client: OAuthClient,
    token: String,
}

impl AdminClient {
    /// Gets an `admin` token for `ops` from the auth server behind `client`.
    pub async fn login(client: &OAuthClient) -> Self {
        let reply = client.token_client_credentials(OPS, OPS_SECRET, Some("admin")).await;
        AdminClient { client: client.clone(), token: reply.access_token().to_owned() }
    }

    /// One admin request with this session's token and an optional JSON body.
    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        admin_request(&self.client, method, path, Some(&format!("Bearer {}", self.token)), body).await
    }

    /// `PUT /admin/users/{username}/password`.
    pub async fn set_password(&self, username: &str, password: &str) -> Reply {
        let body = json!({"password": password});
        self.request(Method::PUT, &format!("/admin/users/{username}/password"), Some(&body)).await
    }

    /// `PATCH /admin/users/{username}` with `{"disabled": true}`.
    pub async fn disable_user(&self, username: &str) -> Reply {
        self.request(Method::PATCH, &format!("/admin/users/{username}"), Some(&json!({"disabled": true}))).await
    }

    /// `GET /admin/users/{username}/sessions`.
    pub async fn sessions(&self, username: &str) -> Reply {
        self.request(Method::GET, &format!("/admin/users/{username}/sessions"), None).await
    }

    /// `DELETE /admin/users/{username}/sessions`.
    pub async fn revoke_sessions(&self, username: &str) -> Reply {
        self.request(Method::DELETE, &format!("/admin/users/{username}/sessions"), None).await
    }
}

/// An admin request with any `Authorization` header (or none).
pub async fn admin_request(
    client: &OAuthClient,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let url = format!("{}{path}", client.base_url());
    let mut request = client.http().request(method.clone(), &url);
    if let Some(authorization) = authorization {
        request = request.header(AUTHORIZATION, authorization);
    }
    if let Some(body) = body {
        request = request.header(CONTENT_TYPE, "application/json").body(body.to_string());
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    Reply::read(response).await
}
