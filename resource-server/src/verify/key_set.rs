//! The published verification keys (RFC 7517 JWK Set), parsed once into ready-to-use
//! RS256 verifiers indexed by `kid`.

use std::collections::HashMap;
use std::sync::Arc;

use josekit::jwk::Jwk;
use josekit::jws::alg::rsassa::RsassaJwsVerifier;
use josekit::jws::{JwsVerifier, RS256};
use serde::Deserialize;

use super::jose_header::ACCEPTED_ALG;

/// Most keys we keep from one JWKS: a handful during rotation is normal; thousands
/// would be an attack on our memory. A JWK carries no rotation state, so the order
/// of publication is the signal of which keys matter: the first ones are kept. Our
/// auth server lists the active key first, then the next key, then retired keys,
/// most recently retired first (and publishes at most 16).
const MAX_KEYS: usize = 64;

/// Why a JWK Set could not be used. The previous key set stays in use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    #[error("the JWK Set is not valid JSON of the RFC 7517 shape")]
    NotAJwkSet,
    #[error("the JWK Set holds no usable RS256 signing key")]
    NoUsableKey,
}

/// One RSA public key that may verify RS256 signatures.
#[derive(Debug)]
pub struct VerificationKey {
    verifier: RsassaJwsVerifier,
}

impl VerificationKey {
    /// Verifies an RS256 signature over `signing_input` (RFC 7515 §5.2).
    pub fn verify(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        self.verifier.verify(signing_input, signature).is_ok()
    }
}

/// The keys a valid token may be signed with, by `kid`.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashMap<String, Arc<VerificationKey>>,
}

#[derive(Deserialize)]
struct JwkSetDocument {
    keys: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl KeySet {
    /// Parses a JWK Set document, keeping at most the first 64 usable keys in the
    /// order published. Keys we cannot use (not RSA, another `alg` or `use`,
    /// no `kid`, shorter than 2048 bits, duplicated `kid`) are skipped, not fatal: a
    /// set may legitimately hold keys for other purposes.
    pub fn from_jwks_json(document: &[u8]) -> Result<Self, KeySetError> {
        let document: JwkSetDocument = serde_json::from_slice(document).map_err(|_| KeySetError::NotAJwkSet)?;
        let mut keys = HashMap::new();
        let mut duplicated = Vec::new();
        for map in document.keys {
            if keys.len() >= MAX_KEYS {
                tracing::warn!(max = MAX_KEYS, "JWK Set has too many keys; ignoring the rest");
                break;
            }
            let Some((kid, key)) = usable_key(map) else {
                continue;
            };
            if keys.insert(kid.clone(), Arc::new(key)).is_some() {
                duplicated.push(kid);
            }
        }
        // Two keys under one `kid` make the choice ambiguous: trust neither.
        for kid in duplicated {
            tracing::warn!(%kid, "JWK Set repeats a kid; ignoring it");
            keys.remove(&kid);
        }
        if keys.is_empty() {
            return Err(KeySetError::NoUsableKey);
        }
        Ok(Self { keys })
    }

    pub fn get(&self, kid: &str) -> Option<&Arc<VerificationKey>> {
        self.keys.get(kid)
    }

    pub fn contains(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }
}

fn usable_key(map: serde_json::Map<String, serde_json::Value>) -> Option<(String, VerificationKey)> {
    let kid = map.get("kid")?.as_str().filter(|kid| !kid.is_empty())?.to_owned();
    // `alg` is optional in a JWK (RFC 7517 §4.4); when present it must be ours.
    if map.get("alg").is_some_and(|alg| alg.as_str() != Some(ACCEPTED_ALG)) {
        return None;
    }
    let jwk = Jwk::from_map(map).ok()?;
    // josekit checks kty, use, key_ops, alg and the 2048-bit minimum, and builds the
    // public key from `n` and `e` only, so private members could never be used.
    match RS256.verifier_from_jwk(&jwk) {
        Ok(verifier) => Some((kid, VerificationKey { verifier })),
        Err(err) => {
            tracing::debug!(%kid, error = %err, "skipping an unusable JWK");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::TestKey;

    #[test]
    fn keeps_only_usable_rs256_keys() {
        let good = TestKey::shared();
        let mut other_alg = good.public_jwk();
        other_alg.insert("alg".into(), "RS512".into());
        other_alg.insert("kid".into(), "other-alg".into());
        let mut enc = good.public_jwk();
        enc.insert("use".into(), "enc".into());
        enc.insert("kid".into(), "enc".into());
        let mut no_kid = good.public_jwk();
        no_kid.remove("kid");
        let oct = serde_json::json!({"kty":"oct","kid":"hmac","k":"c2VjcmV0"});
        let small = TestKey::small_rsa_jwk("small");
        let document = serde_json::json!({"keys":[good.public_jwk(), other_alg, enc, no_kid, oct, small]});
        let set = KeySet::from_jwks_json(document.to_string().as_bytes()).unwrap();
        assert_eq!(set.kids().collect::<Vec<_>>(), [good.kid()]);
    }

    #[test]
    fn a_repeated_kid_is_trusted_for_neither_key() {
        let a = TestKey::shared();
        let b = TestKey::other();
        let mut b_as_a = b.public_jwk();
        b_as_a.insert("kid".into(), a.kid().into());
        let document = serde_json::json!({"keys":[a.public_jwk(), b_as_a, b.public_jwk()]});
        let set = KeySet::from_jwks_json(document.to_string().as_bytes()).unwrap();
        assert!(!set.contains(a.kid()));
        assert_eq!(set.kids().collect::<Vec<_>>(), [b.kid()]);
    }

    #[test]
    fn a_capped_set_keeps_the_first_keys_in_the_order_published() {
        // A JWK carries no state: the publisher's order says which keys matter.
        let jwks: Vec<_> = (0..MAX_KEYS + 6)
            .map(|i| {
                let mut jwk = TestKey::shared().public_jwk();
                jwk.insert("kid".into(), format!("k{i:02}").into());
                jwk
            })
            .collect();
        let document = serde_json::json!({ "keys": jwks });
        let set = KeySet::from_jwks_json(document.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), MAX_KEYS);
        assert!(set.contains("k00") && set.contains(&format!("k{:02}", MAX_KEYS - 1)));
        assert!(!set.contains(&format!("k{MAX_KEYS:02}")));
    }

    #[test]
    fn refuses_documents_without_usable_keys() {
        assert!(matches!(KeySet::from_jwks_json(b"{}"), Err(KeySetError::NotAJwkSet)));
        assert!(matches!(KeySet::from_jwks_json(b"{\"keys\":[]}"), Err(KeySetError::NoUsableKey)));
        assert!(matches!(KeySet::from_jwks_json(b"nope"), Err(KeySetError::NotAJwkSet)));
    }
}
