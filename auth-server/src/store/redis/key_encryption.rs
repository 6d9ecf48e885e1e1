//! Private signing keys at rest: each PEM is stored as a compact JWE (RFC 7516)
//! with `alg: dir` and `enc: A256GCM` under the 32-byte `AUTH_KEY_ENCRYPTION_KEY`
//! (the KEK). Anyone who reads Redis (a dump, a replica, a backup) sees ciphertext.
//!
//! The JWE header's `kid` is a fingerprint of the KEK, so a record written under
//! another KEK is recognised as such (a clear error instead of a bare decryption
//! failure), and a KEK change picks the right key by `kid`.
//!
//! Changing the KEK without losing the signing keys:
//!
//! 1. set `AUTH_KEY_ENCRYPTION_KEY` to the new key and
//!    `AUTH_KEY_ENCRYPTION_KEY_PREVIOUS` to the old one, and restart every replica;
//!    the first read of the key set opens the records still under the old KEK
//!    ([`KeyEncryptionKey::with_previous`], [`Opened::under_previous`]) and saves
//!    them again under the new one (compare-and-set, `signing_keys.rs`);
//! 2. once every replica runs with the new key (`GET /admin/keys` works, and the
//!    log said "re-encrypted"), remove `AUTH_KEY_ENCRYPTION_KEY_PREVIOUS` and restart.
//!
//! A replica still on the old KEK alone cannot read the re-encrypted set: it keeps
//! signing with the set it holds (its reloads fail and are logged) until restarted,
//! so step 1 is a prompt rolling restart.

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
    /// The KEK being replaced, accepted for reading only.
    previous: Option<Box<KeyEncryptionKey>>,
}

/// A decrypted private key, and whether it was still under the previous KEK (so
/// the store re-saves it under the current one).
pub(super) struct Opened {
    pub plaintext: String,
    pub under_previous: bool,
}

