//! Reading a refusal's `WWW-Authenticate` (RFC 7235 §4.1): is it a `Bearer` challenge
//! with `error="invalid_token"` (RFC 6750 §3.1), the one refusal a new token can cure?

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use shared_claims::is_invalid_token_challenge;

/// Whether any `WWW-Authenticate` header of `headers` holds a `Bearer` challenge whose
/// `error` is `invalid_token` (see [`is_invalid_token_challenge`]).
pub(crate) fn is_invalid_token(headers: &HeaderMap) -> bool {
    headers.get_all(WWW_AUTHENTICATE).iter().filter_map(|value| value.to_str().ok()).any(is_invalid_token_challenge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn says_invalid_token(values: &[&'static str]) -> bool {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        is_invalid_token(&headers)
    }

    #[test]
    fn finds_the_code_in_a_bearer_challenge() {
        assert!(says_invalid_token(&[r#"Bearer realm="documents-api", error="invalid_token""#]));
        assert!(says_invalid_token(&[r#"bearer error=invalid_token"#]));
        assert!(says_invalid_token(&[
            r#"Bearer realm="a, b", ERROR = "invalid_token", error_description="the token expired""#
        ]));
        assert!(says_invalid_token(&[r#"Basic realm="x", Bearer error="invalid_token""#]));
        assert!(says_invalid_token(&[r#"Basic realm="x""#, r#"Bearer error="invalid_token""#]));
        assert!(says_invalid_token(&[r#"Bearer realm="quo\"ted", error="invalid\_token""#]));
        assert!(says_invalid_token(&[r#"Bearer error="invalid_token"#]), "unterminated, to the end");
    }

    #[test]
    fn anything_else_is_not_invalid_token() {
        assert!(!says_invalid_token(&[]));
        assert!(!says_invalid_token(&[r#"Bearer realm="documents-api""#]));
        assert!(!says_invalid_token(&[r#"Bearer error="insufficient_scope", scope="documents:read""#]));
        assert!(!says_invalid_token(&[r#"Bearer error="invalid_request""#]));
        assert!(!says_invalid_token(&[r#"Bearer realm="error=\"invalid_token\"""#]));
        assert!(!says_invalid_token(&[r#"Basic error="invalid_token""#]));
        assert!(!says_invalid_token(&[r#"DPoP error="invalid_token", Bearer realm="x""#]));
        assert!(!says_invalid_token(&[r#"Negotiate abc123==, Bearer"#]));
    }
}
