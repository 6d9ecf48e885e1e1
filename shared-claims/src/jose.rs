//! The one parser of our tokens' outer shape, used by the auth server and the resource
//! servers alike so that both refuse exactly the same inputs: a compact JWS (RFC 7515
//! §7.1) split into its segments, and its JOSE header checked before any key is looked
//! up or any signature computed (RFC 8725 §3.1, §3.11).
//!
//! ```text
//! CompactJws::split         at most MAX_TOKEN_LEN bytes, exactly three non-empty segments
//!   └─ JoseHeader::decode   base64url → a JSON object → alg RS256 → no crit → typ, kid
//! decode_segment            strict base64url (payload, signature)
//! from_json_object          a JSON object into a struct, never a JSON array
//! ```
//!
//! Only `alg`, `typ`, `kid` and the presence of `crit` are read. `jku`, `jwk`, `x5u`
//! and `x5c` are never looked at: the only keys trusted are the issuer's own
//! (RFC 8725 §3.10). Signature verification is the caller's (it needs a crypto
//! library this crate does without); what `typ` a caller wants is its own rule too.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::{DeserializeOwned, Deserializer, IgnoredAny};
use serde::Deserialize;

/// The only algorithm our tokens are signed with. Compared exactly, never case-folded
/// (RFC 7515 §4.1.1).
pub const ACCEPTED_ALG: &str = "RS256";
/// Longest token [`CompactJws::split`] reads; ours are well under 2 KiB.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Longest `kid` worth looking up; the auth server's are far shorter.
pub const MAX_KID_LEN: usize = 256;

/// Why a token's outer shape was refused. Each party maps it to its own error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// Longer than the limit: refused before any parsing.
    #[error("token is too long")]
    TooLong,
    /// Not three non-empty segments, bad base64url, or not a JSON object of the
    /// expected members.
    #[error("token is not a well-formed compact JWS")]
    Malformed,
    /// `alg` absent or other than [`ACCEPTED_ALG`], `none` and HS256 included
    /// (RFC 8725 §3.1).
    #[error("token algorithm is not RS256")]
    Algorithm,
    /// A `crit` member, whatever its value: we understand no extension, so we must
    /// refuse (RFC 7515 §4.1.11).
    #[error("token has a critical header parameter")]
    Critical,
}

/// The three segments of a compact JWS, still base64url-encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactJws<'a> {
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
    /// `header.payload`: the bytes the signature covers (RFC 7515 §5.2).
    pub signing_input: &'a str,
}

impl<'a> CompactJws<'a> {
    /// Splits a token of at most [`MAX_TOKEN_LEN`] bytes.
    pub fn split(token: &'a str) -> Result<Self, JoseError> {
        Self::split_with_limit(token, MAX_TOKEN_LEN)
    }

    /// Splits a token of at most `max_len` bytes into exactly three segments, all
    /// non-empty (a JWT always has a payload). A five-part JWE is refused here.
    pub fn split_with_limit(token: &'a str, max_len: usize) -> Result<Self, JoseError> {
        if token.len() > max_len {
            return Err(JoseError::TooLong);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JoseError::Malformed);
        };
        if header.is_empty() || payload.is_empty() || signature.is_empty() {
            return Err(JoseError::Malformed);
        }
        let signing_input = &token[..header.len() + 1 + payload.len()];
        Ok(Self { header, payload, signature, signing_input })
    }

    /// The checked JOSE header: see [`JoseHeader::decode`].
    pub fn decode_header(&self) -> Result<JoseHeader, JoseError> {
        JoseHeader::decode(self.header)
    }
}

/// A JOSE header that passed the checks every party applies: `alg` is
/// [`ACCEPTED_ALG`] and there is no `crit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoseHeader {
    /// As sent; whether it is the right one is the caller's rule.
    pub typ: Option<String>,
    /// `None` when absent, empty or longer than [`MAX_KID_LEN`]: no key of ours is
    /// named so, and such a name is never looked up.
    pub kid: Option<String>,
}

