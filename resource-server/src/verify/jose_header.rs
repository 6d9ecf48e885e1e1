//! Splitting a compact JWS (RFC 7515 §7.1) and reading its JOSE header ourselves, so
//! that `alg`, `typ`, `kid` and `crit` are checked before any key is looked up or any
//! signature computed (RFC 8725 §3.1, §3.11).
//!
//! Only the fields we act on are read. `jku`, `x5u`, `jwk` and `x5c` are deliberately
//! never looked at: the only keys we trust are the published key set's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::{DeserializeOwned, Deserializer, IgnoredAny};
use serde::Deserialize;
use shared_claims::{is_access_token_typ, ClaimError};

use super::VerifyError;

/// The only algorithm we accept. Compared exactly, never case-folded (RFC 7515 §4.1.1).
pub const ACCEPTED_ALG: &str = "RS256";
/// Longest `kid` we look up; the auth server's are far shorter.
const MAX_KID_LEN: usize = 256;

/// The three segments of a compact JWS, still encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompactJws<'a> {
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
    /// `header.payload`: the bytes the signature covers (RFC 7515 §5.2).
    pub signing_input: &'a str,
}

impl<'a> CompactJws<'a> {
    /// Exactly three segments, all non-empty (a JWT always has a payload); a five-part
    /// JWE is refused here.
    pub fn split(token: &'a str) -> Result<Self, VerifyError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed);
        };
        if header.is_empty() || payload.is_empty() || signature.is_empty() {
            return Err(VerifyError::Malformed);
        }
        let signing_input = &token[..header.len() + 1 + payload.len()];
        Ok(Self { header, payload, signature, signing_input })
    }
}

/// The header fields that decide whether we even try to verify.
#[derive(Debug, Deserialize)]
struct RawHeader {
    alg: Option<String>,
    typ: Option<String>,
    kid: Option<String>,
    /// Whether a `crit` member is present: any value at all, `null` included, is
    /// refused, so its type does not matter.
    #[serde(default, deserialize_with = "member_present")]
    crit: bool,
}

/// `true` for a member that is present, whatever its value (`null` included); with
/// `#[serde(default)]`, an absent member is `false`.
fn member_present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(deserializer)?;
    Ok(true)
}

impl RawHeader {
    /// The checks that need no key (RFC 8725 §3.1, §3.11, RFC 7515 §4.1.11), in the
    /// order that decides the error reported: `alg`, then `crit`, then `typ`.
    /// Returns the `typ`.
    fn check_alg_crit_typ(&mut self) -> Result<String, VerifyError> {
        if self.alg.as_deref() != Some(ACCEPTED_ALG) {
            return Err(VerifyError::Algorithm);
        }
        if self.crit {
            return Err(VerifyError::CriticalHeader);
        }
        let typ = self.typ.take().ok_or(VerifyError::Claims(ClaimError::WrongType))?;
        if !is_access_token_typ(Some(&typ)) {
            return Err(VerifyError::Claims(ClaimError::WrongType));
        }
        Ok(typ)
    }
}

/// Reads a JSON object (a JOSE header, a JWT claims set) into `T`. The first
/// non-whitespace byte must be `{`: serde's derived structs would otherwise accept a
/// JSON array of the member values in order, which neither RFC 7515 §5.2 (the header
/// is a JSON object) nor RFC 7519 §7.2 (so are the claims) allows.
pub(crate) fn from_json_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, VerifyError> {
    if !is_json_object(bytes) {
        return Err(VerifyError::Malformed);
    }
    serde_json::from_slice(bytes).map_err(|_| VerifyError::Malformed)
}

/// Whether the first byte after JSON whitespace (RFC 8259 §2) is `{`.
fn is_json_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) == Some(&b'{')
}

/// A header that passed the checks: RS256, an access-token `typ`, a `kid`, no `crit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoseHeader {
    pub typ: String,
    pub kid: String,
}

impl JoseHeader {
    /// Decodes and checks the header segment. Order matters only for the error
    /// reported: all checks run before any crypto.
    pub fn parse(segment: &str) -> Result<Self, VerifyError> {
        let bytes = decode_segment(segment)?;
        // Duplicate member names are refused by serde for the fields above
        // (RFC 7515 §4: a parser must reject or take the last; we reject).
        let mut raw: RawHeader = from_json_object(&bytes)?;
        let typ = raw.check_alg_crit_typ()?;
        let kid = raw.kid.filter(|kid| is_reasonable_kid(kid)).ok_or(VerifyError::UnknownKey)?;
        Ok(Self { typ, kid })
    }
}

