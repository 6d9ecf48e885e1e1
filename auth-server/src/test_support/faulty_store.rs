//! A store that fails on demand: a [`MemoryStore`] behind switches that make chosen
//! writes fail, or the whole store unreachable for a while, the way a Redis blip
//! would. Every failure is [`StoreError::Unavailable`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::store::{
    AuthorizationCode, ClientRecord, ClientStore, CodeStore, FailureStore, FeedPage, Health, KeyStore, LoginSession,
    LoginSessionStore, MemoryStore, Redeemed, Revocation, RevocationEvent, RevocationStore, RotateOutcome, Rotation,
    Session, SessionStore, SigningKeyRecord, SnapshotPage, StoreError, StoreResult, UserPage, UserRecord, UserStore,
};

/// How the next `rotate_refresh` fails.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RotateFault {
    /// Nothing is written.
    BeforeCommit,
    /// The rotation is stored, then its reply is lost.
    AfterCommit,
    /// The rotation is stored, its reply is lost, and the store is unreachable for
    /// this long afterwards.
    AfterCommitThenDown(Duration),
}

#[derive(Default)]
struct Faults {
    /// The next this many `revoke` calls fail without writing.
    failing_revokes: usize,
    /// The next this many `delete_session` calls fail without writing.
    failing_deletes: usize,
    /// The next this many `save_signing_keys` calls fail without writing.
    failing_key_saves: usize,
    rotate: Option<RotateFault>,
    /// Every call fails until then.
    down_until: Option<Instant>,
}

#[derive(Default)]
pub(crate) struct FaultyStore {
    inner: MemoryStore,
    faults: Mutex<Faults>,
    /// `signing_keys` calls so far: what coalescing must keep low.
    key_set_reads: AtomicUsize,
}

fn blip() -> StoreError {
    StoreError::Unavailable("injected failure".into())
}

impl FaultyStore {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many times the signing key set was read.
    pub(crate) fn key_set_reads(&self) -> usize {
        self.key_set_reads.load(Ordering::SeqCst)
    }

    /// Every call fails for `duration` from now.
    pub(crate) fn go_down_for(&self, duration: Duration) {
        self.faults().down_until = Some(Instant::now() + duration);
    }

    pub(crate) fn fail_next_revokes(&self, count: usize) {
        self.faults().failing_revokes = count;
    }

    pub(crate) fn fail_next_session_deletes(&self, count: usize) {
        self.faults().failing_deletes = count;
    }

    pub(crate) fn fail_next_key_saves(&self, count: usize) {
        self.faults().failing_key_saves = count;
    }

    pub(crate) fn fail_next_rotation(&self, fault: RotateFault) {
        self.faults().rotate = Some(fault);
    }

    /// Fails while the store is "down".
    fn reachable(&self) -> StoreResult<()> {
        match self.faults().down_until {
            Some(until) if Instant::now() < until => Err(blip()),
            _ => Ok(()),
        }
    }

    /// Fails (once `counter` says so) before a write.
    fn take(counter: &mut usize) -> StoreResult<()> {
        if *counter > 0 {
            *counter -= 1;
            return Err(blip());
        }
        Ok(())
    }
}

#[async_trait]
impl UserStore for FaultyStore {
    async fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        self.reachable()?;
        self.inner.user(username).await
    }
    async fn insert_user(&self, user: &UserRecord) -> StoreResult<bool> {
        self.reachable()?;
        self.inner.insert_user(user).await
    }
    async fn put_user(&self, user: &UserRecord) -> StoreResult<()> {
        self.reachable()?;
        self.inner.put_user(user).await
    }
    async fn delete_user(&self, username: &str) -> StoreResult<bool> {
        self.reachable()?;
        self.inner.delete_user(username).await
    }
    async fn users_page(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Option<UserPage>> {
        self.reachable()?;
        self.inner.users_page(cursor, limit).await
    }
}

#[async_trait]
impl ClientStore for FaultyStore {
    async fn client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>> {
        self.reachable()?;
        self.inner.client(client_id).await
    }
    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<bool> {
        self.reachable()?;
        self.inner.insert_client(client).await
    }
    async fn put_client(&self, client: &ClientRecord) -> StoreResult<()> {
        self.reachable()?;
        self.inner.put_client(client).await
    }
    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        self.reachable()?;
        self.inner.list_clients().await
    }
    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        self.reachable()?;
        self.inner.delete_client(client_id).await
    }
}

#[async_trait]
impl KeyStore for FaultyStore {
    async fn signing_keys(&self) -> StoreResult<(u64, Vec<SigningKeyRecord>)> {
        self.key_set_reads.fetch_add(1, Ordering::SeqCst);
        self.reachable()?;
        self.inner.signing_keys().await
    }
    async fn save_signing_keys(&self, expected: u64, keys: &[SigningKeyRecord]) -> StoreResult<bool> {
        self.reachable()?;
        Self::take(&mut self.faults().failing_key_saves)?;
        self.inner.save_signing_keys(expected, keys).await
    }
}

