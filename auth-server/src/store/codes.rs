//! Authorization codes (RFC 6749 §4.1.2): single use, short-lived, bound to the
//! client, the redirect URI and the PKCE challenge (RFC 7636 §4.4). The store keys
//! a code by the SHA-256 of its value, so a dump of the store yields no usable code.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shared_claims::ScopeSet;

use super::StoreResult;

/// What an authorization code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    pub client_id: String,
    /// The `redirect_uri` of the authorization request, which the token request
    /// must repeat (RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// The S256 `code_challenge` (RFC 7636 §4.2).
    pub code_challenge: String,
    pub scope: ScopeSet,
    pub audiences: Vec<String>,
    pub username: String,
    /// The key (hash) of the login session that issued it.
    pub login_session: String,
    /// The `sid` the exchange will create, chosen now so that a replay can revoke
    /// what the first exchange issued (RFC 6749 §4.1.2).
    pub sid: String,
    /// When the user authenticated.
    pub auth_time: i64,
    /// Seconds; the code is dead from then on.
    pub expires_at: i64,
}

/// What redeeming a live code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// The first redemption: the code is now spent.
    First(AuthorizationCode),
    /// The code was redeemed before.
    AlreadyUsed(AuthorizationCode),
}

#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Stores a code under `code_hash` until its `expires_at`.
    async fn put_code(&self, code_hash: &str, code: &AuthorizationCode) -> StoreResult<()>;
    /// Redeems the code atomically: the first call returns [`Redeemed::First`] and
    /// marks it used (kept until its expiry); later ones return
    /// [`Redeemed::AlreadyUsed`]. `None` when unknown, or expired at `now`.
    async fn redeem_code(&self, code_hash: &str, now: i64) -> StoreResult<Option<Redeemed>>;
}
