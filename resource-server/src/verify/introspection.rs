//! The wire side of RFC 7662: one introspection request and what its answer means.
//!
//! ```text
//! POST introspection_endpoint                     RFC 7662 §2.1
//!   Authorization: Basic <client_secret_basic>    RFC 6749 §2.3.1
//!   token=...&token_type_hint=access_token
//! 200 {"active":false}                          → Inactive
//! 200 {"active":true, iss sub aud exp ...}      → AccessClaims (RFC 7662 §2.2)
//! anything else                                 → FetchError (no verdict: 503)
//! ```

use reqwest::header::AUTHORIZATION;
use reqwest::{Client, Url};
use serde::Deserialize;
use shared_claims::{AccessClaims, Audience, ClaimError, ScopeSet};

use super::http::{read_ok_body, FetchError};
use super::{ClientCredentials, VerifyError};

const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// What the auth server said about a token.
#[derive(Debug)]
pub(crate) enum Introspected {
    Inactive,
    Active(Box<IntrospectionResponse>),
}

/// RFC 7662 §2.2 members we use. Everything but `active` is optional on the wire; what
/// an access token needs is checked by [`IntrospectionResponse::into_claims`].
#[derive(Debug, Deserialize)]
pub(crate) struct IntrospectionResponse {
    active: bool,
    token_type: Option<String>,
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    sid: Option<String>,
}

pub(crate) async fn introspect(
    client: &Client,
    endpoint: &Url,
    credentials: &ClientCredentials,
    token: &str,
) -> Result<Introspected, FetchError> {
    let response = client
        .post(endpoint.clone())
        .header(AUTHORIZATION, credentials.basic_authorization())
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await?;
    let body = read_ok_body(response, MAX_RESPONSE_BYTES).await?;
    let answer: IntrospectionResponse =
        serde_json::from_slice(&body).map_err(|e| FetchError::Document(format!("introspection response: {e}")))?;
    Ok(if answer.active { Introspected::Active(Box::new(answer)) } else { Introspected::Inactive })
}

impl IntrospectionResponse {
    /// The claims of an active token. The auth server reports only access tokens as
    /// active to us, but a `token_type` naming anything else is refused all the same.
    pub(super) fn into_claims(self) -> Result<AccessClaims, VerifyError> {
        if let Some(token_type) = &self.token_type {
            let access = ["access_token", "bearer", "at+jwt"].iter().any(|t| token_type.eq_ignore_ascii_case(t));
            if !access {
                return Err(VerifyError::Claims(ClaimError::WrongType));
            }
        }
        let scope = match self.scope.as_deref() {
            Some(scope) => ScopeSet::parse(scope).map_err(|_| VerifyError::Malformed)?,
            None => ScopeSet::new(),
        };
        let (Some(iss), Some(sub), Some(aud), Some(exp), Some(iat), Some(jti), Some(client_id)) =
            (self.iss, self.sub, self.aud, self.exp, self.iat, self.jti, self.client_id)
        else {
            return Err(VerifyError::Malformed);
        };
        Ok(AccessClaims { iss, sub, aud, exp, iat, nbf: self.nbf, jti, client_id, scope, sid: self.sid })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(json: serde_json::Value) -> IntrospectionResponse {
        serde_json::from_value(json).unwrap()
    }

    fn active() -> serde_json::Value {
        serde_json::json!({
            "active": true, "token_type": "access_token", "iss": "http://as", "sub": "alice",
            "aud": "documents-api", "exp": 2_000_000_000, "iat": 1_999_999_000, "jti": "j1",
            "client_id": "web-app", "scope": "documents:read documents:write", "sid": "s1"
        })
    }

    #[test]
    fn builds_claims_from_an_active_answer() {
        let claims = response(active()).into_claims().unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_deref()), ("alice", Some("s1")));
        assert!(claims.scope.contains("documents:write"));
        assert!(claims.aud.contains("documents-api"));
    }

    #[test]
    fn absent_token_type_means_access_token_and_others_are_refused() {
        let mut json = active();
        json.as_object_mut().unwrap().remove("token_type");
        assert!(response(json).into_claims().is_ok());
        let mut json = active();
        json["token_type"] = "refresh_token".into();
        assert_eq!(response(json).into_claims().unwrap_err(), VerifyError::Claims(ClaimError::WrongType));
    }

    #[test]
    fn refuses_answers_missing_what_an_access_token_needs() {
        for field in ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"] {
            let mut json = active();
            json.as_object_mut().unwrap().remove(field);
            assert_eq!(response(json).into_claims().unwrap_err(), VerifyError::Malformed, "{field}");
        }
    }

    #[test]
    fn active_must_be_a_boolean() {
        assert!(serde_json::from_str::<IntrospectionResponse>(r#"{"active":"true"}"#).is_err());
        assert!(serde_json::from_str::<IntrospectionResponse>(r#"{}"#).is_err());
        assert!(!response(serde_json::json!({"active": false})).active);
    }
}