#[async_trait]
impl SessionStore for FaultyStore {
    async fn create_session(&self, session: &Session, max_per_client: usize) -> StoreResult<Vec<String>> {
        self.reachable()?;
        self.inner.create_session(session, max_per_client).await
    }
    async fn session(&self, sid: &str) -> StoreResult<Option<Session>> {
        self.reachable()?;
        self.inner.session(sid).await
    }
    async fn rotate_refresh(&self, sid: &str, presented_jti: &str, rotation: &Rotation) -> StoreResult<RotateOutcome> {
        self.reachable()?;
        let fault = self.faults().rotate.take();
        match fault {
            None => self.inner.rotate_refresh(sid, presented_jti, rotation).await,
            Some(RotateFault::BeforeCommit) => Err(blip()),
            Some(RotateFault::AfterCommit) => {
                self.inner.rotate_refresh(sid, presented_jti, rotation).await?;
                Err(blip())
            }
            Some(RotateFault::AfterCommitThenDown(down)) => {
                self.inner.rotate_refresh(sid, presented_jti, rotation).await?;
                self.faults().down_until = Some(Instant::now() + down);
                Err(blip())
            }
        }
    }
    async fn delete_session(&self, sid: &str) -> StoreResult<Option<Session>> {
        self.reachable()?;
        Self::take(&mut self.faults().failing_deletes)?;
        self.inner.delete_session(sid).await
    }
    async fn user_sessions(&self, username: &str) -> StoreResult<Vec<Session>> {
        self.reachable()?;
        self.inner.user_sessions(username).await
    }
}

#[async_trait]
impl RevocationStore for FaultyStore {
    async fn revoke(
        &self,
        revocation: &Revocation,
        audiences: &[String],
        expires_at: i64,
    ) -> StoreResult<Option<RevocationEvent>> {
        self.reachable()?;
        Self::take(&mut self.faults().failing_revokes)?;
        self.inner.revoke(revocation, audiences, expires_at).await
    }
    async fn is_revoked(
        &self,
        jti: &str,
        sid: Option<&str>,
        subject: &str,
        client_id: &str,
        issued_at: i64,
    ) -> StoreResult<bool> {
        self.reachable()?;
        self.inner.is_revoked(jti, sid, subject, client_id, issued_at).await
    }
    async fn revocations_since(&self, cursor: &str, limit: usize) -> StoreResult<FeedPage> {
        self.reachable()?;
        self.inner.revocations_since(cursor, limit).await
    }
    async fn revocation_feed_head(&self) -> StoreResult<String> {
        self.reachable()?;
        self.inner.revocation_feed_head().await
    }
    async fn revocation_snapshot_page(&self, page: Option<&str>, limit: usize) -> StoreResult<SnapshotPage> {
        self.reachable()?;
        self.inner.revocation_snapshot_page(page, limit).await
    }
}

#[async_trait]
impl FailureStore for FaultyStore {
    async fn failures(&self, key: &str) -> StoreResult<u64> {
        self.reachable()?;
        self.inner.failures(key).await
    }
    async fn record_failure(&self, key: &str, window_secs: u64) -> StoreResult<u64> {
        self.reachable()?;
        self.inner.record_failure(key, window_secs).await
    }
    async fn clear_failures(&self, key: &str) -> StoreResult<()> {
        self.reachable()?;
        self.inner.clear_failures(key).await
    }
}

#[async_trait]
impl CodeStore for FaultyStore {
    async fn put_code(&self, code_hash: &str, code: &AuthorizationCode) -> StoreResult<()> {
        self.reachable()?;
        self.inner.put_code(code_hash, code).await
    }
    async fn redeem_code(&self, code_hash: &str, now: i64) -> StoreResult<Option<Redeemed>> {
        self.reachable()?;
        self.inner.redeem_code(code_hash, now).await
    }
}

#[async_trait]
impl LoginSessionStore for FaultyStore {
    async fn create_login_session(&self, key: &str, session: &LoginSession) -> StoreResult<()> {
        self.reachable()?;
        self.inner.create_login_session(key, session).await
    }
    async fn login_session(&self, key: &str, now: i64) -> StoreResult<Option<LoginSession>> {
        self.reachable()?;
        self.inner.login_session(key, now).await
    }
    async fn touch_login_session(&self, key: &str, now: i64, idle_ttl: i64) -> StoreResult<Option<LoginSession>> {
        self.reachable()?;
        self.inner.touch_login_session(key, now, idle_ttl).await
    }
    async fn add_login_session_sid(&self, key: &str, sid: &str) -> StoreResult<bool> {
        self.reachable()?;
        self.inner.add_login_session_sid(key, sid).await
    }
    async fn delete_login_session(&self, key: &str) -> StoreResult<Option<LoginSession>> {
        self.reachable()?;
        self.inner.delete_login_session(key).await
    }
}

#[async_trait]
impl Health for FaultyStore {
    async fn ping(&self) -> StoreResult<()> {
        self.reachable()?;
        self.inner.ping().await
    }
}
