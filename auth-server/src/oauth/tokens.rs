//! Minting and checking our tokens. Knows the token formats (RFC 9068 access tokens,
//! refresh tokens of our own `typ`), not how they are requested or stored.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shared_claims::{AccessClaims, Audience, ScopeSet, ACCESS_TOKEN_TYP, REFRESH_TOKEN_TYP};

use crate::crypto::jws::{JwsError, UnverifiedJws};
use crate::keys::{KeyError, KeyRing, KeySet, SigningKey};
use crate::store::{Session, StoreError};

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// A key's first signature could not be recorded: the store is unreachable, and
    /// the client may retry.
    #[error("signing key set unavailable")]
    Unavailable(#[source] KeyError),
    #[error(transparent)]
    Signing(#[from] JwsError),
}

impl From<MintError> for shared_claims::OAuthError {
    fn from(err: MintError) -> Self {
        let detail = shared_claims::error_chain(&err);
        match err {
            MintError::Unavailable(_) => shared_claims::OAuthError::temporarily_unavailable(detail),
            MintError::Signing(_) => shared_claims::OAuthError::server_error(detail),
        }
    }
}

/// Token lifetimes and the issuer, fixed at start-up.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub access_ttl: i64,
    pub refresh_idle_ttl: i64,
    pub refresh_max_ttl: i64,
    pub refresh_reuse_grace: i64,
    /// Live sessions one user may hold with one client (`AUTH_MAX_SESSIONS_PER_USER`).
    pub max_sessions_per_user: usize,
}

impl TokenSettings {
    /// The longest lifetime of any token we sign: refresh tokens are JWS too, and a
    /// refresh token's `exp` is at most its session's idle or absolute end, whichever
    /// comes first (`AUTH_REFRESH_IDLE_TTL`, `AUTH_REFRESH_MAX_TTL` from its issue). A
    /// signing key is kept this long after it stops signing, and a key revocation is
    /// remembered as long.
    pub fn longest_token_lifetime(&self) -> i64 {
        self.access_ttl.max(self.refresh_idle_ttl.min(self.refresh_max_ttl))
    }

    /// `exp` of an access token issued at `now`. Saturating: a clock or setting near
    /// the end of time yields the latest time, never a wrapped one in the past.
    pub fn access_expiry(&self, now: i64) -> i64 {
        now.saturating_add(self.access_ttl)
    }

    /// A session started at `now`: its absolute end, and the end of its first idle
    /// window (never past the absolute end). Saturating like [`Self::access_expiry`].
    pub fn session_expiry(&self, now: i64) -> SessionExpiry {
        let expires_at = now.saturating_add(self.refresh_max_ttl);
        SessionExpiry { expires_at, idle_expires_at: now.saturating_add(self.refresh_idle_ttl).min(expires_at) }
    }
}

/// When a new session ends (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpiry {
    pub expires_at: i64,
    pub idle_expires_at: i64,
}

/// Who and what an access token is for.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub subject: String,
    pub client_id: String,
    pub scope: ScopeSet,
    pub audiences: Vec<String>,
    pub sid: Option<String>,
}

/// Claims of a refresh token. `aud` is the issuer: only we accept it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub sid: String,
    /// The session's scope: lets a refresh that asks for more be refused before
    /// anything changes.
    #[serde(default)]
    pub scope: ScopeSet,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error(transparent)]
    Jws(#[from] JwsError),
    #[error("token is not of the expected type")]
    WrongType,
    #[error("token claims are malformed")]
    MalformedClaims,
    #[error("token was not issued by this server for this use")]
    WrongIssuerOrAudience,
    #[error("token has expired")]
    Expired,
}

pub struct Tokens {
    keys: Arc<KeyRing>,
    settings: TokenSettings,
}