fn is_reasonable_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= MAX_KID_LEN
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
    let Ok(jws) = CompactJws::split(token) else { return Ok(None) };
    let Ok(bytes) = decode_segment(jws.header) else { return Ok(None) };
    let Ok(mut raw) = from_json_object::<RawHeader>(&bytes) else { return Ok(None) };
    raw.check_alg_crit_typ()?;
    Ok(raw.kid.filter(|kid| is_reasonable_kid(kid)))
}

/// Base64url without padding (RFC 7515 §2), strict: padding, stray characters and
/// non-zero trailing bits are all refused.
pub(crate) fn decode_segment(segment: &str) -> Result<Vec<u8>, VerifyError> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| VerifyError::Malformed)
}

#[cfg(test)]
mod tests {
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
    fn refuses_every_other_algorithm() {
        for alg in [r#""none""#, r#""HS256""#, r#""rs256""#, r#""RS512""#, r#""PS256""#, "null", "1"] {
            let json = format!(r#"{{"alg":{alg},"typ":"at+jwt","kid":"k1"}}"#);
            assert!(matches!(header(&json), Err(VerifyError::Algorithm | VerifyError::Malformed)), "{alg}");
        }
        assert_eq!(header(r#"{"typ":"at+jwt","kid":"k1"}"#), Err(VerifyError::Algorithm));
    }

    #[test]
    fn refuses_crit_whatever_it_holds() {
        for crit in [r#"["exp"]"#, "[]", r#""b64""#, "null", "{}", "false"] {
            let json = format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"k1","crit":{crit}}}"#);
            assert_eq!(header(&json), Err(VerifyError::CriticalHeader), "{crit}");
        }
    }

    #[test]
    fn refuses_refresh_tokens_and_untyped_tokens() {
        let wrong = Err(VerifyError::Claims(ClaimError::WrongType));
        assert_eq!(header(r#"{"alg":"RS256","typ":"rt+jwt","kid":"k1"}"#), wrong);
        assert_eq!(header(r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#), wrong);
        assert_eq!(header(r#"{"alg":"RS256","kid":"k1"}"#), wrong);
    }

    #[test]
    fn needs_a_reasonable_kid() {
        assert_eq!(header(r#"{"alg":"RS256","typ":"at+jwt"}"#), Err(VerifyError::UnknownKey));
        assert_eq!(header(r#"{"alg":"RS256","typ":"at+jwt","kid":""}"#), Err(VerifyError::UnknownKey));
        let long = format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"{}"}}"#, "k".repeat(300));
        assert_eq!(header(&long), Err(VerifyError::UnknownKey));
    }

    #[test]
    fn key_carrying_headers_are_ignored_not_trusted() {
        let json = r#"{"alg":"RS256","typ":"at+jwt","kid":"k1","jwk":{"kty":"RSA"},"jku":"http://evil","x5u":"x","x5c":["y"]}"#;
        assert_eq!(header(json).unwrap().kid, "k1");
    }

    #[test]
    fn refuses_bad_encodings_and_shapes() {
        assert_eq!(JoseHeader::parse("not base64!"), Err(VerifyError::Malformed));
        let padded = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"at+jwt","kid":"k"}"#) + "=";
        assert_eq!(JoseHeader::parse(&padded), Err(VerifyError::Malformed));
        assert_eq!(header("[]"), Err(VerifyError::Malformed));
        // A derived struct would read these arrays as its members in order.
        assert_eq!(header(r#"["RS256","at+jwt","k1"]"#), Err(VerifyError::Malformed));
        assert_eq!(header(r#" ["RS256","at+jwt","k1",null]"#), Err(VerifyError::Malformed));
        assert_eq!(header("\"RS256\""), Err(VerifyError::Malformed));
        assert!(header(" \r\n\t{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"k\"}").is_ok());
        assert_eq!(header(r#"{"alg":"RS256","alg":"none","typ":"at+jwt","kid":"k"}"#), Err(VerifyError::Malformed));
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

    #[test]
    fn splits_exactly_three_non_empty_segments() {
        let jws = CompactJws::split("a.b.c").unwrap();
        assert_eq!((jws.header, jws.payload, jws.signature, jws.signing_input), ("a", "b", "c", "a.b"));
        for bad in ["a.b", "a.b.c.d.e", "a..c", "a.b.", ".b.c", ""] {
            assert!(CompactJws::split(bad).is_err(), "{bad}");
        }
    }
}