/// The members read; every other one is ignored. serde refuses a duplicate of any of
/// these (RFC 7515 §4: a parser must reject duplicates or take the last; we reject).
#[derive(Deserialize)]
struct RawHeader {
    alg: Option<String>,
    typ: Option<String>,
    kid: Option<String>,
    /// Whether a `crit` member is present: any value, `null` included, is refused, so
    /// its type does not matter.
    #[serde(default, deserialize_with = "member_present")]
    crit: bool,
}

/// `true` for a member that is present, whatever its value; with `#[serde(default)]`
/// an absent member is `false`.
fn member_present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(deserializer)?;
    Ok(true)
}

impl JoseHeader {
    /// Decodes and checks a header segment, in the order that decides the error
    /// reported: shape, then `alg`, then `crit`.
    pub fn decode(segment: &str) -> Result<Self, JoseError> {
        let raw: RawHeader = from_json_object(&decode_segment(segment)?)?;
        if raw.alg.as_deref() != Some(ACCEPTED_ALG) {
            return Err(JoseError::Algorithm);
        }
        if raw.crit {
            return Err(JoseError::Critical);
        }
        let kid = raw.kid.filter(|kid| !kid.is_empty() && kid.len() <= MAX_KID_LEN);
        Ok(Self { typ: raw.typ, kid })
    }
}

/// Base64url without padding (RFC 7515 §2), strict: padding, stray characters and
/// non-zero trailing bits are all refused.
pub fn decode_segment(segment: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| JoseError::Malformed)
}

/// Reads a JSON object (a JOSE header, a JWT claims set) into `T`. The first
/// non-whitespace byte must be `{`: serde's derived structs would otherwise accept a
/// JSON array of the member values in order, which neither RFC 7515 §5.2 (the header
/// is a JSON object) nor RFC 7519 §7.2 (so are the claims) allows.
pub fn from_json_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JoseError> {
    if !is_json_object(bytes) {
        return Err(JoseError::Malformed);
    }
    serde_json::from_slice(bytes).map_err(|_| JoseError::Malformed)
}

