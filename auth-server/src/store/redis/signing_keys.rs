//! The signing key set in Redis: one hash `as:{keys}` with a `version` and the
//! `keys` as JSON, each private key replaced by its JWE. Saved by compare-and-set
//! (a Lua script), so of two replicas rotating at once exactly one wins.
//!
//! Reading re-encrypts: when some keys are still under the previous key-encryption
//! key (`AUTH_KEY_ENCRYPTION_KEY_PREVIOUS`, see `key_encryption.rs`), the set is saved
//! again under the current one by the same compare-and-set, so a KEK change loses
//! no key. The version moves on, which other replicas read as "reload".

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::key_encryption::KeyEncryptionKey;
use super::{from_json, keys, to_json, unavailable, RedisStore};
use crate::store::{KeyState, KeyStore, SigningKeyRecord, StoreError, StoreResult};

/// A signing key as stored: [`SigningKeyRecord`] with the PEM encrypted.
#[derive(Serialize, Deserialize)]
struct StoredSigningKey {
    kid: String,
    state: KeyState,
    /// Compact JWE (`dir`, `A256GCM`) of the PKCS#8 PEM.
    private_key_jwe: String,
    created_at: i64,
    activated_at: Option<i64>,
    retired_at: Option<i64>,
    #[serde(default)]
    signed_at: Option<i64>,
}

#[async_trait]
impl KeyStore for RedisStore {
    async fn signing_keys(&self) -> StoreResult<(u64, Vec<SigningKeyRecord>)> {
        let (version, stored): (Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(keys::SIGNING_KEYS)
            .arg("version")
            .arg("keys")
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        let version = match version {
            None => 0,
            Some(v) => v.parse().map_err(|_| StoreError::Corrupt("signing key version is not a number".into()))?,
        };
        let stored: Vec<StoredSigningKey> = from_json("signing keys", stored)?.unwrap_or_default();
        let kek = &self.inner.key_encryption_key;
        let (records, stale) = open_all(kek, stored)?;
        if stale == 0 {
            return Ok((version, records));
        }
        // Lost race: another replica changed (and so re-encrypted) the set; the
        // caller's own compare-and-set against `version` will re-read it.
        if self.save_signing_keys(version, &records).await? {
            tracing::info!(
                keys = stale,
                kek = kek.kid(),
                "re-encrypted signing keys under the current key-encryption key"
            );
            return Ok((version.saturating_add(1), records));
        }
        Ok((version, records))
    }

    async fn save_signing_keys(&self, expected: u64, records: &[SigningKeyRecord]) -> StoreResult<bool> {
        let next = expected.checked_add(1).ok_or_else(|| StoreError::Corrupt("signing key version overflow".into()))?;
        let stored = seal_all(&self.inner.key_encryption_key, records)?;
        let saved: i64 = self
            .inner
            .scripts
            .save_signing_keys
            .key(keys::SIGNING_KEYS)
            .arg(expected.to_string())
            .arg(next.to_string())
            .arg(to_json("signing keys", &stored)?)
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(saved == 1)
    }
}

/// Decrypts every stored key; also counts those still under the previous KEK.
fn open_all(kek: &KeyEncryptionKey, stored: Vec<StoredSigningKey>) -> StoreResult<(Vec<SigningKeyRecord>, usize)> {
    let mut stale = 0;
    let records = stored
        .into_iter()
        .map(|key| {
            let opened = kek.open(&key.private_key_jwe)?;
            stale += usize::from(opened.under_previous);
            Ok(SigningKeyRecord {
                private_pem: opened.plaintext,
                kid: key.kid,
                state: key.state,
                created_at: key.created_at,
                activated_at: key.activated_at,
                retired_at: key.retired_at,
                signed_at: key.signed_at,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((records, stale))
}

/// Encrypts every key under the current KEK.
fn seal_all(kek: &KeyEncryptionKey, records: &[SigningKeyRecord]) -> StoreResult<Vec<StoredSigningKey>> {
    records
        .iter()
        .map(|key| {
            Ok(StoredSigningKey {
                kid: key.kid.clone(),
                state: key.state,
                private_key_jwe: kek.encrypt(&key.private_pem)?,
                created_at: key.created_at,
                activated_at: key.activated_at,
                retired_at: key.retired_at,
                signed_at: key.signed_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

    fn record(kid: &str, state: KeyState) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: kid.into(),
            state,
            private_pem: format!("{PEM}{kid}"),
            created_at: 1,
            activated_at: Some(2),
            retired_at: (state == KeyState::Retired).then_some(3),
            signed_at: (state != KeyState::Next).then_some(2),
        }
    }

    fn jwe_kid(jwe: &str) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let header = URL_SAFE_NO_PAD.decode(jwe.split('.').next().unwrap_or_default()).unwrap_or_default();
        let header: serde_json::Value = serde_json::from_slice(&header).unwrap_or_default();
        header["kid"].as_str().unwrap_or_default().to_owned()
    }

    /// A KEK change at the record level: records sealed under the old KEK open
    /// under new + previous, are counted as stale, and seal again under the new KEK,
    /// which then opens them alone. No Redis needed.
    #[test]
    fn a_kek_change_re_encrypts_every_key_without_losing_one() {
        let records = vec![record("a", KeyState::Active), record("r", KeyState::Retired), record("n", KeyState::Next)];
        let old = KeyEncryptionKey::new([1; 32]);
        let under_old = seal_all(&old, &records).expect("seals");
        assert!(under_old.iter().all(|k| jwe_kid(&k.private_key_jwe) == old.kid()));

        let new = KeyEncryptionKey::new([2; 32]).with_previous(KeyEncryptionKey::new([1; 32]));
        assert!(open_all(&KeyEncryptionKey::new([2; 32]), seal_all(&old, &records).expect("seals")).is_err());
        let (opened, stale) = open_all(&new, under_old).expect("the previous KEK opens them");
        assert_eq!((opened.clone(), stale), (records.clone(), 3));

        let resealed = seal_all(&new, &opened).expect("seals");
        assert!(resealed.iter().all(|k| jwe_kid(&k.private_key_jwe) == new.kid()));
        let (again, stale) = open_all(&KeyEncryptionKey::new([2; 32]), resealed).expect("the new KEK alone opens them");
        assert_eq!((again, stale), (records, 0));
    }

    #[test]
    fn a_half_migrated_set_counts_only_the_stale_keys() {
        let old = KeyEncryptionKey::new([1; 32]);
        let new = KeyEncryptionKey::new([2; 32]).with_previous(KeyEncryptionKey::new([1; 32]));
        let mut stored = seal_all(&old, &[record("a", KeyState::Active)]).expect("seals");
        stored.extend(seal_all(&new, &[record("n", KeyState::Next)]).expect("seals"));
        let (records, stale) = open_all(&new, stored).expect("opens");
        assert_eq!((records.len(), stale), (2, 1));
    }
}
