//! Private signing keys at rest: each PEM is stored as a compact JWE (RFC 7516)
//! with `alg: dir` and `enc: A256GCM` under the 32-byte `AUTH_KEY_ENCRYPTION_KEY`
//! (the KEK). Anyone who reads Redis (a dump, a replica, a backup) sees ciphertext.
//!
//! The JWE header's `kid` is a fingerprint of the KEK, so a record written under
//! another KEK is recognised as such (a clear error instead of a bare decryption
//! failure) and a later KEK rotation can pick the right key by `kid`.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jwe::{Dir, JweHeader};

use crate::store::{StoreError, StoreResult};

const ENC: &str = "A256GCM";

/// Shown whenever stored keys cannot be opened with the configured KEK.
const WRONG_KEK: &str = "signing keys were encrypted under a different AUTH_KEY_ENCRYPTION_KEY";

/// The key-encryption key. Its bytes never leave this type: `Debug` prints only
/// the fingerprint, and no error message carries key material.
pub struct KeyEncryptionKey {
    bytes: [u8; 32],
    kid: String,
}

impl KeyEncryptionKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        let kid = fingerprint(&bytes);
        Self { bytes, kid }
    }

    /// Parses `AUTH_KEY_ENCRYPTION_KEY`: 32 bytes, base64url (padding tolerated).
    /// The error says what is wrong without echoing the value.
    pub fn from_base64url(text: &str) -> StoreResult<Self> {
        let text = text.trim().trim_end_matches('=');
        let decoded = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| StoreError::Crypto("AUTH_KEY_ENCRYPTION_KEY is not valid base64url".into()))?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|bytes: Vec<u8>| {
            StoreError::Crypto(format!("AUTH_KEY_ENCRYPTION_KEY must decode to 32 bytes, not {}", bytes.len()))
        })?;
        Ok(Self::new(bytes))
    }

    /// The fingerprint written as the JWE `kid`: safe to log.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Encrypts one private key PEM into a compact JWE.
    pub(super) fn encrypt(&self, plaintext: &str) -> StoreResult<String> {
        let mut header = JweHeader::new();
        header.set_content_encryption(ENC);
        header.set_key_id(self.kid.as_str());
        let encrypter = Dir
            .encrypter_from_bytes(self.bytes)
            .map_err(|_| StoreError::Crypto("cannot set up the key encryption".into()))?;
        josekit::jwe::serialize_compact(plaintext.as_bytes(), &header, &encrypter)
            .map_err(|_| StoreError::Crypto("cannot encrypt a signing key".into()))
    }

    /// Decrypts a compact JWE made by [`Self::encrypt`]. A `kid` other than ours, or
    /// a failed authentication tag, means another KEK (or a tampered record).
    pub(super) fn decrypt(&self, jwe: &str) -> StoreResult<String> {
        match header_kid(jwe) {
            Some(kid) if kid != self.kid => {
                return Err(StoreError::Crypto(format!(
                    "{WRONG_KEK} (stored under key id {kid}, configured key id {})",
                    self.kid
                )));
            }
            _ => {}
        }
        let decrypter = Dir
            .decrypter_from_bytes(self.bytes)
            .map_err(|_| StoreError::Crypto("cannot set up the key decryption".into()))?;
        let (plaintext, header) = josekit::jwe::deserialize_compact(jwe, &decrypter)
            .map_err(|_| StoreError::Crypto(format!("{WRONG_KEK} (or the stored key is damaged)")))?;
        if header.content_encryption() != Some(ENC) {
            return Err(StoreError::Crypto(format!("stored signing key is not {ENC}")));
        }
        String::from_utf8(plaintext).map_err(|_| StoreError::Corrupt("decrypted signing key is not UTF-8".into()))
    }
}

