//! User passwords: Argon2id with the OWASP parameters (m = 19456 KiB, t = 2, p = 1).
//!
//! Hashing is deliberately slow, so it runs on a fixed pool of threads
//! ([`crate::crypto::hashing_pool`]): never on the request executor, never more at once than
//! the CPUs can take, in working memory each thread reuses.
//!
//! An unknown user is verified against a dummy hash (`dummy`) with the strongest
//! parameters seen, so that it costs what a wrong password costs and timing does not
//! reveal which usernames exist. But a spray of made-up usernames must not fill the
//! hashing queue and starve real users, so dummy verifications may hold only a share
//! of the pool (`UNKNOWN_PER_THREAD` of every thread's `QUEUE_PER_THREAD` places);
//! past it, an unknown user is refused at once, without hashing.
//!
//! What that tells an attacker: nothing while the share is not full, the normal case.
//! Someone who keeps it full with a spray of their own sees that further unknown names
//! are answered without the hashing delay while real users are still verified, so they
//! can tell existing usernames apart by timing, one failed attempt per name tried.
//! Those attempts are charged to their address like any failure
//! ([`crate::oauth::login_throttle`]), so one address can probe only its budget of names per
//! window; the answer itself (`invalid_grant`, same text) never differs.

mod dummy;

use std::sync::Arc;

use crate::crypto::hashing_pool::{HashingPool, Memory, PoolError};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use shared_claims::Secret;
use tokio::sync::Semaphore;

