//! Local verification's and introspection's header checks, over the parser every
//! party shares ([`shared_claims::jose`]): the token is split and its JOSE header
//! checked (`alg` RS256, no `crit`) there; this module adds the resource server's own
//! rules (an access-token `typ`, a `kid` to look up) and maps the shared refusals onto
//! [`VerifyError`]. All of it runs before any key is looked up or any signature
//! computed (RFC 8725 §3.1, §3.11).

use serde::de::DeserializeOwned;
use shared_claims::jose::{self, CompactJws, JoseError};
use shared_claims::{is_access_token_typ, ClaimError};

use super::VerifyError;

/// The only algorithm we accept (RFC 7515 §4.1.1): the shared parser's.
pub(super) const ACCEPTED_ALG: &str = jose::ACCEPTED_ALG;

impl From<JoseError> for VerifyError {
    fn from(err: JoseError) -> Self {
        match err {
            JoseError::TooLong => VerifyError::TooLarge,
            JoseError::Malformed => VerifyError::Malformed,
            JoseError::Algorithm => VerifyError::Algorithm,
            JoseError::Critical => VerifyError::CriticalHeader,
        }
    }
}

/// Splits a compact JWS into its three non-empty segments. No length bound here: the
/// [`Verifier`](super::Verifier) has already applied its own `max_token_bytes`, which
/// its caller may set above the shared default.
pub(crate) fn split_compact(token: &str) -> Result<CompactJws<'_>, VerifyError> {
    Ok(CompactJws::split_with_limit(token, usize::MAX)?)
}

/// A header that passed the checks: RS256, no `crit`, an access-token `typ`, a `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoseHeader {
    pub typ: String,
    pub kid: String,
}

impl JoseHeader {
    /// Decodes and checks the header segment, in the order that decides the error
    /// reported: shape, `alg`, `crit` (the shared parser), then `typ`, then `kid`.
    pub(super) fn parse(segment: &str) -> Result<Self, VerifyError> {
        let header = jose::JoseHeader::decode(segment)?;
        let typ = access_token_typ(header.typ)?;
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        Ok(Self { typ, kid })
    }
}

/// RFC 9068 §4: the `typ` must say access token (a refresh token is refused here).
fn access_token_typ(typ: Option<String>) -> Result<String, VerifyError> {
    match typ {
        Some(typ) if is_access_token_typ(Some(&typ)) => Ok(typ),
        _ => Err(VerifyError::Claims(ClaimError::WrongType)),
    }
}

/// Introspection mode's local pre-checks (RFC 8725 §3.1, §3.11), so that a token we
/// would refuse anyway costs no call to the auth server.
///
/// A token that is a compact JWS (three segments whose first one decodes to a JSON
/// object we can read) must pass the same key-independent header checks as in local
/// mode: `alg` RS256, no `crit`, `typ` at+jwt. Returns its `kid`, when it has a
/// reasonable one (used to apply an emergency key revocation to cached answers).
/// Anything else is taken as an opaque token (`Ok(None)`): only the auth server can
/// judge it.
pub(crate) fn precheck_jws(token: &str) -> Result<Option<String>, VerifyError> {
    let Ok(jws) = split_compact(token) else { return Ok(None) };
    let header = match jose::JoseHeader::decode(jws.header) {
        Ok(header) => header,
        Err(JoseError::Malformed | JoseError::TooLong) => return Ok(None),
        Err(refused) => return Err(refused.into()),
    };
    access_token_typ(header.typ)?;
    Ok(header.kid)
}

/// Base64url without padding (RFC 7515 §2), strict.
pub(crate) fn decode_segment(segment: &str) -> Result<Vec<u8>, VerifyError> {
    Ok(jose::decode_segment(segment)?)
}

/// Reads a JSON object (a JWT claims set, RFC 7519 §7.2) into `T`, never a JSON array.
pub(crate) fn from_json_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, VerifyError> {
    Ok(jose::from_json_object(bytes)?)
}

#[cfg(test)]
mod tests {
    //! The parsing cases are `shared_claims::jose`'s tests; these cover the mapping and
    //! this module's own rules.
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    use super::*;