impl From<[u8; 32]> for KeyEncryptionKey {
    fn from(bytes: [u8; 32]) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyEncryptionKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// A domain-separated SHA-256 of the KEK, truncated to 96 bits: identifies the key
/// without revealing anything usable about it.
fn fingerprint(bytes: &[u8; 32]) -> String {
    let mut input = b"auth-server key-encryption-key v1\0".to_vec();
    input.extend_from_slice(bytes);
    let digest = openssl::sha::sha256(&input);
    format!("kek-{}", URL_SAFE_NO_PAD.encode(&digest[..12]))
}

/// The `kid` of a compact JWE's protected header, read before decryption so the
/// error can tell "another KEK" from "damaged".
fn header_kid(jwe: &str) -> Option<String> {
    let header = jwe.split('.').next()?;
    let json = URL_SAFE_NO_PAD.decode(header).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&json).ok()?;
    Some(value.get("kid")?.as_str()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

    #[test]
    fn round_trip_is_a_dir_a256gcm_jwe_with_the_kek_fingerprint() {
        let kek = KeyEncryptionKey::new([7; 32]);
        let jwe = kek.encrypt(PEM).expect("encrypts");
        assert_eq!(jwe.split('.').count(), 5, "compact serialization");
        assert!(!jwe.contains("PRIVATE KEY"));
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwe.split('.').next().expect("header")).expect("base64url"))
                .expect("json header");
        assert_eq!(header["alg"], "dir");
        assert_eq!(header["enc"], "A256GCM");
        assert_eq!(header["kid"], kek.kid());
        assert_eq!(kek.decrypt(&jwe).expect("decrypts"), PEM);
        // A fresh IV each time.
        assert_ne!(kek.encrypt(PEM).expect("encrypts"), jwe);
    }

    #[test]
    fn another_kek_is_a_clear_error_without_key_material() {
        let jwe = KeyEncryptionKey::new([1; 32]).encrypt(PEM).expect("encrypts");
        let other = KeyEncryptionKey::new([2; 32]);
        let err = other.decrypt(&jwe).expect_err("wrong key");
        let message = err.to_string();
        assert!(matches!(err, StoreError::Crypto(_)));
        assert!(message.contains(WRONG_KEK), "{message}");
        assert!(!message.contains("PRIVATE KEY"));
    }

    #[test]
    fn a_tampered_record_fails_authentication() {
        let kek = KeyEncryptionKey::new([3; 32]);
        let jwe = kek.encrypt(PEM).expect("encrypts");
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        let flipped = if parts[3].starts_with('A') { "B" } else { "A" };
        parts[3].replace_range(0..1, flipped);
        let err = kek.decrypt(&parts.join(".")).expect_err("tampered");
        assert!(matches!(err, StoreError::Crypto(_)));
    }

    #[test]
    fn fingerprints_differ_per_key_and_hide_it() {
        let a = KeyEncryptionKey::new([1; 32]);
        let b = KeyEncryptionKey::new([2; 32]);
        assert_ne!(a.kid(), b.kid());
        assert_eq!(a.kid(), KeyEncryptionKey::new([1; 32]).kid());
        assert!(!format!("{a:?}").contains(&URL_SAFE_NO_PAD.encode([1u8; 32])));
    }

    #[test]
    fn parses_base64url_and_rejects_bad_values_without_echoing_them() {
        let text = URL_SAFE_NO_PAD.encode([9u8; 32]);
        let kek = KeyEncryptionKey::from_base64url(&text).expect("valid");
        assert_eq!(kek.kid(), KeyEncryptionKey::new([9; 32]).kid());
        assert!(KeyEncryptionKey::from_base64url(&format!("{text}=")).is_ok());

        let short = URL_SAFE_NO_PAD.encode([9u8; 16]);
        let err = KeyEncryptionKey::from_base64url(&short).expect_err("16 bytes");
        assert!(err.to_string().contains("32 bytes, not 16"));
        assert!(!err.to_string().contains(&short));
        assert!(KeyEncryptionKey::from_base64url("not base64 !").is_err());
    }
}
