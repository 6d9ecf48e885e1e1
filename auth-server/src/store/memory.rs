//! The embedded store: everything in one process's memory, nothing survives a
//! restart. The default when `REDIS_URL` is unset, so a newcomer can run the server
//! with no infrastructure.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Bound;
use std::sync::Mutex;

use async_trait::async_trait;

use self::browser_state::BrowserState;
use self::failures::Failures;
use super::records::decide_rotation;
use super::{
    ClientRecord, ClientStore, Health, KeyStore, RevocationEvent, RotateOutcome, Rotation, Session, SessionStore,
    SigningKeyRecord, StoreResult, UserPage, UserRecord, UserStore,
};

/// How many feed events are kept for readers to resume from; an older cursor gets a
/// snapshot instead.
const FEED_LENGTH: usize = 10_000;

mod browser_state;
mod failures;
mod revocations;

pub struct MemoryStore {
    state: Mutex<State>,
    /// Apart from `state`, so that a spray of failed logins does not contend with
    /// sessions and revocations.
    failures: Mutex<Failures>,
    /// Authorization codes and login sessions.
    browser: Mutex<BrowserState>,
    /// Distinguishes this process's feed cursors from a previous run's.
    epoch: String,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            failures: Mutex::default(),
            browser: Mutex::default(),
            epoch: crate::crypto::random_token(6),
        }
    }
}

