//! The browser flow's state in the embedded store: authorization codes and login
//! sessions. Expired entries are dropped every [`PRUNE_EVERY`] writes, so memory stays
//! bounded by live ones.

use std::collections::HashMap;

use async_trait::async_trait;

use super::MemoryStore;
use crate::store::{AuthorizationCode, CodeStore, LoginSession, LoginSessionStore, Redeemed, StoreResult};

const PRUNE_EVERY: u32 = 256;

#[derive(Default)]
pub(super) struct BrowserState {
    /// Code hash → the code and whether it was redeemed.
    codes: HashMap<String, (AuthorizationCode, bool)>,
    logins: HashMap<String, LoginSession>,
    writes_since_prune: u32,
}

impl BrowserState {
    fn count_write(&mut self) {
        self.writes_since_prune += 1;
        if self.writes_since_prune >= PRUNE_EVERY {
            self.writes_since_prune = 0;
            let now = shared_claims::unix_now();
            self.codes.retain(|_, (code, _)| now < code.expires_at);
            self.logins.retain(|_, login| login.is_live(now));
        }
    }
}

#[async_trait]
impl CodeStore for MemoryStore {
    async fn put_code(&self, code_hash: &str, code: &AuthorizationCode) -> StoreResult<()> {
        let mut state = self.browser_state();
        state.count_write();
        state.codes.insert(code_hash.to_owned(), (code.clone(), false));
        Ok(())
    }

    async fn redeem_code(&self, code_hash: &str, now: i64) -> StoreResult<Option<Redeemed>> {
        let mut state = self.browser_state();
        let Some((code, used)) = state.codes.get_mut(code_hash) else {
            return Ok(None);
        };
        if now >= code.expires_at {
            return Ok(None);
        }
        if *used {
            return Ok(Some(Redeemed::AlreadyUsed(code.clone())));
        }
        *used = true;
        Ok(Some(Redeemed::First(code.clone())))
    }
}

#[async_trait]
impl LoginSessionStore for MemoryStore {
    async fn create_login_session(&self, key: &str, session: &LoginSession) -> StoreResult<()> {
        let mut state = self.browser_state();
        state.count_write();
        state.logins.insert(key.to_owned(), session.clone());
        Ok(())
    }

    async fn login_session(&self, key: &str, now: i64) -> StoreResult<Option<LoginSession>> {
        Ok(self.browser_state().logins.get(key).filter(|s| s.is_live(now)).cloned())
    }

    async fn touch_login_session(&self, key: &str, now: i64, idle_ttl: i64) -> StoreResult<Option<LoginSession>> {
        let mut state = self.browser_state();
        let Some(session) = state.logins.get_mut(key).filter(|s| s.is_live(now)) else {
            return Ok(None);
        };
        session.idle_expires_at = now.saturating_add(idle_ttl).min(session.expires_at);
        Ok(Some(session.clone()))
    }

    async fn add_login_session_sid(&self, key: &str, sid: &str) -> StoreResult<bool> {
        let mut state = self.browser_state();
        let Some(session) = state.logins.get_mut(key) else {
            return Ok(false);
        };
        if !session.sids.iter().any(|s| s == sid) {
            session.sids.push(sid.to_owned());
        }
        Ok(true)
    }

    async fn delete_login_session(&self, key: &str) -> StoreResult<Option<LoginSession>> {
        Ok(self.browser_state().logins.remove(key))
    }
}