    fn header(json: &str) -> Result<JoseHeader, VerifyError> {
        JoseHeader::parse(&URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn accepts_an_access_token_header() {
        let parsed = header(r#"{"alg":"RS256","typ":"at+jwt","kid":"k1"}"#).unwrap();
        assert_eq!(parsed, JoseHeader { typ: "at+jwt".into(), kid: "k1".into() });
        assert!(header(r#"{"alg":"RS256","typ":"application/AT+JWT","kid":"k1"}"#).is_ok());
    }

    #[test]
    fn maps_the_shared_refusals() {
        assert_eq!(header(r#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#), Err(VerifyError::Algorithm));
        assert_eq!(
            header(r#"{"alg":"RS256","typ":"at+jwt","kid":"k1","crit":null}"#),
            Err(VerifyError::CriticalHeader)
        );
        assert_eq!(header(r#"["RS256","at+jwt","k1"]"#), Err(VerifyError::Malformed));
        assert_eq!(JoseHeader::parse("not base64!"), Err(VerifyError::Malformed));
    }

    #[test]
    fn refuses_refresh_tokens_and_untyped_tokens_after_crit() {
        let wrong = Err(VerifyError::Claims(ClaimError::WrongType));
        assert_eq!(header(r#"{"alg":"RS256","typ":"rt+jwt","kid":"k1"}"#), wrong);
        assert_eq!(header(r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#), wrong);
        assert_eq!(header(r#"{"alg":"RS256","kid":"k1"}"#), wrong);
        assert_eq!(header(r#"{"alg":"RS256","typ":"rt+jwt","crit":[]}"#), Err(VerifyError::CriticalHeader));
    }

    #[test]
    fn needs_a_reasonable_kid() {
        assert_eq!(header(r#"{"alg":"RS256","typ":"at+jwt"}"#), Err(VerifyError::UnknownKey));
        assert_eq!(header(r#"{"alg":"RS256","typ":"at+jwt","kid":""}"#), Err(VerifyError::UnknownKey));
        let long = format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"{}"}}"#, "k".repeat(300));
        assert_eq!(header(&long), Err(VerifyError::UnknownKey));
    }

    #[test]
    fn splits_past_the_shared_default_length() {
        // The verifier's configured limit applies, not the shared default.
        let long = format!("a.b.{}", "c".repeat(jose::MAX_TOKEN_LEN));
        assert!(split_compact(&long).is_ok());
        assert_eq!(split_compact("a..c").err(), Some(VerifyError::Malformed));
    }

    fn jws_with_header(json: &str) -> String {
        format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn prechecks_refuse_what_local_mode_refuses_without_a_key() {
        let ok = jws_with_header(r#"{"alg":"RS256","typ":"at+jwt","kid":"k1"}"#);
        assert_eq!(precheck_jws(&ok), Ok(Some("k1".into())));
        let no_kid = jws_with_header(r#"{"alg":"RS256","typ":"at+jwt"}"#);
        assert_eq!(precheck_jws(&no_kid), Ok(None), "no kid is not a reason to refuse in introspection mode");
        let cases = [
            (r#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#, VerifyError::Algorithm),
            (r#"{"alg":"none","typ":"at+jwt"}"#, VerifyError::Algorithm),
            (r#"{"alg":"RS256","typ":"at+jwt","crit":null}"#, VerifyError::CriticalHeader),
            (r#"{"alg":"RS256","typ":"rt+jwt","kid":"k1"}"#, VerifyError::Claims(ClaimError::WrongType)),
            (r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#, VerifyError::Claims(ClaimError::WrongType)),
            (r#"{"alg":"RS256","kid":"k1"}"#, VerifyError::Claims(ClaimError::WrongType)),
        ];
        for (json, expected) in cases {
            assert_eq!(precheck_jws(&jws_with_header(json)), Err(expected), "{json}");
        }
    }

    #[test]
    fn prechecks_leave_opaque_tokens_to_the_auth_server() {
        for opaque in ["opaque", "a.b.c", "a.b", "x.y.z.w", "YWJj.b.c", "e30.b"] {
            assert_eq!(precheck_jws(opaque), Ok(None), "{opaque}");
        }
        // Base64url of a JSON array, or of JSON that is not an object we can read.
        assert_eq!(precheck_jws(&jws_with_header(r#"["RS256","rt+jwt"]"#)), Ok(None));
        assert_eq!(precheck_jws(&jws_with_header(r#"{"alg":1}"#)), Ok(None));
    }
}
