//! The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707), checked
//! without any HTTP: the same rules for the GET that shows the login page and the
//! POST that submits it (whose hidden fields are never trusted).
//!
//! ```text
//! validate ─► client_id known? redirect_uri registered? no repeated parameter?
//!          │     └─ no: AuthorizeError::Page (an error page, never a redirect, §4.1.2.1)
//!          └─► response_type, grant, PKCE, scope, resource
//!                └─ wrong: AuthorizeError::Redirect (error back to the client, §4.1.2.1)
//! ```

use shared_claims::{OAuthError, ScopeSet};

use crate::grants::{policy, GrantType};
use crate::oauth::form::{FormError, FormParams};
use crate::oauth::pkce;
use crate::oauth::redirect_uri;
use crate::store::{ClientRecord, ClientStore};

/// The parameters of an authorization request, as a login form carries them along.
pub const PARAMETERS: [&str; 9] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "resource",
];

/// Error codes of the authorization response (RFC 6749 §4.1.2.1, RFC 8707 §2,
/// OpenID Connect Core §3.1.2.6 for `login_required`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeErrorCode {
    InvalidRequest,
    UnauthorizedClient,
    UnsupportedResponseType,
    InvalidScope,
    InvalidTarget,
    LoginRequired,
    ServerError,
    TemporarilyUnavailable,
}

impl AuthorizeErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::LoginRequired => "login_required",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// Why an authorization request is refused, and how the refusal is delivered.
#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or its redirect URI cannot be trusted: the user sees an error page.
    Page { status: u16, message: String },
    /// Sent back to the client at its redirect URI.
    Redirect(Box<ErrorRedirect>),
}

#[derive(Debug, Clone)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub code: AuthorizeErrorCode,
    pub description: String,
    pub state: Option<String>,
}

impl AuthorizeError {
    fn page(message: impl Into<String>) -> Self {
        Self::Page { status: 400, message: message.into() }
    }

    /// A store or server failure: a page (nothing is known to be safe to redirect to
    /// before the client is read) with 503 or 500.
    pub fn from_oauth(err: &OAuthError) -> Self {
        let status = if err.status() == 503 { 503 } else { 500 };
        tracing::error!(error = %err, "authorization request failed");
        Self::Page { status, message: "The server cannot handle this request now. Please try again later.".into() }
    }
}

/// `prompt` (OpenID Connect Core §3.1.2.1): `login` forces the form, `none` forbids it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Default,
    Login,
    None,
}

/// A valid authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: ClientRecord,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    /// What the client asked for (or all it may have); narrowed to the user's later.
    pub scope: ScopeSet,
    pub audiences: Vec<String>,
    pub prompt: Prompt,
    /// The request's parameters, for the login form's hidden fields.
    pub parameters: Vec<(String, String)>,
}

impl AuthorizationRequest {
    /// An error to send back to the client.
    pub fn error(&self, code: AuthorizeErrorCode, description: impl Into<String>) -> AuthorizeError {
        AuthorizeError::Redirect(Box::new(ErrorRedirect {
            redirect_uri: self.redirect_uri.clone(),
            code,
            description: description.into(),
            state: self.state.clone(),
        }))
    }
}

/// Reads `query` (GET) or the form body (POST) into parameters; a repeated
/// parameter (RFC 6749 §3.1) or bad encoding is an error page.
pub fn parse_parameters(raw: &[u8]) -> Result<FormParams, AuthorizeError> {
    FormParams::parse(raw, &["resource"]).map_err(|err| match err {
        FormError::Repeated(name) => AuthorizeError::page(format!("The parameter {name} is repeated.")),
        FormError::NotUtf8 => AuthorizeError::page("The request is not valid UTF-8."),
    })
}