use self::dummy::DummyHash;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed")]
    Hash(#[source] argon2::password_hash::Error),
    #[error("cannot start the password hashing threads")]
    Pool(#[source] std::io::Error),
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

/// Dummy verifications (unknown usernames) that may be queued or running at once, per
/// thread: a quarter of the queue, so real users always find three quarters free.
const UNKNOWN_PER_THREAD: usize = QUEUE_PER_THREAD / 4;

/// OWASP Password Storage Cheat Sheet, Argon2id, second option.
fn standard_params() -> Params {
    // Constants within Argon2's bounds: checked by every test that hashes.
    #[allow(clippy::expect_used)]
    Params::new(19_456, 2, 1, None).expect("constant Argon2 parameters are valid")
}

#[derive(Clone)]
pub struct Passwords {
    pool: Arc<HashingPool>,
    dummy: Arc<DummyHash>,
    /// One permit per dummy verification queued or running.
    unknown_share: Arc<Semaphore>,
}

impl Passwords {
    /// `concurrency`: verifications allowed to run at once.
    pub fn new(concurrency: usize) -> Result<Self, PasswordError> {
        let dummy = DummyHash::new(hash_blocking(standard_params(), &crate::crypto::random_token(24))?);
        let threads = concurrency.max(1);
        let pool = HashingPool::new(threads, threads * QUEUE_PER_THREAD).map_err(PasswordError::Pool)?;
        Ok(Self {
            pool: Arc::new(pool),
            dummy: Arc::new(dummy),
            unknown_share: Arc::new(Semaphore::new(threads * UNKNOWN_PER_THREAD)),
        })
    }

    /// Raises the dummy hash to `stored`'s parameters if they cost more (and are
    /// within [`is_valid_phc`]'s bounds); returns once the dummy follows them. For
    /// hashes known before serving, such as the bootstrap file's.
    pub async fn observe(&self, stored: &str) -> Result<(), PasswordError> {
        match self.dummy.claim_upgrade(stored) {
            Some(params) => self.upgrade_dummy(params).await,
            None => Ok(()),
        }
    }

    async fn upgrade_dummy(&self, params: Params) -> Result<(), PasswordError> {
        let target = params.clone();
        let hashed = self.run(move |_| hash_blocking(target, &crate::crypto::random_token(24))).await;
        match hashed.and_then(|hashed| hashed) {
            Ok(phc) => {
                self.dummy.install(phc);
                tracing::info!(
                    m_cost = params.m_cost(),
                    t_cost = params.t_cost(),
                    "unknown users are now verified at the cost of a stronger stored hash"
                );
                Ok(())
            }
            Err(err) => {
                self.dummy.abandon(&params);
                Err(err)
            }
        }
    }

    /// Hashes a new password into a PHC string (`$argon2id$v=19$...`).
    pub async fn hash(&self, password: Secret) -> Result<String, PasswordError> {
        self.run(move |_| hash_blocking(standard_params(), password.expose())).await?
    }

    /// Checks `password` against `stored` (a PHC string), or against the dummy hash
    /// when there is no user, so both cases cost the same (within the unknown users'
    /// share of the pool; see the module docs). Malformed stored hashes count as a
    /// mismatch.
    #[tracing::instrument(level = "debug", name = "password.verify", skip_all)]
    pub async fn verify(&self, stored: Option<String>, password: Secret) -> Result<bool, PasswordError> {
        let Some(stored) = stored else {
            self.verify_unknown(password).await?;
            return Ok(false);
        };
        if let Some(params) = self.dummy.claim_upgrade(&stored) {
            // In the background: this login need not wait for the new dummy.
            let passwords = self.clone();
            tokio::spawn(async move {
                if let Err(err) = passwords.upgrade_dummy(params).await {
                    tracing::warn!(error = %err, "raising the dummy hash's cost failed; a later login retries");
                }
            });
        }
        let dummy = self.dummy.current();
        self.run(move |memory| {
            let password = password.expose().as_bytes();
            match PasswordHash::new(&stored) {
                Ok(parsed) => verify_reusing_memory(&parsed, password, memory),
                Err(_) => {
                    // Still spend the time, so a broken record is not a timing oracle.
                    verify_against(&dummy, password, memory);
                    false
                }
            }
        })
        .await
    }

    /// Spends a verification on the dummy hash, if the unknown users' share has room.
    async fn verify_unknown(&self, password: Secret) -> Result<(), PasswordError> {
        let Ok(permit) = self.unknown_share.clone().try_acquire_owned() else {
            tracing::debug!("unknown users' share of password hashing is full: answered without hashing");
            return Ok(());
        };
        let dummy = self.dummy.current();
        self.run(move |memory| {
            verify_against(&dummy, password.expose().as_bytes(), memory);
            // Held until the work is done (or dropped unrun), not until the caller
            // stops waiting.
            drop(permit);
        })
        .await
    }

    /// The Argon2 parameters unknown users are verified with.
    pub fn dummy_params(&self) -> Params {
        dummy::params_of(&self.dummy.current()).unwrap_or_else(standard_params)
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

fn verify_against(phc: &str, password: &[u8], memory: &mut Memory) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| verify_reusing_memory(&parsed, password, memory))
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
pub(crate) fn is_valid_phc(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    parsed.algorithm.as_str() == "argon2id"
        && params.m_cost() <= 65_536
        && params.t_cost() <= 10
        && params.p_cost() <= 4
}

/// Hashes a new password on the calling thread with the parameters the server uses:
/// for the offline `auth-server admin hash-password`, whose output goes into the
/// bootstrap file's `password_hash`.
pub(crate) fn hash_offline(password: &Secret) -> Result<String, PasswordError> {
    hash_blocking(standard_params(), password.expose())
}

fn hash_blocking(params: Params, password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(&random_salt()).map_err(PasswordError::Hash)?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(PasswordError::Hash)
}

fn random_salt() -> [u8; 16] {
    let mut salt = [0u8; 16];
    // As for every random id: without an entropy source nothing safe can be stored.
    #[allow(clippy::expect_used)]
    openssl::rand::rand_bytes(&mut salt).expect("the system random number generator failed");
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_the_right_password_only() {
        let passwords = Passwords::new(2).unwrap();
        let hash = passwords.hash(Secret::new("correct horse")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(is_valid_phc(&hash));
        assert!(passwords.verify(Some(hash.clone()), Secret::new("correct horse")).await.unwrap());
        assert!(!passwords.verify(Some(hash), Secret::new("wrong")).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_users_and_broken_hashes_never_match() {
        let passwords = Passwords::new(1).unwrap();
        assert!(!passwords.verify(None, Secret::new("anything")).await.unwrap());
        assert!(!passwords.verify(Some("not-a-hash".into()), Secret::new("x")).await.unwrap());
        assert!(!is_valid_phc("$2b$12$abcdefghijklmnopqrstuv"));
        assert!(!is_valid_phc("$argon2id$v=19$m=4000000,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));
    }

    fn hash_with(m_cost: u32, t_cost: u32, password: &str) -> String {
        hash_blocking(Params::new(m_cost, t_cost, 1, None).unwrap(), password).unwrap()
    }

    fn costs(params: &Params) -> (u32, u32, u32) {
        (params.m_cost(), params.t_cost(), params.p_cost())
    }

    #[tokio::test]
    async fn the_dummy_follows_the_strongest_stored_hash() {
        let passwords = Passwords::new(1).unwrap();
        assert_eq!(costs(&passwords.dummy_params()), (19_456, 2, 1));

        // A stronger bootstrap hash raises it before serving.
        passwords.observe(&hash_with(32_768, 2, "pw")).await.unwrap();
        assert_eq!(costs(&passwords.dummy_params()), (32_768, 2, 1));
        // Weaker hashes, and hashes outside the accepted bounds, change nothing.
        passwords.observe(&hash_with(8_192, 1, "pw")).await.unwrap();
        passwords.observe("$argon2id$v=19$m=4000000,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA").await.unwrap();
        assert_eq!(costs(&passwords.dummy_params()), (32_768, 2, 1));

        // A stronger hash read at login raises it too, without holding up that login.
        let stronger = hash_with(32_768, 3, "pw");
        assert!(passwords.verify(Some(stronger), Secret::new("pw")).await.unwrap());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while costs(&passwords.dummy_params()) != (32_768, 3, 1) {
            assert!(std::time::Instant::now() < deadline, "the dummy did not follow the login's hash");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(!passwords.verify(None, Secret::new("pw")).await.unwrap());
    }

    /// Occupies the pool's only thread until the returned sender is dropped or sent to.
    async fn hold_the_thread(passwords: &Passwords) -> std::sync::mpsc::Sender<()> {
        let (started, has_started) = tokio::sync::oneshot::channel::<()>();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let pool = passwords.pool.clone();
        tokio::spawn(async move {
            pool.run(move |_| {
                let _ = started.send(());
                let _ = hold.recv();
            })
            .await
        });
        has_started.await.unwrap();
        release
    }

    #[tokio::test]
    async fn unknown_users_use_only_their_share_of_the_pool() {
        let passwords = Passwords::new(1).unwrap();
        let hash = passwords.hash(Secret::new("right")).await.unwrap();
        let release = hold_the_thread(&passwords).await;

        // The unknown users' share fills up with queued dummy verifications...
        let queued: Vec<_> = (0..UNKNOWN_PER_THREAD)
            .map(|_| {
                let passwords = passwords.clone();
                tokio::spawn(async move { passwords.verify(None, Secret::new("x")).await })
            })
            .collect();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while passwords.unknown_share.available_permits() > 0 {
            assert!(std::time::Instant::now() < deadline, "dummy verifications were not queued");
            tokio::task::yield_now().await;
        }
        // ...past it, an unknown user is answered at once, without queueing,
        let answer =
            tokio::time::timeout(std::time::Duration::from_secs(10), passwords.verify(None, Secret::new("x"))).await;
        assert!(matches!(answer, Ok(Ok(false))), "{answer:?}");
        // ...while a known user still finds room, and is verified once the thread is free.
        let known = {
            let passwords = passwords.clone();
            tokio::spawn(async move { passwords.verify(Some(hash), Secret::new("right")).await })
        };
        release.send(()).unwrap();
        assert!(known.await.unwrap().unwrap());
        for dummy in queued {
            assert!(!dummy.await.unwrap().unwrap());
        }
        assert_eq!(passwords.unknown_share.available_permits(), UNKNOWN_PER_THREAD, "permits come back");
    }
}
