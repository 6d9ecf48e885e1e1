//! Compact JWS with RS256 (RFC 7515 §7.1, RFC 7518 §3.3), written directly over
//! OpenSSL: the header is fixed per key, so the hot path is one JSON serialisation,
//! two base64 encodings and one RSA operation.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::sign::{Signer, Verifier};
use serde::de::{Deserializer, IgnoredAny};
use serde::Deserialize;

/// Longest token we are willing to parse; ours are well under 2 KiB.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    #[error("token is not a well-formed compact JWS")]
    Malformed,
    #[error("token is too long")]
    TooLong,
    #[error("token algorithm is not RS256")]
    Algorithm,
    #[error("token names an unknown key")]
    UnknownKey,
    #[error("token has a critical header extension we do not understand")]
    Critical,
    #[error("token signature is invalid")]
    Signature,
    #[error("signing failed: {0}")]
    Signing(String),
}

/// The JOSE header fields we act on. `jku`, `jwk`, `x5u`, `x5c` are never read: trust
/// comes only from our own key set (RFC 8725 §3.10).
#[derive(Debug, Deserialize)]
pub struct JoseHeader {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
    /// Whether a `crit` member is present: any value, `null` included, is refused.
    #[serde(default, deserialize_with = "member_present")]
    pub crit: bool,
}

/// `true` for a member that is present, whatever its value; with `#[serde(default)]`
/// an absent member is `false`.
fn member_present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(deserializer)?;
    Ok(true)
}

/// Whether the first byte after JSON whitespace (RFC 8259 §2) is `{`.
fn is_json_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) == Some(&b'{')
}

/// A token split into its parts, header decoded, signature not yet checked.
pub struct UnverifiedJws<'a> {
    pub header: JoseHeader,
    signing_input: &'a str,
    payload_b64: &'a str,
    signature_b64: &'a str,
}

impl<'a> UnverifiedJws<'a> {
    pub fn parse(token: &'a str) -> Result<Self, JwsError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(JwsError::TooLong);
        }
        let (signing_input, signature_b64) = token.rsplit_once('.').ok_or(JwsError::Malformed)?;
        let (header_b64, payload_b64) = signing_input.split_once('.').ok_or(JwsError::Malformed)?;
        if payload_b64.contains('.') {
            return Err(JwsError::Malformed);
        }
        let header_bytes = URL_SAFE_NO_PAD.decode(header_b64).map_err(|_| JwsError::Malformed)?;
        // RFC 7515 §5.2: the header is a JSON object; a derived struct would also read
        // a JSON array of its members in order.
        if !is_json_object(&header_bytes) {
            return Err(JwsError::Malformed);
        }
        let header: JoseHeader = serde_json::from_slice(&header_bytes).map_err(|_| JwsError::Malformed)?;
        if header.alg != "RS256" {
            return Err(JwsError::Algorithm);
        }
        // RFC 7515 §4.1.11: an extension we do not understand must be refused.
        if header.crit {
            return Err(JwsError::Critical);
        }
        Ok(Self { header, signing_input, payload_b64, signature_b64 })
    }

    /// Checks the signature and returns the decoded payload.
    pub fn verify(&self, key: &PKey<Public>) -> Result<Vec<u8>, JwsError> {
        let signature = URL_SAFE_NO_PAD.decode(self.signature_b64).map_err(|_| JwsError::Malformed)?;
        let mut verifier = Verifier::new(MessageDigest::sha256(), key).map_err(|_| JwsError::Signature)?;
        let valid = verifier.verify_oneshot(&signature, self.signing_input.as_bytes()).unwrap_or(false);
        if !valid {
            return Err(JwsError::Signature);
        }
        URL_SAFE_NO_PAD.decode(self.payload_b64).map_err(|_| JwsError::Malformed)
    }
}

