//! Reading the token endpoint's answer: an access token with its lifetime (RFC 6749
//! §5.1) or an error (§5.2). Pure functions of status and body.

use std::time::Duration;

use serde::Deserialize;

use super::error::TokenError;
use crate::Secret;

/// The lifetime assumed when the answer has no `expires_in` (§5.1 makes it only
/// RECOMMENDED): short, so that a token of unknown life is not kept for long. A token
/// refused earlier is replaced anyway (`invalid_token`, RFC 6750 §3.1).
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Longest access token accepted; ours are well under 2 KiB.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Longest error description kept for messages.
const MAX_DESCRIPTION_CHARS: usize = 200;

/// A token as issued.
#[derive(Debug)]
pub(crate) struct IssuedToken {
    pub(crate) value: Secret,
    pub(crate) lifetime: Duration,
}

#[derive(Deserialize)]
struct Success {
    access_token: String,
    token_type: String,
    expires_in: Option<serde_json::Number>,
}

#[derive(Deserialize)]
struct Failure {
    error: Option<String>,
    error_description: Option<String>,
}

/// A 2xx answer: the token, checked so that it can go into an `Authorization` header.
pub(crate) fn parse_success(body: &[u8]) -> Result<IssuedToken, TokenError> {
    let bad = |why: &str| TokenError::Response(why.to_owned());
    let success: Success =
        serde_json::from_slice(body).map_err(|_| bad("not a JSON object with string access_token and token_type"))?;
    // §7.1: a client must not use a token whose type it does not understand.
    if !success.token_type.eq_ignore_ascii_case("bearer") {
        return Err(bad("token_type is not Bearer"));
    }
    if success.access_token.len() > MAX_TOKEN_BYTES {
        return Err(bad("access_token is too long"));
    }
    if !is_b64token(&success.access_token) {
        return Err(bad("access_token is not an RFC 6750 b64token"));
    }
    let lifetime = match success.expires_in {
        None => DEFAULT_LIFETIME,
        Some(seconds) => match seconds.as_u64() {
            Some(seconds) if seconds > 0 => Duration::from_secs(seconds),
            _ => return Err(bad("expires_in is not a positive whole number of seconds")),
        },
    };
    Ok(IssuedToken { value: Secret::new(success.access_token), lifetime })
}

/// A non-2xx answer: the §5.2 code and description when the body has well-formed ones.
pub(crate) fn parse_failure(status: u16, body: &[u8]) -> TokenError {
    let failure = serde_json::from_slice::<Failure>(body).ok();
    let (error, description) = failure.map_or((None, None), |f| (f.error, f.error_description));
    TokenError::Refused {
        status,
        // §5.2's character set for both: printable ASCII without `"` and `\`.
        error: error.filter(|code| !code.is_empty() && code.len() <= 64 && code.chars().all(is_error_char)),
        description: description
            .filter(|text| !text.is_empty() && text.chars().all(is_error_char))
            .map(|text| text.chars().take(MAX_DESCRIPTION_CHARS).collect()),
    }
}

fn is_error_char(c: char) -> bool {
    matches!(c, ' '..='~') && c != '"' && c != '\\'
}

/// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn success(body: &str) -> Result<IssuedToken, TokenError> {
        parse_success(body.as_bytes())
    }

    #[test]
    fn reads_token_and_lifetime() {
        let issued =
            success(r#"{"access_token":"eyJ.a-b_c.d~e+f/g==","token_type":"bearer","expires_in":300}"#).unwrap();
        assert_eq!(issued.value.expose(), "eyJ.a-b_c.d~e+f/g==");
        assert_eq!(issued.lifetime, Duration::from_secs(300));
        let issued = success(r#"{"access_token":"t","token_type":"Bearer","scope":"a b"}"#).unwrap();
        assert_eq!(issued.lifetime, DEFAULT_LIFETIME);
    }

    #[test]
    fn refuses_what_cannot_be_sent_or_timed() {
        for body in [
            "not json",
            r#"{"token_type":"Bearer"}"#,
            r#"{"access_token":"t","token_type":"mac"}"#,
            r#"{"access_token":"","token_type":"Bearer"}"#,
            r#"{"access_token":"a b","token_type":"Bearer"}"#,
            r#"{"access_token":"a\r\nX-Injected: 1","token_type":"Bearer"}"#,
            r#"{"access_token":"==","token_type":"Bearer"}"#,
            r#"{"access_token":"t","token_type":"Bearer","expires_in":0}"#,
            r#"{"access_token":"t","token_type":"Bearer","expires_in":-5}"#,
            r#"{"access_token":"t","token_type":"Bearer","expires_in":1.5}"#,
            r#"{"access_token":"t","token_type":"Bearer","expires_in":"300"}"#,
        ] {
            assert!(matches!(success(body), Err(TokenError::Response(_))), "{body}");
        }
        let long = format!(r#"{{"access_token":"{}","token_type":"Bearer"}}"#, "a".repeat(MAX_TOKEN_BYTES + 1));
        assert!(success(&long).is_err());
    }

    #[test]
    fn a_refusal_keeps_a_well_formed_code() {
        let body = br#"{"error":"invalid_scope","error_description":"the scope is not allowed"}"#;
        let err = parse_failure(400, body);
        assert_eq!(
            err,
            TokenError::Refused {
                status: 400,
                error: Some("invalid_scope".into()),
                description: Some("the scope is not allowed".into())
            }
        );
        assert_eq!(parse_failure(502, b"<html>bad gateway</html>").oauth_error(), None);
        let odd = parse_failure(400, "{\"error\":\"bad\\\"code\",\"error_description\":\"\\u001b[31m\"}".as_bytes());
        assert_eq!(odd, TokenError::Refused { status: 400, error: None, description: None });
    }
}