impl KeyEncryptionKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        let kid = fingerprint(&bytes);
        Self { bytes, kid, previous: None }
    }

    /// Also accepts records encrypted under `previous` (`AUTH_KEY_ENCRYPTION_KEY_PREVIOUS`)
    /// when reading; writing always uses this key. A `previous` equal to this key is
    /// ignored.
    pub fn with_previous(self, previous: KeyEncryptionKey) -> Self {
        let previous = (previous.kid != self.kid).then(|| Box::new(KeyEncryptionKey::new(previous.bytes)));
        Self { previous, ..self }
    }

    /// The previous KEK's fingerprint, if one is configured: safe to log.
    pub fn previous_kid(&self) -> Option<&str> {
        self.previous.as_deref().map(KeyEncryptionKey::kid)
    }

    /// Parses `AUTH_KEY_ENCRYPTION_KEY`: 32 bytes, base64url (padding tolerated).
    /// The error says what is wrong without echoing the value.
    pub fn from_base64url(text: &str) -> StoreResult<Self> {
        let text = text.trim().trim_end_matches('=');
        let decoded = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| StoreError::Crypto("AUTH_KEY_ENCRYPTION_KEY is not valid base64url".into()))?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|bytes: Vec<u8>| {
            StoreError::Crypto(format!("AUTH_KEY_ENCRYPTION_KEY must decode to 32 bytes, not {}", bytes.len()).into())
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

    /// Decrypts a compact JWE made by [`Self::encrypt`] (under this KEK or the
    /// previous one).
    #[cfg(test)]
    pub(super) fn decrypt(&self, jwe: &str) -> StoreResult<String> {
        self.open(jwe).map(|opened| opened.plaintext)
    }

    /// Decrypts a compact JWE under this KEK or, when its `kid` says so, the previous
    /// one. A `kid` of neither, or a failed authentication tag, means another KEK (or
    /// a tampered record); the error names fingerprints only.
    pub(super) fn open(&self, jwe: &str) -> StoreResult<Opened> {
        let previous = self.previous.as_deref();
        match header_kid(jwe) {
            Some(kid) if kid == self.kid => {
                self.decrypt_exact(jwe).map(|plaintext| Opened { plaintext, under_previous: false })
            }
            Some(kid) => match previous.filter(|p| p.kid == kid) {
                Some(previous) => {
                    previous.decrypt_exact(jwe).map(|plaintext| Opened { plaintext, under_previous: true })
                }
                None => Err(StoreError::Crypto(
                    format!(
                        "{WRONG_KEK} (stored under key id {kid}, configured key id {}{})",
                        self.kid,
                        previous.map(|p| format!(", previous key id {}", p.kid)).unwrap_or_default()
                    )
                    .into(),
                )),
            },
            // No `kid` (not written by us, or damaged): whichever key opens it.
            None => {
                self.decrypt_exact(jwe).map(|plaintext| Opened { plaintext, under_previous: false }).or_else(|err| {
                    match previous {
                        Some(previous) => {
                            previous.decrypt_exact(jwe).map(|plaintext| Opened { plaintext, under_previous: true })
                        }
                        None => Err(err),
                    }
                })
            }
        }
    }

    /// Decrypts with this KEK's bytes, whatever the header's `kid`.
    fn decrypt_exact(&self, jwe: &str) -> StoreResult<String> {
        let decrypter = Dir
            .decrypter_from_bytes(self.bytes)
            .map_err(|_| StoreError::Crypto("cannot set up the key decryption".into()))?;
        let (plaintext, header) = josekit::jwe::deserialize_compact(jwe, &decrypter)
            .map_err(|_| StoreError::Crypto(format!("{WRONG_KEK} (or the stored key is damaged)").into()))?;
        if header.content_encryption() != Some(ENC) {
            return Err(StoreError::Crypto(format!("stored signing key is not {ENC}").into()));
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
        f.debug_struct("KeyEncryptionKey")
            .field("kid", &self.kid)
            .field("previous_kid", &self.previous_kid())
            .finish_non_exhaustive()
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
        let message = shared_claims::error_chain(&err);
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
    fn a_previous_kek_opens_old_records_and_says_so() {
        let old = KeyEncryptionKey::new([4; 32]);
        let under_old = old.encrypt(PEM).expect("encrypts");
        let new = KeyEncryptionKey::new([5; 32]).with_previous(KeyEncryptionKey::new([4; 32]));
        assert_eq!(new.previous_kid(), Some(old.kid()));

        let opened = new.open(&under_old).expect("the previous KEK opens it");
        assert!(opened.plaintext == PEM && opened.under_previous);
        // Written again, it is under the new KEK, which alone now suffices.
        let under_new = new.encrypt(&opened.plaintext).expect("encrypts");
        let opened = new.open(&under_new).expect("opens");
        assert!(opened.plaintext == PEM && !opened.under_previous);
        assert_eq!(KeyEncryptionKey::new([5; 32]).decrypt(&under_new).expect("new KEK alone"), PEM);
        assert!(old.decrypt(&under_new).is_err(), "the old KEK no longer opens it");
    }

    #[test]
    fn a_third_kek_is_refused_naming_fingerprints_only() {
        let stranger = KeyEncryptionKey::new([6; 32]).encrypt(PEM).expect("encrypts");
        let kek = KeyEncryptionKey::new([5; 32]).with_previous(KeyEncryptionKey::new([4; 32]));
        let message = kek.open(&stranger).err().map(|e| shared_claims::error_chain(&e)).unwrap_or_default();
        assert!(message.contains(WRONG_KEK), "{message}");
        assert!(message.contains(KeyEncryptionKey::new([4; 32]).kid()), "{message}");
        assert!(!message.contains(&URL_SAFE_NO_PAD.encode([5u8; 32])));
        assert!(!format!("{kek:?}").contains(&URL_SAFE_NO_PAD.encode([4u8; 32])));
    }

    #[test]
    fn a_previous_equal_to_the_current_kek_is_ignored() {
        let kek = KeyEncryptionKey::new([5; 32]).with_previous(KeyEncryptionKey::new([5; 32]));
        assert_eq!(kek.previous_kid(), None);
    }

    #[test]
    fn parses_base64url_and_rejects_bad_values_without_echoing_them() {
        let text = URL_SAFE_NO_PAD.encode([9u8; 32]);
        let kek = KeyEncryptionKey::from_base64url(&text).expect("valid");
        assert_eq!(kek.kid(), KeyEncryptionKey::new([9; 32]).kid());
        assert!(KeyEncryptionKey::from_base64url(&format!("{text}=")).is_ok());

        let short = URL_SAFE_NO_PAD.encode([9u8; 16]);
        let err = KeyEncryptionKey::from_base64url(&short).expect_err("16 bytes");
        let message = shared_claims::error_chain(&err);
        assert!(message.contains("32 bytes, not 16"), "{message}");
        assert!(!message.contains(&short));
        assert!(KeyEncryptionKey::from_base64url("not base64 !").is_err());
    }
}
