//! Schemas of bodies that have no Rust type of their own in this crate: form bodies
//! (read as name/value pairs), the error bodies built in `shared-claims` (which stays
//! free of documentation dependencies), and the JSON built with `json!`. These types
//! describe; the server never builds them.

#![allow(dead_code)]

use serde::Deserialize;
use utoipa::ToSchema;

/// The token request (RFC 6749 §4.3.2, §4.4.2, §6), form-encoded; no parameter may
/// repeat except `resource` (RFC 8707 §2). The client authenticates with HTTP Basic
/// (`client_secret_basic`, RFC 6749 §2.3.1) or with `client_id` and `client_secret` in
/// this body (`client_secret_post`); a public client sends `client_id` alone.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
pub(crate) enum TokenForm {
    /// Resource owner password credentials (RFC 6749 §4.3.2).
    Password {
        username: String,
        password: String,
        #[serde(flatten)]
        common: GrantParams,
    },
    /// A client acting for itself (RFC 6749 §4.4.2); confidential clients only.
    ClientCredentials {
        #[serde(flatten)]
        common: GrantParams,
    },
    /// A refresh token for a new access token and a new refresh token (RFC 6749 §6);
    /// the old refresh token is spent.
    RefreshToken {
        refresh_token: String,
        #[serde(flatten)]
        common: GrantParams,
    },
}

/// What every grant may carry.
#[derive(Deserialize, ToSchema)]
pub(crate) struct GrantParams {
    /// Space-separated scopes (RFC 6749 §3.3); absent means the client's default.
    scope: Option<String>,
    /// The audience of the access token (RFC 8707 §2); may repeat.
    resource: Option<Vec<String>>,
    /// `client_secret_post`, or a public client naming itself.
    client_id: Option<String>,
    /// `client_secret_post` (RFC 6749 §2.3.1).
    client_secret: Option<String>,
}

/// A token to introspect (RFC 7662 §2.1) or revoke (RFC 7009 §2.1), form-encoded,
/// with `client_secret_post` credentials when HTTP Basic is not used.
#[derive(Deserialize, ToSchema)]
pub(crate) struct SubjectTokenForm {
    token: String,
    /// A hint only: the token's own `typ` decides (RFC 7662 §2.1, RFC 7009 §2.1).
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The RFC 6749 §5.2 error codes this server answers with (plus RFC 8707's
/// `invalid_target` and RFC 7009's `unsupported_token_type`).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidTarget,
    UnsupportedTokenType,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
}

/// An OAuth error (RFC 6749 §5.2), sent with `Cache-Control: no-store`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct OAuthErrorBody {
    error: OAuthErrorCode,
    error_description: Option<String>,
}

/// The admin API's error codes: RFC 6750 §3.1 for a refused bearer token
/// (`unauthorized` when no token was sent), the admin API's own otherwise.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AdminErrorCode {
    InvalidRequest,
    InvalidToken,
    InsufficientScope,
    Unauthorized,
    NotFound,
    Conflict,
    TemporarilyUnavailable,
    ServerError,
}

/// An admin API error, sent with `Cache-Control: no-store`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct AdminErrorBody {
    error: AdminErrorCode,
    error_description: Option<String>,
}

/// The authorization server metadata (RFC 8414 §2). Every URL is built from the
/// issuer.
#[derive(Deserialize, ToSchema)]
pub(crate) struct Metadata {
    issuer: String,
    /// The authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636).
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    introspection_endpoint: String,
    revocation_endpoint: String,
    /// This server's extension: the revocation feed (`GET /oauth2/revocations`).
    revocation_feed_endpoint: String,
    grant_types_supported: Vec<String>,
    /// `["code"]`.
    response_types_supported: Vec<String>,
    /// `["S256"]` (RFC 7636; `plain` is refused).
    code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: authorization responses carry `iss`.
    authorization_response_iss_parameter_supported: bool,
    /// Ends the browser's login session (OpenID RP-initiated logout's shape).
    end_session_endpoint: String,
    token_endpoint_auth_methods_supported: Vec<String>,
    introspection_endpoint_auth_methods_supported: Vec<String>,
    revocation_endpoint_auth_methods_supported: Vec<String>,
    /// The scopes clients may ask for, less the operational ones.
    scopes_supported: Vec<String>,
}

/// A JWK Set (RFC 7517 §5) of RSA public keys.
#[derive(Deserialize, ToSchema)]
pub(crate) struct Jwks {
    keys: Vec<Jwk>,
}

/// An RSA public key (RFC 7517 §4, RFC 7518 §6.3.1).
#[derive(Deserialize, ToSchema)]
pub(crate) struct Jwk {
    kty: String,
    kid: String,
    alg: String,
    #[serde(rename = "use")]
    use_: String,
    n: String,
    e: String,
}

/// `/healthz` and `/readyz`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct Health {
    /// `ok`, `ready`, or `unavailable`.
    status: String,
    /// Why the server is not ready.
    reason: Option<String>,
}
