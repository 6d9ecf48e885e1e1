//! Compact JWS with RS256 (RFC 7515 §7.1, RFC 7518 §3.3), written directly over
//! OpenSSL: the header is fixed per key, so the hot path is one JSON serialisation,
//! two base64 encodings and one RSA operation ([`rs256`](super::rs256)). Reading a
//! token's shape and header is `shared_claims::jose`'s, the same parser the resource
//! servers use.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use shared_claims::jose::{decode_segment, CompactJws, JoseError, JoseHeader};

use super::rs256::{Rs256Signer, Rs256Verifier};

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

impl From<JoseError> for JwsError {
    fn from(err: JoseError) -> Self {
        match err {
            JoseError::TooLong => JwsError::TooLong,
            JoseError::Malformed => JwsError::Malformed,
            JoseError::Algorithm => JwsError::Algorithm,
            JoseError::Critical => JwsError::Critical,
        }
    }
}

/// A token split into its parts by the shared parser (`shared_claims::jose`), header
/// checked (RS256, no `crit`), signature not yet checked.
pub struct UnverifiedJws<'a> {
    pub header: JoseHeader,
    jws: CompactJws<'a>,
}

impl<'a> UnverifiedJws<'a> {
    pub fn parse(token: &'a str) -> Result<Self, JwsError> {
        let jws = CompactJws::split(token)?;
        let header = jws.decode_header()?;
        Ok(Self { header, jws })
    }

    /// Checks the signature and returns the decoded payload.
    pub fn verify(&self, key: &Rs256Verifier) -> Result<Vec<u8>, JwsError> {
        let signature = decode_segment(self.jws.signature)?;
        if !key.verify(self.jws.signing_input.as_bytes(), &signature) {
            return Err(JwsError::Signature);
        }
        Ok(decode_segment(self.jws.payload)?)
    }
}

/// Signs `payload` (JSON bytes) under a pre-encoded header. The debug span times the
/// RSA work and carries no field: neither the payload nor the token is recorded.
#[tracing::instrument(level = "debug", name = "jws.sign_rs256", skip_all)]
pub fn sign_compact(header_b64: &str, payload: &[u8], key: &Rs256Signer) -> Result<String, JwsError> {
    let payload_len = base64::encoded_len(payload.len(), false).unwrap_or(0);
    let mut token = String::with_capacity(header_b64.len() + payload_len + 350);
    token.push_str(header_b64);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let signature = key.sign(token.as_bytes()).map_err(|e| JwsError::Signing(e.to_string()))?;
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
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use shared_claims::jose::MAX_TOKEN_LEN;

    fn keys() -> (Rs256Signer, Rs256Verifier) {
        let rsa = Rsa::generate(2048).unwrap();
        let public = PKey::public_key_from_pem(&rsa.public_key_to_pem().unwrap()).unwrap();
        (Rs256Signer::new(PKey::from_rsa(rsa).unwrap()), Rs256Verifier::new(public))
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
    fn maps_the_shared_parser_refusals() {
        // The cases themselves are `shared_claims::jose`'s tests; these check the mapping.
        let with_header = |json: &str| format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(json));
        let null_crit = with_header(r#"{"alg":"RS256","typ":"at+jwt","kid":"k1","crit":null}"#);
        assert_eq!(UnverifiedJws::parse(&null_crit).err(), Some(JwsError::Critical));
        assert_eq!(UnverifiedJws::parse(&with_header(r#"{"alg":"none"}"#)).err(), Some(JwsError::Algorithm));
        assert_eq!(UnverifiedJws::parse(&with_header(r#"["RS256","k1"]"#)).err(), Some(JwsError::Malformed));
        assert_eq!(UnverifiedJws::parse("a..c").err(), Some(JwsError::Malformed));
        assert_eq!(UnverifiedJws::parse(&"a".repeat(MAX_TOKEN_LEN + 1)).err(), Some(JwsError::TooLong));
    }

    #[test]
    fn an_empty_or_over_long_kid_names_no_key() {
        let with_kid = |kid: &str| format!("{}.e30.c2ln", encode_header("at+jwt", kid));
        assert_eq!(UnverifiedJws::parse(&with_kid("")).unwrap().header.kid, None);
        assert_eq!(UnverifiedJws::parse(&with_kid(&"k".repeat(300))).unwrap().header.kid, None);
    }
}
