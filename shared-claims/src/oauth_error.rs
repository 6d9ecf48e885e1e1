//! OAuth 2.0 error responses (RFC 6749 §5.2, plus the codes of RFC 7009 §2.2.1 and
//! RFC 8707 §2). One type for every endpoint of the authorization server: a code, a
//! public description, and a private detail that is logged and never sent.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

/// The error codes, with the HTTP status each one is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    /// RFC 8707 §2: a `resource` the client may not ask for.
    InvalidTarget,
    /// RFC 7009 §2.2.1.
    UnsupportedTokenType,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// RFC 6749 §5.2: 400 unless stated otherwise; `invalid_client` is 401 (the
    /// handler adds `WWW-Authenticate` only when the client used the header).
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient => 401,
            ErrorCode::AccessDenied => 403,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth 2.0 error. Build it with the constructors, add detail for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    description: Option<Cow<'static, str>>,
    detail: Option<String>,
    basic_challenge: bool,
}

/// The JSON body of RFC 6749 §5.2.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<&'a str>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self { code, description: Some(sanitize(description.into())), detail: None, basic_challenge: false }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, description)
    }

    pub fn unsupported_grant_type(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnsupportedGrantType, description)
    }

    /// A 500 whose cause goes to the log only; the client sees a generic text.
    pub fn server_error(detail: impl fmt::Display) -> Self {
        Self::new(ErrorCode::ServerError, "internal error").with_detail(detail)
    }

    pub fn temporarily_unavailable(detail: impl fmt::Display) -> Self {
        Self::new(ErrorCode::TemporarilyUnavailable, "service temporarily unavailable").with_detail(detail)
    }

    /// A private note for the log. Never put a token, password or secret here.
    pub fn with_detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    /// The client authenticated with HTTP Basic and failed: answer with a challenge.
    pub fn with_basic_challenge(mut self) -> Self {
        self.basic_challenge = true;
        self
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// `WWW-Authenticate` is sent only for a failed Basic authentication (RFC 6749 §5.2).
    pub fn basic_challenge(&self) -> bool {
        self.basic_challenge && self.code == ErrorCode::InvalidClient
    }

    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody { error: self.code.as_str(), error_description: self.description() }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

/// RFC 6749 §5.2 limits `error_description` to %x20-21 / %x23-5B / %x5D-7E.
pub(crate) fn sanitize(text: Cow<'static, str>) -> Cow<'static, str> {
    let allowed = |c: char| matches!(c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E);
    if text.chars().all(allowed) {
        text
    } else {
        Cow::Owned(text.chars().map(|c| if allowed(c) { c } else { '?' }).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_rfc_6749() {
        assert_eq!(OAuthError::invalid_request("x").status(), 400);
        assert_eq!(OAuthError::invalid_client("x").status(), 401);
        assert_eq!(OAuthError::invalid_grant("x").status(), 400);
        assert_eq!(OAuthError::server_error("boom").status(), 500);
        assert_eq!(OAuthError::temporarily_unavailable("down").status(), 503);
    }

    #[test]
    fn body_carries_code_and_description_but_never_detail() {
        let err = OAuthError::invalid_grant("bad credentials").with_detail("user alice unknown");
        let json = serde_json::to_value(err.body()).unwrap();
        assert_eq!(json, serde_json::json!({"error": "invalid_grant", "error_description": "bad credentials"}));
        assert_eq!(err.detail(), Some("user alice unknown"));
        let server = OAuthError::server_error("redis down");
        assert_eq!(serde_json::to_value(server.body()).unwrap()["error_description"], "internal error");
    }

    #[test]
    fn basic_challenge_only_for_invalid_client() {
        assert!(OAuthError::invalid_client("x").with_basic_challenge().basic_challenge());
        assert!(!OAuthError::invalid_client("x").basic_challenge());
        assert!(!OAuthError::invalid_grant("x").with_basic_challenge().basic_challenge());
    }

    #[test]
    fn descriptions_are_restricted_to_the_allowed_characters() {
        let err = OAuthError::invalid_request(String::from("bad \"quote\" \\ é\n"));
        assert_eq!(err.description(), Some("bad ?quote? ? ??"));
    }

    #[test]
    fn codes_serialize_as_rfc_strings() {
        assert_eq!(serde_json::to_string(&ErrorCode::UnsupportedGrantType).unwrap(), "\"unsupported_grant_type\"");
        assert_eq!(ErrorCode::InvalidTarget.as_str(), "invalid_target");
    }
}