/// Whether the first byte after JSON whitespace (RFC 8259 §2) is `{`.
fn is_json_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Result<JoseHeader, JoseError> {
        JoseHeader::decode(&URL_SAFE_NO_PAD.encode(json))
    }

    fn typed(typ: &str, kid: &str) -> JoseHeader {
        JoseHeader { typ: Some(typ.into()), kid: Some(kid.into()) }
    }

    #[test]
    fn splits_exactly_three_non_empty_segments() {
        let jws = CompactJws::split("a.b.c").unwrap();
        assert_eq!((jws.header, jws.payload, jws.signature, jws.signing_input), ("a", "b", "c", "a.b"));
        for bad in ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "a..c", "a.b.", ".b.c", "..", "a.b..c"] {
            assert_eq!(CompactJws::split(bad), Err(JoseError::Malformed), "{bad}");
        }
    }

    #[test]
    fn bounds_the_token_length() {
        let at_limit = format!("a.b.{}", "c".repeat(MAX_TOKEN_LEN - 4));
        assert!(CompactJws::split(&at_limit).is_ok());
        assert_eq!(CompactJws::split(&format!("{at_limit}c")), Err(JoseError::TooLong));
        assert_eq!(CompactJws::split(&"a".repeat(MAX_TOKEN_LEN + 1)), Err(JoseError::TooLong));
        assert_eq!(CompactJws::split_with_limit("a.b.c", 4), Err(JoseError::TooLong));
        assert!(CompactJws::split_with_limit(&format!("{at_limit}c"), usize::MAX).is_ok());
    }

    #[test]
    fn reads_typ_and_kid() {
        assert_eq!(header(r#"{"alg":"RS256","typ":"at+jwt","kid":"k1"}"#), Ok(typed("at+jwt", "k1")));
        assert_eq!(header(r#"{"alg":"RS256"}"#), Ok(JoseHeader { typ: None, kid: None }));
        assert_eq!(header(r#"{"alg":"RS256","typ":null,"kid":null}"#), Ok(JoseHeader { typ: None, kid: None }));
        let jws = CompactJws::split("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln").unwrap();
        assert_eq!(jws.decode_header().unwrap().kid.as_deref(), Some("k"));
    }

    #[test]
    fn refuses_every_other_algorithm() {
        for alg in [r#""none""#, r#""HS256""#, r#""rs256""#, r#""RS512""#, r#""PS256""#, "null"] {
            let json = format!(r#"{{"alg":{alg},"typ":"at+jwt","kid":"k1"}}"#);
            assert_eq!(header(&json), Err(JoseError::Algorithm), "{alg}");
        }
        assert_eq!(header(r#"{"typ":"at+jwt","kid":"k1"}"#), Err(JoseError::Algorithm));
        // Not a string: the header is not one we can read at all.
        assert_eq!(header(r#"{"alg":1}"#), Err(JoseError::Malformed));
    }

    #[test]
    fn refuses_crit_whatever_it_holds_after_the_algorithm() {
        for crit in [r#"["exp"]"#, "[]", r#""b64""#, "null", "{}", "false"] {
            let json = format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"k1","crit":{crit}}}"#);
            assert_eq!(header(&json), Err(JoseError::Critical), "{crit}");
        }
        assert_eq!(header(r#"{"alg":"HS256","crit":["exp"]}"#), Err(JoseError::Algorithm));
    }

    #[test]
    fn keeps_only_a_reasonable_kid() {
        assert_eq!(header(r#"{"alg":"RS256","kid":""}"#).unwrap().kid, None);
        let longest = "k".repeat(MAX_KID_LEN);
        let json = format!(r#"{{"alg":"RS256","kid":"{longest}"}}"#);
        assert_eq!(header(&json).unwrap().kid, Some(longest));
        let json = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, "k".repeat(MAX_KID_LEN + 1));
        assert_eq!(header(&json).unwrap().kid, None);
        assert_eq!(header(r#"{"alg":"RS256","kid":1}"#), Err(JoseError::Malformed));
    }

    #[test]
    fn key_carrying_members_are_ignored_not_trusted() {
        let json = r#"{"alg":"RS256","typ":"at+jwt","kid":"k1","jwk":{"kty":"RSA"},"jku":"http://evil","x5u":"x","x5c":["y"]}"#;
        assert_eq!(header(json), Ok(typed("at+jwt", "k1")));
    }

    #[test]
    fn refuses_bad_encodings_and_shapes() {
        assert_eq!(JoseHeader::decode("not base64!"), Err(JoseError::Malformed));
        let padded = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"at+jwt","kid":"k"}"#) + "=";
        assert_eq!(JoseHeader::decode(&padded), Err(JoseError::Malformed));
        assert_eq!(header(""), Err(JoseError::Malformed));
        assert_eq!(header("[]"), Err(JoseError::Malformed));
        // A derived struct would read these arrays as its members in order.
        assert_eq!(header(r#"["RS256","at+jwt","k1"]"#), Err(JoseError::Malformed));
        assert_eq!(header(r#" ["RS256","at+jwt","k1",null]"#), Err(JoseError::Malformed));
        assert_eq!(header("\"RS256\""), Err(JoseError::Malformed));
        assert_eq!(header("null"), Err(JoseError::Malformed));
        assert_eq!(header(r#"{"alg":"RS256"} trailing"#), Err(JoseError::Malformed));
        assert_eq!(header(" \r\n\t{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"k\"}"), Ok(typed("at+jwt", "k")));
        assert_eq!(header(r#"{"alg":"RS256","alg":"none","typ":"at+jwt","kid":"k"}"#), Err(JoseError::Malformed));
    }

    #[test]
    fn decodes_segments_strictly() {
        assert_eq!(decode_segment("c2ln"), Ok(b"sig".to_vec()));
        for bad in ["c2ln=", "c2l+", "c2l/", "c2l", "c2lo!"] {
            assert_eq!(decode_segment(bad), Err(JoseError::Malformed), "{bad}");
        }
    }

    #[test]
    fn reads_only_json_objects() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Pair {
            a: u8,
            b: u8,
        }
        assert_eq!(from_json_object::<Pair>(br#" {"a":1,"b":2}"#), Ok(Pair { a: 1, b: 2 }));
        assert_eq!(from_json_object::<Pair>(b"[1,2]"), Err(JoseError::Malformed));
        assert_eq!(from_json_object::<Pair>(br#"{"a":1}"#), Err(JoseError::Malformed));
    }
}
