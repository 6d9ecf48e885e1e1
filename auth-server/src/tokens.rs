//! Minting and checking our tokens. Knows the token formats (RFC 9068 access tokens,
//! refresh tokens of our own `typ`), not how they are requested or stored.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shared_claims::{AccessClaims, Audience, ScopeSet, ACCESS_TOKEN_TYP, REFRESH_TOKEN_TYP};

use crate::jws::{JwsError, UnverifiedJws};
use crate::keys::KeyRing;
use crate::store::Session;

/// Token lifetimes and the issuer, fixed at start-up.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub access_ttl: i64,
    pub refresh_idle_ttl: i64,
    pub refresh_max_ttl: i64,
    pub refresh_reuse_grace: i64,
}

impl TokenSettings {
    /// The longest lifetime of any token we sign: refresh tokens are JWS too, and a
    /// refresh token's `exp` is at most its session's absolute end
    /// (`AUTH_REFRESH_MAX_TTL`). A signing key must stay published this long after it
    /// stops signing (the contract), and a key revocation must be remembered as long.
    pub fn longest_token_lifetime(&self) -> i64 {
        self.access_ttl.max(self.refresh_max_ttl)
    }
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
    pub fn access_token(&self, grant: &AccessGrant, now: i64) -> Result<String, JwsError> {
        let audiences =
            if grant.audiences.is_empty() { vec![self.settings.issuer.clone()] } else { grant.audiences.clone() };
        let claims = AccessClaims {
            iss: self.settings.issuer.clone(),
            sub: grant.subject.clone(),
            aud: Audience::from_list(audiences),
            exp: now + self.settings.access_ttl,
            iat: now,
            nbf: None,
            jti: crate::crypto::random_id(),
            client_id: grant.client_id.clone(),
            scope: grant.scope.clone(),
            sid: grant.sid.clone(),
        };
        self.keys.current().active().sign_access_token(&claims)
    }

    /// The refresh token a session currently expects. Its claims are all derived
    /// from the session, so the grace window can hand out the same successor again.
    pub fn refresh_token(&self, session: &Session) -> Result<String, JwsError> {
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
        self.keys.current().active().sign_refresh_token(&claims)
    }

    /// Checks a presented refresh token: our signature, our `typ`, issuer and
    /// audience, not expired. Session state is the store's business.
    pub async fn verify_refresh_token(&self, token: &str, now: i64) -> Result<RefreshClaims, TokenError> {
        let payload = self.verify_signed(token, REFRESH_TOKEN_TYP, now).await?;
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
        let payload = self.verify_signed(token, ACCESS_TOKEN_TYP, now).await?;
        let claims: AccessClaims = serde_json::from_slice(&payload).map_err(|_| TokenError::MalformedClaims)?;
        if claims.iss != self.settings.issuer {
            return Err(TokenError::WrongIssuerOrAudience);
        }
        if now >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// The signature check, by `kid` against every published key (a token signed by
    /// a key this replica has not loaded yet, say one another replica just
    /// activated, triggers a rate-limited reload first: [`KeyRing::key_set_for`]).
    /// A revoked key is gone from the set, so its tokens fail here.
    async fn verify_signed(&self, token: &str, typ: &str, now: i64) -> Result<Vec<u8>, TokenError> {
        let jws = UnverifiedJws::parse(token)?;
        if jws.header.typ.as_deref() != Some(typ) {
            return Err(TokenError::WrongType);
        }
        let kid = jws.header.kid.as_deref().ok_or(JwsError::UnknownKey)?;
        let keys = self.keys.key_set_for(kid, now).await;
        let key = keys.key(kid).ok_or(JwsError::UnknownKey)?;
        Ok(jws.verify(key.public_key())?)
    }
}
