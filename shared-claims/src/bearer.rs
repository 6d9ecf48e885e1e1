//! Reading the access token out of an `Authorization` header (RFC 6750 §2.1),
//! framework-free so that any HTTP stack can use it.
//!
//! ```text
//! credentials = "Bearer" 1*SP b64token            (scheme case-insensitive, RFC 7235 §2.1)
//! b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! | header                           | answer (RFC 6750 §3.1)                      |
//! |----------------------------------|---------------------------------------------|
//! | absent                           | 401, bare challenge ([`BearerError::missing_token`]) |
//! | another scheme (`Basic ...`)     | 401, bare challenge: no bearer credentials  |
//! | `Bearer`, `Bearer   `            | 400 `invalid_request`                       |
//! | `Bearer a b`, `Bearer a,b`       | 400 `invalid_request`                       |
//! | `Bearer\tabc`, `Bearer,abc`      | 400 `invalid_request`: bearer, badly separated |
//! | `Bearerabc`                      | 401, bare challenge: another scheme's name  |
//! | `Bearer <b64token>`              | the token                                   |

use crate::BearerError;

const SCHEME: &str = "bearer";

/// Extracts the bearer token from the raw `Authorization` header value, if any.
///
/// The caller must refuse a request carrying several `Authorization` headers before
/// calling this (RFC 6750 §3.1: more than one method → `invalid_request`); see
/// [`bearer_token_from_headers`] for a helper that does both.
pub fn bearer_token(authorization: Option<&[u8]>) -> Result<&str, BearerError> {
    let Some(raw) = authorization else {
        return Err(BearerError::missing_token());
    };
    let value = std::str::from_utf8(raw)
        .map_err(|_| BearerError::invalid_request("the Authorization header is not valid text"))?;
    let (scheme, rest) = match value.find(' ') {
        Some(at) => (&value[..at], &value[at..]),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        if starts_with_bearer_then_separator(scheme) {
            // `Bearer\tabc`, `Bearer,abc`: the bearer scheme, badly separated from
            // its token. Not another scheme (a scheme name cannot hold that character).
            return Err(BearerError::invalid_request("the bearer scheme must be followed by a space and the token"));
        }
        // RFC 6750 §3.1: a request without bearer credentials gets a bare challenge.
        return Err(BearerError::missing_token());
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Err(BearerError::invalid_request("the bearer token is missing"));
    }
    if !is_b64token(token) {
        return Err(BearerError::invalid_request("the bearer token is malformed"));
    }
    Ok(token)
}

/// Like [`bearer_token`], given every `Authorization` header of the request: more
/// than one is `invalid_request`.
pub fn bearer_token_from_headers<'a, I>(values: I) -> Result<&'a str, BearerError>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut values = values.into_iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(BearerError::invalid_request("more than one Authorization header"));
    }
    bearer_token(first)
}

/// `scheme` (the header value up to its first space) is `bearer`, any case, followed by
/// a character that cannot continue a scheme name (a `tchar`, RFC 9110 §5.6.2): a tab,
/// a comma, anything else outside the token characters. `Bearerabc` stays another
/// scheme.
fn starts_with_bearer_then_separator(scheme: &str) -> bool {
    let bytes = scheme.as_bytes();
    bytes.len() > SCHEME.len()
        && bytes[..SCHEME.len()].eq_ignore_ascii_case(SCHEME.as_bytes())
        && !is_tchar(bytes[SCHEME.len()])
}

/// `tchar` of RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The `b64token` syntax of RFC 6750 §2.1: the token characters, then optional `=`
/// padding only at the end.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BearerErrorKind;

    fn kind(header: Option<&str>) -> Result<&str, BearerErrorKind> {
        bearer_token(header.map(str::as_bytes)).map_err(|e| e.kind)
    }

    #[test]
    fn reads_a_well_formed_token() {
        assert_eq!(kind(Some("Bearer abc.DEF-_~+/==")), Ok("abc.DEF-_~+/=="));
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_may_be_followed_by_several_spaces() {
        assert_eq!(kind(Some("bearer abc")), Ok("abc"));
        assert_eq!(kind(Some("BEARER   abc")), Ok("abc"));
    }

    #[test]
    fn no_header_or_another_scheme_is_a_bare_challenge() {
        assert_eq!(kind(None), Err(BearerErrorKind::MissingToken));
        assert_eq!(kind(Some("Basic dXNlcjpwYXNz")), Err(BearerErrorKind::MissingToken));
        assert_eq!(kind(Some("Bearerabc")), Err(BearerErrorKind::MissingToken));
        assert_eq!(kind(Some("")), Err(BearerErrorKind::MissingToken));
    }

    #[test]
    fn a_missing_token_is_malformed() {
        assert_eq!(kind(Some("Bearer")), Err(BearerErrorKind::InvalidRequest));
        assert_eq!(kind(Some("Bearer ")), Err(BearerErrorKind::InvalidRequest));
        assert_eq!(kind(Some("Bearer    ")), Err(BearerErrorKind::InvalidRequest));
    }

    #[test]
    fn spaces_or_foreign_characters_in_the_token_are_malformed() {
        for header in ["Bearer a b", "Bearer abc ", "Bearer a,b", "Bearer a\tb", "Bearer ===", "Bearer a=b", "Bearer é"]
        {
            assert_eq!(kind(Some(header)), Err(BearerErrorKind::InvalidRequest), "{header}");
        }
        assert_eq!(bearer_token(Some(b"Bearer \xff")).map_err(|e| e.kind), Err(BearerErrorKind::InvalidRequest));
    }

    #[test]
    fn the_bearer_scheme_followed_by_anything_but_a_space_is_malformed() {
        for header in ["Bearer\tabc", "Bearer,abc", "bearer\tabc", "BEARER,abc", "Bearer\t", "Bearer;abc", "Bearer=abc"]
        {
            assert_eq!(kind(Some(header)), Err(BearerErrorKind::InvalidRequest), "{header:?}");
        }
        assert_eq!(bearer_token(Some(b"Bearer\xffabc")).map_err(|e| e.kind), Err(BearerErrorKind::InvalidRequest));
        for other_scheme in ["Bearerabc", "Bearer-x abc", "Bearer.x abc", "Beare abc"] {
            assert_eq!(kind(Some(other_scheme)), Err(BearerErrorKind::MissingToken), "{other_scheme:?}");
        }
    }

    #[test]
    fn several_authorization_headers_are_malformed() {
        let two: [&[u8]; 2] = [b"Bearer a", b"Bearer b"];
        assert_eq!(bearer_token_from_headers(two).map_err(|e| e.kind), Err(BearerErrorKind::InvalidRequest));
        let one: [&[u8]; 1] = [b"Bearer a"];
        assert_eq!(bearer_token_from_headers(one).ok(), Some("a"));
        assert_eq!(
            bearer_token_from_headers(std::iter::empty()).map_err(|e| e.kind),
            Err(BearerErrorKind::MissingToken)
        );
    }
}
