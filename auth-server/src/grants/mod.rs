//! The token endpoint's grants (RFC 6749 §4.1, §4.3, §4.4, §6), one module per grant,
//! dispatched by [`GrantType`]. Each takes a parsed request and an authenticated
//! client and returns a [`TokenResponse`] or an [`OAuthError`]; none knows HTTP.
//!
//! ```text
//! POST /oauth2/token ─► ClientCredentials::authenticate ─► TokenRequest::parse
//!        ─► issue ─┬─ authorization_code::issue  (browser login: new session)
//!                  ├─ password::issue            (login: new session)
//!                  ├─ client_credentials::issue  (service: access token only)
//!                  └─ refresh_token::issue       (rotate within the session)
//! ```

mod authorization_code;
mod client_credentials;
pub(crate) mod in_doubt;
mod password;
pub(crate) mod policy;
mod refresh_token;
mod session_tokens;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

use serde::Serialize;
use shared_claims::{ErrorCode, OAuthError, ScopeSet};

use crate::oauth::authority::Authority;
use crate::oauth::form::FormParams;
use crate::store::ClientRecord;
use shared_claims::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    Password,
    ClientCredentials,
    RefreshToken,
}

impl GrantType {
    pub const ALL: [GrantType; 4] =
        [GrantType::AuthorizationCode, GrantType::Password, GrantType::ClientCredentials, GrantType::RefreshToken];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::Password => "password",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

/// A token request with its grant-specific parameters checked for presence.
#[derive(Debug)]
pub struct TokenRequest {
    pub grant: GrantRequest,
    /// The `scope` parameter, unparsed (policy decides what it means).
    pub scope: Option<String>,
    /// RFC 8707 `resource` parameters: narrow the audience.
    pub resources: Vec<String>,
}

#[derive(Debug)]
pub enum GrantRequest {
    AuthorizationCode { code: Secret, redirect_uri: String, code_verifier: Secret },
    Password { username: String, password: Secret },
    ClientCredentials,
    RefreshToken { refresh_token: Secret },
}

impl GrantRequest {
    pub fn grant_type(&self) -> GrantType {
        match self {
            GrantRequest::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            GrantRequest::Password { .. } => GrantType::Password,
            GrantRequest::ClientCredentials => GrantType::ClientCredentials,
            GrantRequest::RefreshToken { .. } => GrantType::RefreshToken,
        }
    }
}

/// The successful answer (RFC 6749 §5.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(value_type = String)]
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Omitted when nothing was granted: an empty string is not a valid scope
    /// (RFC 6749 §3.3).
    #[serde(skip_serializing_if = "ScopeSet::is_empty")]
    #[schema(value_type = Option<String>)]
    pub scope: ScopeSet,
}

impl TokenRequest {
    /// Reads the grant's parameters. Unknown grant types and missing parameters are
    /// refused here, before any work.
    pub fn parse(form: &FormParams) -> Result<Self, OAuthError> {
        let grant_type = form.get("grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
        let required = |name: &'static str| {
            form.get(name).ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
        };
        let grant = match GrantType::parse(grant_type) {
            Some(GrantType::AuthorizationCode) => GrantRequest::AuthorizationCode {
                code: Secret::new(required("code")?),
                redirect_uri: required("redirect_uri")?.to_owned(),
                code_verifier: Secret::new(required("code_verifier")?),
            },
            Some(GrantType::Password) => {
                let username = required("username")?;
                // No user can have such a name (`validation::check_username`): refused
                // as malformed (RFC 6749 §5.2) before any throttle, store or hashing
                // work, which tells nothing about existing users.
                if username.len() > crate::oauth::validation::MAX_USERNAME_BYTES {
                    return Err(OAuthError::invalid_request(format!(
                        "username must be at most {} bytes",
                        crate::oauth::validation::MAX_USERNAME_BYTES
                    )));
                }
                GrantRequest::Password { username: username.to_owned(), password: Secret::new(required("password")?) }
            }
            Some(GrantType::ClientCredentials) => GrantRequest::ClientCredentials,
            Some(GrantType::RefreshToken) => {
                GrantRequest::RefreshToken { refresh_token: Secret::new(required("refresh_token")?) }
            }
            None => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    "grant_type must be authorization_code, password, client_credentials or refresh_token",
                ))
            }
        };
        Ok(Self { grant, scope: form.get("scope").map(str::to_owned), resources: form.get_all("resource").to_vec() })
    }
}

/// Runs the grant for an authenticated client. `client_address` is the end user's
/// address as far as it is known, for the per-address login throttle.
pub async fn issue(
    authority: &Authority,
    client: &ClientRecord,
    request: TokenRequest,
    client_address: Option<IpAddr>,
) -> Result<TokenResponse, OAuthError> {
    let grant_type = request.grant.grant_type();
    if !client.grant_types.iter().any(|g| g == grant_type.as_str()) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use the {} grant",
            grant_type.as_str()
        )));
    }
    match request.grant {
        GrantRequest::AuthorizationCode { code, redirect_uri, code_verifier } => {
            authorization_code::issue(authority, client, code, &redirect_uri, code_verifier).await
        }
        GrantRequest::Password { username, password } => {
            let scope = request.scope.as_deref();
            password::issue(authority, client, &username, password, scope, &request.resources, client_address).await
        }
        GrantRequest::ClientCredentials => {
            client_credentials::issue(authority, client, request.scope.as_deref(), &request.resources).await
        }
        GrantRequest::RefreshToken { refresh_token } => {
            refresh_token::issue(authority, client, refresh_token, request.scope.as_deref()).await
        }
    }
}
