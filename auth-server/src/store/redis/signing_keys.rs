//! The signing key set in Redis: one hash `as:{keys}` with a `version` and the
//! `keys` as JSON, each private key replaced by its JWE. Saved by compare-and-set
//! (a Lua script), so of two replicas rotating at once exactly one wins.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

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
        let records = stored
            .into_iter()
            .map(|key| {
                Ok(SigningKeyRecord {
                    private_pem: kek.decrypt(&key.private_key_jwe)?,
                    kid: key.kid,
                    state: key.state,
                    created_at: key.created_at,
                    activated_at: key.activated_at,
                    retired_at: key.retired_at,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((version, records))
    }

    async fn save_signing_keys(&self, expected: u64, records: &[SigningKeyRecord]) -> StoreResult<bool> {
        let next = expected.checked_add(1).ok_or_else(|| StoreError::Corrupt("signing key version overflow".into()))?;
        let kek = &self.inner.key_encryption_key;
        let stored = records
            .iter()
            .map(|key| {
                Ok(StoredSigningKey {
                    kid: key.kid.clone(),
                    state: key.state,
                    private_key_jwe: kek.encrypt(&key.private_pem)?,
                    created_at: key.created_at,
                    activated_at: key.activated_at,
                    retired_at: key.retired_at,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
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
