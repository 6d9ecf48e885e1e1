//! The authorization server's domain services in one place: the store, the tokens it
//! mints, and the password verifier. Framework-free; the HTTP layer holds one of these.

use std::sync::Arc;

use crate::crypto::password::Passwords;
use crate::keys::KeyPolicy;
use crate::oauth::client_cache::ClientCache;
use crate::oauth::feed::RevocationFeed;
use crate::oauth::login_throttle::LoginThrottle;
use crate::oauth::revocation_budget::RevocationBudget;
use shared_claims::AccessClaims;

use crate::oauth::tokens::Tokens;
use crate::store::{Revocation, Session, SharedStore, StoreResult};
use tracing::Instrument;

pub struct Authority {
    pub store: SharedStore,
    pub tokens: Tokens,
    pub passwords: Passwords,
    pub feed: Arc<RevocationFeed>,
    pub login_throttle: LoginThrottle,
    /// Client records for authentication and the admin API, cached briefly.
    pub clients: ClientCache,
    /// How many access tokens a session or client may revoke one by one.
    pub revocation_budget: RevocationBudget,
    /// The signing-key timing, from the settings.
    pub key_policy: KeyPolicy,
}

impl Authority {
    pub fn new(
        store: SharedStore,
        tokens: Tokens,
        passwords: Passwords,
        feed: Arc<RevocationFeed>,
        login_throttle: LoginThrottle,
        revocation_budget: RevocationBudget,
        key_policy: KeyPolicy,
    ) -> Arc<Self> {
        let clients = ClientCache::new(store.clone());
        Arc::new(Self { store, tokens, passwords, feed, login_throttle, clients, revocation_budget, key_policy })
    }

    /// Records a revocation that concerns every resource server (user- and key-level
    /// ones) until `expires_at`, and wakes the feed.
    pub async fn record_revocation(&self, revocation: &Revocation, expires_at: i64) -> StoreResult<()> {
        self.record_revocation_for(revocation, &[], expires_at).await
    }

    /// Records a revocation of tokens for `audiences` until `expires_at` and wakes
    /// the feed, so the resource servers serving those audiences hear of it at once.
    pub async fn record_revocation_for(
        &self,
        revocation: &Revocation,
        audiences: &[String],
        expires_at: i64,
    ) -> StoreResult<()> {
        if self
            .store
            .revoke(revocation, audiences, expires_at)
            .instrument(tracing::debug_span!("store.revoke"))
            .await?
            .is_some()
        {
            self.feed.notify();
        }
        Ok(())
    }

    pub fn issuer(&self) -> &str {
        &self.tokens.settings().issuer
    }

    /// Whether an access token we signed has been revoked since (RFC 7009, session
    /// end, password change, disabled user, deleted client).
    pub async fn is_revoked(&self, claims: &AccessClaims) -> StoreResult<bool> {
        let sid = claims.sid.as_deref();
        self.store
            .is_revoked(&claims.jti, sid, &claims.sub, &claims.client_id, claims.iat)
            .instrument(tracing::debug_span!("store.is_revoked"))
            .await
    }

    /// Ends a session early and revokes every access token of it. The revocation
    /// lives as long as an access token issued now could. The feed shows it to the
    /// servers of the session's audiences; a session already gone (its audiences
    /// unknown) is announced to every server.
    pub async fn revoke_session(&self, sid: &str) -> StoreResult<()> {
        match self.store.session(sid).await? {
            Some(session) => self.revoke_session_of(&session).await,
            None => self.record_and_delete_session(sid, &[]).await,
        }
    }

    /// [`Self::revoke_session`] for a session in hand, whose audiences are known.
    pub async fn revoke_session_of(&self, session: &Session) -> StoreResult<()> {
        self.record_and_delete_session(&session.sid, &session.audiences).await
    }

    /// The revocation is recorded before the session is deleted: should the second
    /// write fail, the tokens are refused already and the session is still there for
    /// a retry to find. The other way round, a failure would leave a deleted session
    /// whose access tokens still work and that no retry can name any more.
    async fn record_and_delete_session(&self, sid: &str, audiences: &[String]) -> StoreResult<()> {
        let until = self.tokens.settings().access_expiry(shared_claims::unix_now());
        self.record_revocation_for(&Revocation::Session { sid: sid.to_owned() }, audiences, until).await?;
        self.store.delete_session(sid).await?;
        Ok(())
    }

    /// Revokes every session of a user and every token of the user issued before
    /// `before` (seconds): for a password change, a disabled or deleted account.
    pub async fn revoke_user(&self, username: &str, before: i64) -> StoreResult<usize> {
        let sessions = self.store.user_sessions(username).await?;
        for session in &sessions {
            self.revoke_session_of(session).await?;
        }
        let until = self.tokens.settings().access_expiry(shared_claims::unix_now());
        let revocation = Revocation::User { sub: username.to_owned(), before };
        self.record_revocation(&revocation, until).await?;
        Ok(sessions.len())
    }
}