/// Checks an authorization request against the client's registration.
pub async fn validate<C: ClientStore + ?Sized>(
    clients: &C,
    params: &FormParams,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let client_id = params.get("client_id").ok_or_else(|| AuthorizeError::page("The request names no client."))?;
    let client = clients
        .client(client_id)
        .await
        .map_err(|e| AuthorizeError::from_oauth(&OAuthError::from(e)))?
        .ok_or_else(|| AuthorizeError::page("The application is not known to this server."))?;
    let redirect_uri =
        params.get("redirect_uri").ok_or_else(|| AuthorizeError::page("The request has no redirect_uri."))?.to_owned();
    if !redirect_uri::is_registered(&client.redirect_uris, &redirect_uri) {
        return Err(AuthorizeError::page("The redirect_uri is not registered for this application."));
    }
    let mut parameters = Vec::new();
    for name in PARAMETERS {
        if name == "resource" {
            parameters.extend(params.get_all(name).iter().map(|v| (name.to_owned(), v.clone())));
        } else if let Some(value) = params.get(name) {
            parameters.push((name.to_owned(), value.to_owned()));
        }
    }
    let prompt = match params.get("prompt") {
        Some(p) if p.split(' ').any(|v| v == "login") => Prompt::Login,
        Some(p) if p.split(' ').any(|v| v == "none") => Prompt::None,
        _ => Prompt::Default,
    };
    let mut request = AuthorizationRequest {
        client,
        redirect_uri,
        state: params.get("state").map(str::to_owned),
        code_challenge: String::new(),
        scope: ScopeSet::new(),
        audiences: Vec::new(),
        prompt,
        parameters,
    };
    use AuthorizeErrorCode as Code;
    match params.get("response_type") {
        Some("code") => {}
        None => return Err(request.error(Code::InvalidRequest, "response_type is required")),
        Some(_) => return Err(request.error(Code::UnsupportedResponseType, "response_type must be code")),
    }
    if !request.client.grant_types.iter().any(|g| g == GrantType::AuthorizationCode.as_str()) {
        return Err(request.error(Code::UnauthorizedClient, "this client may not use the authorization code flow"));
    }
    let Some(challenge) = params.get("code_challenge") else {
        return Err(request.error(Code::InvalidRequest, "code_challenge is required (PKCE, S256)"));
    };
    if params.get("code_challenge_method") != Some(pkce::S256) {
        return Err(request.error(Code::InvalidRequest, "code_challenge_method must be S256"));
    }
    if !pkce::is_valid_challenge(challenge) {
        return Err(request.error(Code::InvalidRequest, "code_challenge must be 43 base64url characters"));
    }
    request.code_challenge = challenge.to_owned();
    request.scope = policy::grant_scope(params.get("scope"), &request.client.scopes)
        .map_err(|e| request.error(Code::InvalidScope, e.body().error_description.unwrap_or_default()))?;
    request.audiences = policy::audiences(&request.client, params.get_all("resource"))
        .map_err(|_| request.error(Code::InvalidTarget, "a requested resource is not allowed for this client"))?;
    Ok(request)
}

/// The URL the browser is sent to: the redirect URI with `params` appended to its
/// own query (RFC 6749 §3.1.2: the registered query is kept).
pub fn redirect_url(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let separator = match redirect_uri.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some(_) => "&",
    };
    format!("{redirect_uri}{separator}{}", query.finish())
}

impl ErrorRedirect {
    /// The error response's URL (RFC 6749 §4.1.2.1, with RFC 9207's `iss`).
    pub fn url(&self, issuer: &str) -> String {
        let mut params = vec![("error", self.code.as_str()), ("error_description", self.description.as_str())];
        if let Some(state) = &self.state {
            params.push(("state", state));
        }
        params.push(("iss", issuer));
        redirect_url(&self.redirect_uri, &params)
    }
}

#[cfg(test)]
mod tests {
    use super::redirect_url;

    #[test]
    fn the_registered_query_is_kept() {
        assert_eq!(redirect_url("https://a.example/cb", &[("code", "x y")]), "https://a.example/cb?code=x+y");
        assert_eq!(redirect_url("https://a.example/cb?t=1", &[("code", "x")]), "https://a.example/cb?t=1&code=x");
        assert_eq!(redirect_url("https://a.example/cb?", &[("code", "x")]), "https://a.example/cb?code=x");
    }
}
