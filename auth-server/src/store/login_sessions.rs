//! The authorization server's own login sessions (single sign-on for the
//! authorization endpoint), keyed by the SHA-256 of the cookie value, so a dump of the
//! store yields no cookie.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreResult;

/// One browser's login at the authorization endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginSession {
    pub username: String,
    /// When the user entered the password.
    pub auth_time: i64,
    /// A digest of the user's credentials at login: a password change (even within
    /// the same second) no longer matches it.
    pub credentials: String,
    /// Sliding end: each use renews it, never past `expires_at`.
    pub idle_expires_at: i64,
    /// Absolute end.
    pub expires_at: i64,
    /// The `sid`s of the token sessions created through it, oldest first.
    pub sids: Vec<String>,
}

impl LoginSession {
    pub fn is_live(&self, now: i64) -> bool {
        now < self.idle_expires_at && now < self.expires_at
    }
}

#[async_trait]
pub trait LoginSessionStore: Send + Sync {
    /// Stores a new login session under `key` until its idle end.
    async fn create_login_session(&self, key: &str, session: &LoginSession) -> StoreResult<()>;
    /// The session if live at `now`.
    async fn login_session(&self, key: &str, now: i64) -> StoreResult<Option<LoginSession>>;
    /// Slides the idle end of a session live at `now` to `now + idle_ttl` (never past
    /// its absolute end) and returns it; `None` when not live.
    async fn touch_login_session(&self, key: &str, now: i64, idle_ttl: i64) -> StoreResult<Option<LoginSession>>;
    /// Records a `sid` created through the session; false when it is gone.
    async fn add_login_session_sid(&self, key: &str, sid: &str) -> StoreResult<bool>;
    /// Removes the session; returns it (live or not) when it was there, so its
    /// `sid`s can be revoked.
    async fn delete_login_session(&self, key: &str) -> StoreResult<Option<LoginSession>>;
}
