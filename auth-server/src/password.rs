//! User passwords: Argon2id with the OWASP parameters (m = 19456 KiB, t = 2, p = 1).
//!
//! Hashing is deliberately slow, so it runs on a fixed pool of threads
//! ([`crate::hashing_pool`]): never on the request executor, never more at once than
//! the CPUs can take, in working memory each thread reuses. An unknown user is verified against a dummy hash so that it costs exactly
//! what a wrong password costs: timing does not reveal which usernames exist.

use std::sync::Arc;

use crate::hashing_pool::{HashingPool, Memory, PoolError};
use crate::secret::SecretString;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the password worker pool is gone")]
    PoolClosed,
    #[error("too many password checks are waiting")]
    Busy,
}

impl From<PasswordError> for shared_claims::OAuthError {
    fn from(err: PasswordError) -> Self {
        match err {
            PasswordError::Busy => shared_claims::OAuthError::temporarily_unavailable(err),
            _ => shared_claims::OAuthError::server_error(err),
        }
    }
}

/// Logins that may wait for a hashing thread, per thread; more are refused with 503.
/// At ~16 ms per hash, a full queue drains in about half a second.
const QUEUE_PER_THREAD: usize = 32;

/// OWASP Password Storage Cheat Sheet, Argon2id, second option.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct Passwords {
    pool: Arc<HashingPool>,
    dummy_hash: Arc<str>,
}

impl Passwords {
    /// `concurrency`: verifications allowed to run at once.
    pub fn new(concurrency: usize) -> Result<Self, PasswordError> {
        let dummy_hash = hash_blocking(&crate::crypto::random_token(24))?;
        let threads = concurrency.max(1);
        let pool =
            HashingPool::new(threads, threads * QUEUE_PER_THREAD).map_err(|e| PasswordError::Hash(e.to_string()))?;
        Ok(Self { pool: Arc::new(pool), dummy_hash: dummy_hash.into() })
    }

    /// Hashes a new password into a PHC string (`$argon2id$v=19$...`).
    pub async fn hash(&self, password: SecretString) -> Result<String, PasswordError> {
        self.run(move |_| hash_blocking(password.expose())).await?
    }

    /// Checks `password` against `stored` (a PHC string), or against the dummy hash
    /// when there is no user, so both cases cost the same. Malformed stored hashes
    /// count as a mismatch.
    pub async fn verify(&self, stored: Option<String>, password: SecretString) -> Result<bool, PasswordError> {
        let known_user = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self
            .run(move |memory| match PasswordHash::new(&hash) {
                Ok(parsed) => verify_reusing_memory(&parsed, password.expose().as_bytes(), memory),
                Err(_) => {
                    // Still spend the time, so a broken record is not a timing oracle.
                    let _ = hash_blocking(password.expose());
                    false
                }
            })
            .await?;
        Ok(known_user && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        self.pool.run(work).await.map_err(|err| match err {
            PoolError::Busy => PasswordError::Busy,
            PoolError::Closed => PasswordError::PoolClosed,
        })
    }
}

/// Verifies like `PasswordVerifier::verify_password`, in the pool thread's reusable
/// working memory, comparing the result in constant time.
fn verify_reusing_memory(parsed: &PasswordHash<'_>, password: &[u8], memory: &mut Memory) -> bool {
    let (Ok(params), Some(expected), Some(salt)) = (Params::try_from(parsed), parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else { return false };
    let Ok(version) = parsed.version.map_or(Ok(Version::V0x13), Version::try_from) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let mut out = [0u8; 64];
    let Some(out) = out.get_mut(..expected.len()) else { return false };
    memory.resize(params.block_count(), Block::default());
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password,
        salt,
        &mut *out,
        &mut memory[..],
    );
    hashed.is_ok() && crate::crypto::constant_time_eq(out, expected.as_bytes())
}

/// Whether a bootstrap or admin-supplied string is an Argon2 PHC hash we can verify.
/// Only Argon2id, and with costs no higher than a bound: a hash is operator input, and
/// a huge memory cost would be a huge allocation on every login of that user.
pub fn is_valid_phc(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    parsed.algorithm.as_str() == "argon2id"
        && params.m_cost() <= 65_536
        && params.t_cost() <= 10
        && params.p_cost() <= 4
}

fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(&random_salt()).map_err(|e| PasswordError::Hash(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

fn random_salt() -> [u8; 16] {
    let mut salt = [0u8; 16];
    openssl::rand::rand_bytes(&mut salt).expect("the system random number generator failed");
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_the_right_password_only() {
        let passwords = Passwords::new(2).unwrap();
        let hash = passwords.hash(SecretString::new("correct horse")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(is_valid_phc(&hash));
        assert!(passwords.verify(Some(hash.clone()), SecretString::new("correct horse")).await.unwrap());
        assert!(!passwords.verify(Some(hash), SecretString::new("wrong")).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_users_and_broken_hashes_never_match() {
        let passwords = Passwords::new(1).unwrap();
        assert!(!passwords.verify(None, SecretString::new("anything")).await.unwrap());
        assert!(!passwords.verify(Some("not-a-hash".into()), SecretString::new("x")).await.unwrap());
        assert!(!is_valid_phc("$2b$12$abcdefghijklmnopqrstuv"));
        assert!(!is_valid_phc("$argon2id$v=19$m=4000000,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));
    }
}
