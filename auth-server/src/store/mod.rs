//! Server-side state behind small traits, one per kind of record, so that the
//! embedded in-memory store (the default) and Redis are interchangeable and pass one
//! contract test suite (`contract_tests`). Storage knows nothing of HTTP or OAuth
//! messages: it keeps records and performs the few multi-step changes atomically.

mod codes;
mod login_sessions;
mod memory;
mod records;
mod redis;

#[cfg(any(test, feature = "test-support"))]
pub mod contract_tests;

use std::sync::Arc;

use async_trait::async_trait;

pub use self::codes::{AuthorizationCode, CodeStore, Redeemed};
pub use self::login_sessions::{LoginSession, LoginSessionStore, MAX_LOGIN_SESSION_SIDS};
pub use self::memory::MemoryStore;
pub(crate) use self::records::decide_rotation;
pub use self::records::{
    ClientRecord, FeedPage, KeyState, Revocation, RevocationEvent, RotateOutcome, Rotation, Session, SigningKeyRecord,
    SnapshotPage, UserPage, UserRecord,
};
pub use self::redis::{KeyEncryptionKey, RedisStore, RedisTarget};

/// What went wrong in the store, with its cause kept as the error's source (log it
/// with [`shared_claims::error_chain`]). A cause may be a text:
/// `StoreError::Unavailable("no answer in time".into())`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable")]
    Unavailable(#[source] Cause),
    #[error("stored record is corrupt")]
    Corrupt(#[source] Cause),
    #[error("key encryption failed")]
    Crypto(#[source] Cause),
}

/// The underlying failure: a Redis error, or a text saying what was wrong.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

impl StoreError {
    /// The store could not be reached or did not answer: worth a retry (503), unlike
    /// a corrupt record or a failed decryption (500).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An unreachable store is a 503 the client may retry (RFC 7009 §2.2.1 spells this
/// out for revocation); anything else is a 500. Details go to the log only.
impl From<StoreError> for shared_claims::OAuthError {
    fn from(err: StoreError) -> Self {
        let detail = shared_claims::error_chain(&err);
        if err.is_unavailable() {
            shared_claims::OAuthError::temporarily_unavailable(detail)
        } else {
            shared_claims::OAuthError::server_error(detail)
        }
    }
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn user(&self, username: &str) -> StoreResult<Option<UserRecord>>;
    /// Creates the user unless one of that name exists; returns whether it did.
    async fn insert_user(&self, user: &UserRecord) -> StoreResult<bool>;
    /// Creates or replaces.
    async fn put_user(&self, user: &UserRecord) -> StoreResult<()>;
    async fn delete_user(&self, username: &str) -> StoreResult<bool>;
    /// One page of at most `limit` users (at least 1): start with `cursor = None`, then
    /// pass the returned `next` until it is `None`. A user present for the whole walk
    /// is returned at least once; one created or deleted meanwhile may or may not be.
    /// The order is the store's own. `None` when `cursor` is not one this store could
    /// have returned (it is untrusted input).
    async fn users_page(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Option<UserPage>>;
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>>;
    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<bool>;
    async fn put_client(&self, client: &ClientRecord) -> StoreResult<()>;
    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>>;
    async fn delete_client(&self, client_id: &str) -> StoreResult<bool>;
}

/// The signing key set is read and written whole: it is small, and writing it with
/// a version check makes every transition a compare-and-set that at most one replica
/// wins.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// The keys and the version they were saved under (0 when none were ever saved).
    async fn signing_keys(&self) -> StoreResult<(u64, Vec<SigningKeyRecord>)>;
    /// Saves `keys` as version `expected + 1` if the stored version is still
    /// `expected`; returns false (and changes nothing) otherwise.
    async fn save_signing_keys(&self, expected: u64, keys: &[SigningKeyRecord]) -> StoreResult<bool>;
}

/// Login sessions and the rotation of their refresh tokens.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session (it expires at its `idle_expires_at`) and names the
    /// user's sessions with the same client beyond the newest `max_per_client`: the
    /// ones that end first (every session lives the same `AUTH_REFRESH_MAX_TTL`, so
    /// the oldest logins), never the new one. The store only names them; the caller
    /// revokes them, so each revocation reaches the feed.
    async fn create_session(&self, session: &Session, max_per_client: usize) -> StoreResult<Vec<String>>;
    /// The live session, or `None` when unknown or past its idle or absolute expiry.
    async fn session(&self, sid: &str) -> StoreResult<Option<Session>>;
    /// The atomic step of the refresh grant; see [`RotateOutcome`].
    async fn rotate_refresh(&self, sid: &str, presented_jti: &str, rotation: &Rotation) -> StoreResult<RotateOutcome>;
    /// Removes a session; returns it if it was live.
    async fn delete_session(&self, sid: &str) -> StoreResult<Option<Session>>;
    /// Live sessions of a user.
    async fn user_sessions(&self, username: &str) -> StoreResult<Vec<Session>>;
}

/// Revocations: recorded until every token they affect has expired, and appended to a
/// feed that resource servers follow (resumable by cursor).
#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Records `revocation` until `expires_at` and appends it to the feed. `audiences`:
    /// those of the tokens it covers, empty when it concerns every resource server.
    /// `None` when a revocation of the same thing covering at least as much (as long,
    /// and for a user or client an equal or later cut-off) is already in force: nothing
    /// is appended, so repeating a revocation cannot flood the feed.
    async fn revoke(
        &self,
        revocation: &Revocation,
        audiences: &[String],
        expires_at: i64,
    ) -> StoreResult<Option<RevocationEvent>>;
    /// Whether a token with these claims is revoked by any revocation in force:
    /// its `jti`, its session, its subject's or its client's "everything issued before".
    async fn is_revoked(
        &self,
        jti: &str,
        sid: Option<&str>,
        subject: &str,
        client_id: &str,
        issued_at: i64,
    ) -> StoreResult<bool>;
    /// Feed events after `cursor` (oldest first, at most `limit`), or `Gap` when the
    /// feed no longer reaches back that far, or `cursor` is not one this store wrote
    /// (malformed, out of range: it is untrusted input), and the reader must take a
    /// snapshot.
    async fn revocations_since(&self, cursor: &str, limit: usize) -> StoreResult<FeedPage>;
    /// The cursor of the latest feed event. A snapshot whose pages are read after this
    /// call, followed by the feed from this cursor, misses nothing (it may repeat a
    /// revocation, which readers apply idempotently).
    async fn revocation_feed_head(&self) -> StoreResult<String>;
    /// One page of the revocations in force: start with `page = None`, then pass the
    /// returned `next` until it is `None`. About `limit` revocations per page (a hint
    /// for Redis), so no read is unbounded however many are in force. A revocation
    /// present for the whole walk is returned at least once.
    async fn revocation_snapshot_page(&self, page: Option<&str>, limit: usize) -> StoreResult<SnapshotPage>;
}

/// Counters of failed attempts, each kept for a fixed window that its first failure
/// starts: the state of brute-force throttling, so that every replica sharing a store
/// shares the budgets. Keys are opaque names chosen by the caller.
#[async_trait]
pub trait FailureStore: Send + Sync {
    /// Failures counted under `key` in its current window; 0 when none or expired.
    async fn failures(&self, key: &str) -> StoreResult<u64>;
    /// Counts one more failure under `key` and returns the new count. The first
    /// failure opens the window: the count is forgotten `window_secs` (at least 1)
    /// after it, however many follow.
    async fn record_failure(&self, key: &str, window_secs: u64) -> StoreResult<u64>;
    /// Forgets the failures counted under `key`.
    async fn clear_failures(&self, key: &str) -> StoreResult<()>;
}

/// Liveness of the backing store, for `/readyz`.
#[async_trait]
pub trait Health: Send + Sync {
    async fn ping(&self) -> StoreResult<()>;
}

/// Everything the server keeps, as one object the application holds.
pub trait Store:
    UserStore
    + ClientStore
    + KeyStore
    + SessionStore
    + RevocationStore
    + FailureStore
    + CodeStore
    + LoginSessionStore
    + Health
{
}
impl<
        T: UserStore
            + ClientStore
            + KeyStore
            + SessionStore
            + RevocationStore
            + FailureStore
            + CodeStore
            + LoginSessionStore
            + Health,
    > Store for T
{
}

pub type SharedStore = Arc<dyn Store>;
