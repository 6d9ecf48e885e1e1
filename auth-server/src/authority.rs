//! The authorization server's domain services in one place: the store, the tokens it
//! mints, and the password verifier. Framework-free; the HTTP layer holds one of these.

use std::sync::Arc;

use crate::client_cache::ClientCache;
use crate::feed::RevocationFeed;
use crate::login_throttle::LoginThrottle;
use crate::password::Passwords;
use shared_claims::AccessClaims;

use crate::store::{Revocation, SharedStore, StoreResult};
use crate::tokens::Tokens;

pub struct Authority {
    pub store: SharedStore,
    pub tokens: Tokens,
    pub passwords: Passwords,
    pub feed: Arc<RevocationFeed>,
    pub login_throttle: LoginThrottle,
    /// Client records for authentication and the admin API, cached briefly.
    pub clients: ClientCache,
}

impl Authority {
    pub fn new(
        store: SharedStore,
        tokens: Tokens,
        passwords: Passwords,
        feed: Arc<RevocationFeed>,
        login_throttle: LoginThrottle,
    ) -> Arc<Self> {
        let clients = ClientCache::new(store.clone());
        Arc::new(Self { store, tokens, passwords, feed, login_throttle, clients })
    }

    /// Records a revocation until `expires_at` and wakes the feed, so subscribed
    /// resource servers hear of it at once.
    pub async fn record_revocation(&self, revocation: &Revocation, expires_at: i64) -> StoreResult<()> {
        self.store.revoke(revocation, expires_at).await?;
        self.feed.notify();
        Ok(())
    }

    pub fn issuer(&self) -> &str {
        &self.tokens.settings().issuer
    }

    /// Whether an access token we signed has been revoked since (RFC 7009, session
    /// end, password change, disabled user).
    pub async fn is_revoked(&self, claims: &AccessClaims) -> StoreResult<bool> {
        self.store.is_revoked(&claims.jti, claims.sid.as_deref(), &claims.sub, claims.iat).await
    }

    /// Ends a session early and revokes every access token of it. The revocation
    /// lives as long as an access token issued now could.
    pub async fn revoke_session(&self, sid: &str) -> StoreResult<()> {
        let now = shared_claims::unix_now();
        self.store.delete_session(sid).await?;
        let until = now + self.tokens.settings().access_ttl;
        self.record_revocation(&Revocation::Session { sid: sid.to_owned() }, until).await?;
        Ok(())
    }

    /// Revokes every session of a user and every token of the user issued before
    /// `before` (seconds): for a password change, a disabled or deleted account.
    pub async fn revoke_user(&self, username: &str, before: i64) -> StoreResult<usize> {
        let sessions = self.store.user_sessions(username).await?;
        for session in &sessions {
            self.revoke_session(&session.sid).await?;
        }
        let until = shared_claims::unix_now() + self.tokens.settings().access_ttl;
        let revocation = Revocation::User { sub: username.to_owned(), before };
        self.record_revocation(&revocation, until).await?;
        Ok(sessions.len())
    }
}