impl Tokens {
    pub fn new(keys: Arc<KeyRing>, settings: TokenSettings) -> Self {
        Self { keys, settings }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// An access token (RFC 9068 §2) valid for `access_ttl` from `now`.
    pub async fn access_token(&self, grant: &AccessGrant, now: i64) -> Result<String, MintError> {
        let claims = self.access_claims(grant, now);
        Ok(self.signing_set(now).await?.active().sign_access_token(&claims)?)
    }

    /// The claims of the access token [`Self::access_token`] signs.
    pub fn access_claims(&self, grant: &AccessGrant, now: i64) -> AccessClaims {
        let audiences =
            if grant.audiences.is_empty() { vec![self.settings.issuer.clone()] } else { grant.audiences.clone() };
        AccessClaims {
            iss: self.settings.issuer.clone(),
            sub: grant.subject.clone(),
            aud: Audience::from_list(audiences),
            exp: self.settings.access_expiry(now),
            iat: now,
            nbf: None,
            jti: crate::crypto::random_id(),
            client_id: grant.client_id.clone(),
            scope: grant.scope.clone(),
            sid: grant.sid.clone(),
        }
    }

    /// The refresh token a session currently expects. Its claims are all derived
    /// from the session, so the grace window can hand out the same successor again.
    pub async fn refresh_token(&self, session: &Session) -> Result<String, MintError> {
        let claims = RefreshClaims {
            iss: self.settings.issuer.clone(),
            sub: session.username.clone(),
            aud: self.settings.issuer.clone(),
            exp: session.idle_expires_at.min(session.expires_at),
            iat: session.refresh_iat,
            jti: session.refresh_jti.clone(),
            client_id: session.client_id.clone(),
            sid: session.sid.clone(),
            scope: session.scope.clone(),
        };
        Ok(self.signing_set(session.refresh_iat).await?.active().sign_refresh_token(&claims)?)
    }

    async fn signing_set(&self, now: i64) -> Result<Arc<KeySet>, MintError> {
        self.keys.signing_set(now).await.map_err(|err| match err {
            KeyError::Store(StoreError::Unavailable(_)) => MintError::Unavailable(err),
            other => MintError::Signing(JwsError::Signing(shared_claims::error_chain(&other))),
        })
    }

    /// Checks a presented refresh token: our signature, our `typ`, issuer and
    /// audience, not expired. Session state is the store's business.
    pub async fn verify_refresh_token(&self, token: &str, now: i64) -> Result<RefreshClaims, TokenError> {
        let payload = self.verify_signed(token, REFRESH_TOKEN_TYP, now, KeySet::key).await?;
        let claims: RefreshClaims = serde_json::from_slice(&payload).map_err(|_| TokenError::MalformedClaims)?;
        if claims.iss != self.settings.issuer || claims.aud != self.settings.issuer {
            return Err(TokenError::WrongIssuerOrAudience);
        }
        if now >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// Checks an access token we issued (for introspection and the admin API):
    /// signature, `typ`, issuer and expiry. Audience is left to the caller.
    pub async fn verify_access_token(&self, token: &str, now: i64) -> Result<AccessClaims, TokenError> {
        let payload = self.verify_signed(token, ACCESS_TOKEN_TYP, now, KeySet::published_key).await?;
        let claims: AccessClaims = serde_json::from_slice(&payload).map_err(|_| TokenError::MalformedClaims)?;
        if claims.iss != self.settings.issuer {
            return Err(TokenError::WrongIssuerOrAudience);
        }
        if now >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// The signature check, by `kid` against the keys `usable` finds: the published
    /// keys for access tokens (as a resource server sees them), every kept key for
    /// refresh tokens (withdrawn keys included: only we verify those). A token signed
    /// by a key this replica has not loaded yet, say one another replica just
    /// activated, triggers a rate-limited reload first: [`KeyRing::key_set_for`].
    /// A revoked key is gone from the set, so its tokens fail here.
    async fn verify_signed(
        &self,
        token: &str,
        typ: &str,
        now: i64,
        usable: for<'a> fn(&'a KeySet, &str) -> Option<&'a SigningKey>,
    ) -> Result<Vec<u8>, TokenError> {
        let jws = UnverifiedJws::parse(token)?;
        if jws.header.typ.as_deref() != Some(typ) {
            return Err(TokenError::WrongType);
        }
        let kid = jws.header.kid.as_deref().ok_or(JwsError::UnknownKey)?;
        let keys = self.keys.key_set_for(kid, now).await;
        let key = usable(&keys, kid).ok_or(JwsError::UnknownKey)?;
        Ok(jws.verify(key.verifier())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(access_ttl: i64, refresh_idle_ttl: i64, refresh_max_ttl: i64) -> TokenSettings {
        TokenSettings {
            issuer: "https://issuer.example".into(),
            access_ttl,
            refresh_idle_ttl,
            refresh_max_ttl,
            refresh_reuse_grace: 0,
            max_sessions_per_user: 50,
        }
    }

    #[test]
    fn expiries_add_the_lifetimes() {
        let s = settings(300, 3_600, 86_400);
        assert_eq!(s.access_expiry(1_000), 1_300);
        assert_eq!(s.session_expiry(1_000), SessionExpiry { expires_at: 87_400, idle_expires_at: 4_600 });
    }

    #[test]
    fn the_idle_window_never_outlasts_the_session() {
        let s = settings(300, 86_400, 60);
        assert_eq!(s.session_expiry(1_000), SessionExpiry { expires_at: 1_060, idle_expires_at: 1_060 });
    }

    #[test]
    fn expiries_saturate_instead_of_wrapping() {
        let s = settings(i64::MAX, i64::MAX, i64::MAX);
        let now = i64::MAX - 10;
        assert_eq!(s.access_expiry(now), i64::MAX);
        assert_eq!(s.session_expiry(now), SessionExpiry { expires_at: i64::MAX, idle_expires_at: i64::MAX });
        assert!(s.access_expiry(1_700_000_000) > 1_700_000_000, "never born expired");
    }
}