#[derive(Default)]
struct State {
    /// Ordered by name, so users can be listed in pages.
    users: BTreeMap<String, UserRecord>,
    clients: HashMap<String, ClientRecord>,
    keys: (u64, Vec<SigningKeyRecord>),
    sessions: HashMap<String, Session>,
    sessions_by_user: HashMap<String, HashSet<String>>,
    /// Ordered by revocation key, so a snapshot can be read in pages.
    revocations: BTreeMap<String, RevocationEvent>,
    feed: VecDeque<(u64, RevocationEvent)>,
    feed_seq: u64,
    creates_since_sweep: u32,
    /// Each session's place in the order of creation, for "oldest first" among
    /// sessions that end in the same second.
    session_order: HashMap<String, u64>,
    sessions_created: u64,
    /// When expired revocations were last dropped (a full pass, so at most once a second).
    revocations_swept_at: i64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    // A poisoned lock only means another request panicked mid-update; the maps
    // themselves are still consistent (every update is a single insert or remove).
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // Poisoning is harmless here for the same reason: each update is one map change.
    fn failure_counts(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // Likewise: each update is one map change.
    fn browser_state(&self) -> std::sync::MutexGuard<'_, BrowserState> {
        self.browser.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Every this many new sessions, expired sessions of all users are dropped, so memory
/// stays bounded by live sessions even for users who never log in again.
const SWEEP_EVERY: u32 = 1_024;

impl State {
    /// Drops revocations past their life; a pass over all of them, so at most once
    /// per second rather than on every revoke. Readers check expiry themselves.
    fn forget_expired_revocations(&mut self, now: i64) {
        if now > self.revocations_swept_at {
            self.revocations_swept_at = now;
            self.revocations.retain(|_, e| e.expires_at > now);
        }
    }

    fn sweep(&mut self, now: i64) {
        let expired: Vec<String> = self.sessions.values().filter(|s| !s.is_live(now)).map(|s| s.sid.clone()).collect();
        for sid in expired {
            self.remove_session(&sid);
        }
        self.revocations.retain(|_, e| e.expires_at > now);
    }

    fn remove_session(&mut self, sid: &str) -> Option<Session> {
        let session = self.sessions.remove(sid)?;
        self.session_order.remove(sid);
        if let Some(sids) = self.sessions_by_user.get_mut(&session.username) {
            sids.remove(sid);
            if sids.is_empty() {
                self.sessions_by_user.remove(&session.username);
            }
        }
        Some(session)
    }

    /// The user's other sessions with `new`'s client beyond the newest `max`, those
    /// that end first (the same order as Redis: by `expires_at`, then by id).
    fn over_cap(&self, new: &Session, max: usize) -> Vec<String> {
        let mut others: Vec<&Session> = self
            .sessions_by_user
            .get(&new.username)
            .into_iter()
            .flatten()
            .filter(|sid| **sid != new.sid)
            .filter_map(|sid| self.sessions.get(sid))
            .filter(|s| s.client_id == new.client_id)
            .collect();
        let excess = (others.len() + 1).saturating_sub(max);
        let order = |s: &Session| self.session_order.get(&s.sid).copied().unwrap_or(0);
        others.sort_by_key(|s| (s.expires_at, order(s)));
        others.into_iter().take(excess).map(|s| s.sid.clone()).collect()
    }

    /// Drops expired sessions of one user; keeps memory bounded by live sessions
    /// without a background sweeper for the common paths.
    fn prune_user_sessions(&mut self, username: &str, now: i64) {
        let expired: Vec<String> = self
            .sessions_by_user
            .get(username)
            .into_iter()
            .flatten()
            .filter(|sid| self.sessions.get(*sid).is_none_or(|s| !s.is_live(now)))
            .cloned()
            .collect();
        for sid in expired {
            self.remove_session(&sid);
        }
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        Ok(self.state().users.get(username).cloned())
    }

    async fn insert_user(&self, user: &UserRecord) -> StoreResult<bool> {
        let mut state = self.state();
        if state.users.contains_key(&user.username) {
            return Ok(false);
        }
        state.users.insert(user.username.clone(), user.clone());
        Ok(true)
    }

    async fn put_user(&self, user: &UserRecord) -> StoreResult<()> {
        self.state().users.insert(user.username.clone(), user.clone());
        Ok(())
    }

    async fn delete_user(&self, username: &str) -> StoreResult<bool> {
        Ok(self.state().users.remove(username).is_some())
    }

    /// In name order; the cursor is the last name of the previous page.
    async fn users_page(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Option<UserPage>> {
        let start = match cursor {
            None => Bound::Unbounded,
            Some("") => return Ok(None),
            Some(after) => Bound::Excluded(after),
        };
        let state = self.state();
        let mut range = state.users.range::<str, _>((start, Bound::Unbounded));
        let users: Vec<UserRecord> = range.by_ref().take(limit.max(1)).map(|(_, user)| user.clone()).collect();
        let next = match (range.next(), users.last()) {
            (Some(_), Some(last)) => Some(last.username.clone()),
            _ => None,
        };
        Ok(Some(UserPage { users, next }))
    }
}

#[async_trait]
impl ClientStore for MemoryStore {
    async fn client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>> {
        Ok(self.state().clients.get(client_id).cloned())
    }

    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<bool> {
        let mut state = self.state();
        if state.clients.contains_key(&client.client_id) {
            return Ok(false);
        }
        state.clients.insert(client.client_id.clone(), client.clone());
        Ok(true)
    }

    async fn put_client(&self, client: &ClientRecord) -> StoreResult<()> {
        self.state().clients.insert(client.client_id.clone(), client.clone());
        Ok(())
    }

    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        let mut clients: Vec<_> = self.state().clients.values().cloned().collect();
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(clients)
    }

    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        Ok(self.state().clients.remove(client_id).is_some())
    }
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn signing_keys(&self) -> StoreResult<(u64, Vec<SigningKeyRecord>)> {
        Ok(self.state().keys.clone())
    }

    async fn save_signing_keys(&self, expected: u64, keys: &[SigningKeyRecord]) -> StoreResult<bool> {
        let mut state = self.state();
        if state.keys.0 != expected {
            return Ok(false);
        }
        state.keys = (expected + 1, keys.to_vec());
        Ok(true)
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, session: &Session, max_per_client: usize) -> StoreResult<Vec<String>> {
        let now = shared_claims::unix_now();
        let mut state = self.state();
        state.prune_user_sessions(&session.username, now);
        state.creates_since_sweep += 1;
        if state.creates_since_sweep >= SWEEP_EVERY {
            state.creates_since_sweep = 0;
            state.sweep(now);
        }
        state.sessions_by_user.entry(session.username.clone()).or_default().insert(session.sid.clone());
        state.sessions.insert(session.sid.clone(), session.clone());
        state.sessions_created += 1;
        let created = state.sessions_created;
        state.session_order.insert(session.sid.clone(), created);
        Ok(state.over_cap(session, max_per_client))
    }

    async fn session(&self, sid: &str) -> StoreResult<Option<Session>> {
        let now = shared_claims::unix_now();
        Ok(self.state().sessions.get(sid).filter(|s| s.is_live(now)).cloned())
    }

    async fn rotate_refresh(&self, sid: &str, presented_jti: &str, rotation: &Rotation) -> StoreResult<RotateOutcome> {
        let mut state = self.state();
        let Some(session) = state.sessions.get(sid) else {
            return Ok(RotateOutcome::NotFound);
        };
        let outcome = decide_rotation(session, presented_jti, rotation);
        match &outcome {
            RotateOutcome::Rotated(next) => {
                state.sessions.insert(sid.to_owned(), next.clone());
            }
            RotateOutcome::Reused(session) => {
                let locked = session.locked();
                state.sessions.insert(sid.to_owned(), locked);
            }
            RotateOutcome::NotFound => {
                state.remove_session(sid);
            }
            RotateOutcome::Grace(_) => {}
        }
        Ok(outcome)
    }

    async fn delete_session(&self, sid: &str) -> StoreResult<Option<Session>> {
        let now = shared_claims::unix_now();
        Ok(self.state().remove_session(sid).filter(|s| s.is_live(now)))
    }

    async fn user_sessions(&self, username: &str) -> StoreResult<Vec<Session>> {
        let now = shared_claims::unix_now();
        let mut state = self.state();
        state.prune_user_sessions(username, now);
        let mut sessions: Vec<Session> = state
            .sessions_by_user
            .get(username)
            .into_iter()
            .flatten()
            .filter_map(|sid| state.sessions.get(sid).cloned())
            .collect();
        sessions.sort_by_key(|s| s.created_at);
        Ok(sessions)
    }
}

#[async_trait]
impl Health for MemoryStore {
    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn passes_the_store_contract() {
        crate::store::contract_tests::run_all(&MemoryStore::new()).await;
    }
}
