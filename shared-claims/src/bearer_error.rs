//! Bearer-token errors of a resource server (RFC 6750 §3, §3.1): status, the
//! `WWW-Authenticate` challenge, and the JSON body, built in one place.

use std::borrow::Cow;
use std::fmt::Write;

use serde::Serialize;

use crate::oauth_error::sanitize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerErrorKind {
    /// No credentials at all: 401 with a bare challenge, no error code (§3.1).
    MissingToken,
    /// Malformed request, e.g. a broken `Authorization` header: 400.
    InvalidRequest,
    /// Expired, revoked, malformed or otherwise unacceptable token: 401.
    InvalidToken,
    /// Valid token without the scope the route needs: 403, naming the scope.
    InsufficientScope { scope: String },
    /// The resource server cannot decide now (e.g. the auth server is unreachable): 503.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerError {
    pub kind: BearerErrorKind,
    description: Option<Cow<'static, str>>,
}

#[derive(Debug, Serialize)]
pub struct BearerErrorBody<'a> {
    pub error: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<&'a str>,
}

impl BearerError {
    pub fn missing_token() -> Self {
        Self { kind: BearerErrorKind::MissingToken, description: None }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::with(BearerErrorKind::InvalidRequest, description)
    }

    pub fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::with(BearerErrorKind::InvalidToken, description)
    }

    pub fn insufficient_scope(scope: impl Into<String>) -> Self {
        Self::with(
            BearerErrorKind::InsufficientScope { scope: scope.into() },
            "the token lacks the scope this resource needs",
        )
    }

    pub fn unavailable(description: impl Into<Cow<'static, str>>) -> Self {
        Self::with(BearerErrorKind::Unavailable, description)
    }

    fn with(kind: BearerErrorKind, description: impl Into<Cow<'static, str>>) -> Self {
        Self { kind, description: Some(sanitize(description.into())) }
    }

    pub fn status(&self) -> u16 {
        match self.kind {
            BearerErrorKind::MissingToken | BearerErrorKind::InvalidToken => 401,
            BearerErrorKind::InvalidRequest => 400,
            BearerErrorKind::InsufficientScope { .. } => 403,
            BearerErrorKind::Unavailable => 503,
        }
    }

    /// The RFC 6750 error code; `None` when the request carried no credentials.
    pub fn code(&self) -> Option<&'static str> {
        match self.kind {
            BearerErrorKind::MissingToken => None,
            BearerErrorKind::InvalidRequest => Some("invalid_request"),
            BearerErrorKind::InvalidToken => Some("invalid_token"),
            BearerErrorKind::InsufficientScope { .. } => Some("insufficient_scope"),
            BearerErrorKind::Unavailable => Some("temporarily_unavailable"),
        }
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The `WWW-Authenticate` value, e.g.
    /// `Bearer realm="api", error="insufficient_scope", scope="documents:read"`.
    /// A 503 carries no challenge: the token was not judged.
    pub fn www_authenticate(&self, realm: &str) -> Option<String> {
        if self.kind == BearerErrorKind::Unavailable {
            return None;
        }
        let mut value = format!("Bearer realm=\"{}\"", sanitize(Cow::Owned(realm.to_owned())));
        if let Some(code) = self.code() {
            let _ = write!(value, ", error=\"{code}\"");
        }
        if let Some(description) = &self.description {
            let _ = write!(value, ", error_description=\"{description}\"");
        }
        if let BearerErrorKind::InsufficientScope { scope } = &self.kind {
            let _ = write!(value, ", scope=\"{}\"", sanitize(Cow::Owned(scope.clone())));
        }
        Some(value)
    }

    /// The JSON body: same code as the header. With no credentials there is no
    /// error code to report, so the body says `invalid_token`-free `unauthorized`.
    pub fn body(&self) -> BearerErrorBody<'_> {
        BearerErrorBody {
            error: self.code().unwrap_or("unauthorized"),
            error_description: self.description().or(match self.kind {
                BearerErrorKind::MissingToken => Some("a bearer token is required"),
                _ => None,
            }),
        }
    }
}

impl std::fmt::Display for BearerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code().unwrap_or("missing_token"))?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BearerError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_token_has_a_bare_challenge() {
        let err = BearerError::missing_token();
        assert_eq!(err.status(), 401);
        assert_eq!(err.www_authenticate("api").unwrap(), "Bearer realm=\"api\"");
    }

    #[test]
    fn invalid_token_names_the_error() {
        let err = BearerError::invalid_token("token has expired");
        assert_eq!(err.status(), 401);
        assert_eq!(
            err.www_authenticate("api").unwrap(),
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token has expired\""
        );
        let body = serde_json::to_value(err.body()).unwrap();
        assert_eq!(body, serde_json::json!({"error": "invalid_token", "error_description": "token has expired"}));
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let err = BearerError::insufficient_scope("documents:write");
        assert_eq!(err.status(), 403);
        let header = err.www_authenticate("api").unwrap();
        assert!(header.starts_with("Bearer realm=\"api\", error=\"insufficient_scope\""));
        assert!(header.ends_with(", scope=\"documents:write\""));
    }

    #[test]
    fn malformed_request_is_400() {
        let err = BearerError::invalid_request("malformed Authorization header");
        assert_eq!(err.status(), 400);
        assert_eq!(err.body().error, "invalid_request");
    }

    #[test]
    fn quotes_cannot_break_the_header() {
        let err = BearerError::invalid_token(String::from("a \"b\""));
        assert!(err.www_authenticate("r\"x").unwrap().contains("realm=\"r?x\""));
        assert!(err.www_authenticate("r").unwrap().contains("\"a ?b?\""));
    }

    #[test]
    fn unavailable_is_503_without_challenge() {
        let err = BearerError::unavailable("revocation view is stale");
        assert_eq!(err.status(), 503);
        assert!(err.www_authenticate("api").is_none());
    }
}