/// Signs `payload` (JSON bytes) under a pre-encoded header.
pub fn sign_compact(header_b64: &str, payload: &[u8], key: &PKey<Private>) -> Result<String, JwsError> {
    let payload_len = base64::encoded_len(payload.len(), false).unwrap_or(0);
    let mut token = String::with_capacity(header_b64.len() + payload_len + 350);
    token.push_str(header_b64);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let mut signer = Signer::new(MessageDigest::sha256(), key).map_err(|e| JwsError::Signing(e.to_string()))?;
    let signature = signer.sign_oneshot_to_vec(token.as_bytes()).map_err(|e| JwsError::Signing(e.to_string()))?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// The base64url header `{"alg":"RS256","typ":<typ>,"kid":<kid>}`.
pub fn encode_header(typ: &str, kid: &str) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": typ, "kid": kid});
    URL_SAFE_NO_PAD.encode(header.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::rsa::Rsa;

    fn keys() -> (PKey<Private>, PKey<Public>) {
        let rsa = Rsa::generate(2048).unwrap();
        let public = PKey::public_key_from_pem(&rsa.public_key_to_pem().unwrap()).unwrap();
        (PKey::from_rsa(rsa).unwrap(), public)
    }

    #[test]
    fn signs_and_verifies() {
        let (private, public) = keys();
        let token = sign_compact(&encode_header("at+jwt", "k1"), br#"{"sub":"a"}"#, &private).unwrap();
        let parsed = UnverifiedJws::parse(&token).unwrap();
        assert_eq!(parsed.header.kid.as_deref(), Some("k1"));
        assert_eq!(parsed.header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(parsed.verify(&public).unwrap(), br#"{"sub":"a"}"#);
    }

    #[test]
    fn refuses_a_flipped_byte_and_a_foreign_key() {
        let (private, public) = keys();
        let (_, other_public) = keys();
        let token = sign_compact(&encode_header("at+jwt", "k1"), b"{}", &private).unwrap();
        assert_eq!(UnverifiedJws::parse(&token).unwrap().verify(&other_public).unwrap_err(), JwsError::Signature);
        let mut bytes = token.into_bytes();
        let middle = bytes.len() - 10;
        bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert!(UnverifiedJws::parse(&flipped).unwrap().verify(&public).is_err());
    }

    #[test]
    fn refuses_a_null_crit_and_headers_that_are_not_objects() {
        // Found by fuzzing against the resource server's header checks, which refuse
        // both: `"crit":null` read as no `crit`, and a JSON array was read as the
        // header's members in order.
        let null_crit =
            format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"at+jwt","kid":"k1","crit":null}"#));
        assert_eq!(UnverifiedJws::parse(&null_crit).err(), Some(JwsError::Critical));
        let array = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(r#"["RS256","k1","at+jwt"]"#));
        assert_eq!(UnverifiedJws::parse(&array).err(), Some(JwsError::Malformed));
        let spaced = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(" \r\n\t{\"alg\":\"RS256\"}"));
        assert!(UnverifiedJws::parse(&spaced).is_ok());
    }

    #[test]
    fn refuses_other_algorithms_crit_and_garbage() {
        let none = format!("{}.e30.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
        assert_eq!(UnverifiedJws::parse(&none).err(), Some(JwsError::Algorithm));
        let hs = format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#));
        assert_eq!(UnverifiedJws::parse(&hs).err(), Some(JwsError::Algorithm));
        let crit = format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","crit":["exp"]}"#));
        assert_eq!(UnverifiedJws::parse(&crit).err(), Some(JwsError::Critical));
        assert_eq!(UnverifiedJws::parse("a.b").err(), Some(JwsError::Malformed));
        assert_eq!(UnverifiedJws::parse("a.b.c.d").err(), Some(JwsError::Malformed));
        assert_eq!(UnverifiedJws::parse(&"a".repeat(MAX_TOKEN_LEN + 1)).err(), Some(JwsError::TooLong));
    }
}
