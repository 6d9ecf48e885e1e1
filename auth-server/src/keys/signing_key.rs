//! One RSA signing key, parsed once, with everything derived from it precomputed:
//! its `kid`, its public JWK, the encoded JOSE headers it signs under, and its RS256
//! signer and verifier (their OpenSSL contexts set up once).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde::Serialize;
use shared_claims::{ACCESS_TOKEN_TYP, REFRESH_TOKEN_TYP};

use super::KeyError;
use crate::crypto::jws::{self, JwsError};
use crate::crypto::rs256::{Rs256Signer, Rs256Verifier};
use crate::store::{KeyState, SigningKeyRecord};

/// RFC 7518 §3.3 and RFC 8725 §3.5: RSA keys of at least 2048 bits.
const KEY_BITS: u32 = 2048;

pub struct SigningKey {
    pub kid: String,
    pub state: KeyState,
    signer: Rs256Signer,
    verifier: Rs256Verifier,
    access_header: String,
    refresh_header: String,
    jwk: serde_json::Value,
}

impl SigningKey {
    pub fn from_record(record: &SigningKeyRecord) -> Result<Self, KeyError> {
        let bad = |reason: String| KeyError::BadKey { kid: record.kid.clone(), reason };
        let rsa = Rsa::private_key_from_pem(record.private_pem.as_bytes()).map_err(|e| bad(e.to_string()))?;
        if rsa.size() * 8 < KEY_BITS {
            return Err(bad(format!("RSA keys must have at least {KEY_BITS} bits")));
        }
        let public_der = rsa.public_key_to_der().map_err(|e| bad(e.to_string()))?;
        let public = PKey::public_key_from_der(&public_der).map_err(|e| bad(e.to_string()))?;
        let n = URL_SAFE_NO_PAD.encode(rsa.n().to_vec());
        let e = URL_SAFE_NO_PAD.encode(rsa.e().to_vec());
        let kid = record.kid.clone();
        let jwk = serde_json::json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
        let private = PKey::from_rsa(rsa).map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            access_header: jws::encode_header(ACCESS_TOKEN_TYP, &kid),
            refresh_header: jws::encode_header(REFRESH_TOKEN_TYP, &kid),
            kid,
            state: record.state,
            signer: Rs256Signer::new(private),
            verifier: Rs256Verifier::new(public),
            jwk,
        })
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): stable, and derived from the
    /// public key alone, so every party computes the same `kid`.
    pub fn kid_for_pem(pem: &str) -> Result<String, KeyError> {
        let rsa = Rsa::private_key_from_pem(pem.as_bytes()).map_err(|e| KeyError::Generation(e.to_string()))?;
        let canonical = format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
            URL_SAFE_NO_PAD.encode(rsa.n().to_vec())
        );
        Ok(URL_SAFE_NO_PAD.encode(crate::crypto::sha256(canonical.as_bytes())))
    }

    pub fn sign_access_token(&self, claims: &impl Serialize) -> Result<String, JwsError> {
        self.sign(&self.access_header, claims)
    }

    pub fn sign_refresh_token(&self, claims: &impl Serialize) -> Result<String, JwsError> {
        self.sign(&self.refresh_header, claims)
    }

    fn sign(&self, header: &str, claims: &impl Serialize) -> Result<String, JwsError> {
        let payload = serde_json::to_vec(claims).map_err(|e| JwsError::Signing(e.to_string()))?;
        jws::sign_compact(header, &payload, &self.signer)
    }

    /// Verifies signatures of this key.
    pub fn verifier(&self) -> &Rs256Verifier {
        &self.verifier
    }

    /// The public JWK (RFC 7517 §4) as published.
    pub fn public_jwk(&self) -> &serde_json::Value {
        &self.jwk
    }
}

pub(super) fn generate_private_pem() -> Result<String, KeyError> {
    let rsa = Rsa::generate(KEY_BITS).map_err(|e| KeyError::Generation(e.to_string()))?;
    let private = PKey::from_rsa(rsa).map_err(|e| KeyError::Generation(e.to_string()))?;
    let pem = private.private_key_to_pem_pkcs8().map_err(|e| KeyError::Generation(e.to_string()))?;
    String::from_utf8(pem).map_err(|e| KeyError::Generation(e.to_string()))
}
