//! Local mode: the token's RS256 signature is checked against the published key set,
//! with no call to the auth server per request.
//!
//! ```text
//! LocalVerifier::verify
//!   ├─ TokenCache::get            exact token seen before, still live, key still published → done
//!   ├─ split_compact              three non-empty segments (shared_claims::jose)
//!   ├─ JoseHeader::parse          alg == RS256, no crit, typ at+jwt, kid   (before any crypto)
//!   ├─ key_for(kid)               snapshot, else JwksCache::key_for_unknown_kid (401, or 503
//!   │                             when rate-limited for a kid never checked)
//!   ├─ VerificationKey::verify    RSA, over header.payload
//!   ├─ AccessClaims from payload  only now is the payload parsed (a JSON object, never an array)
//!   ├─ ClaimValidator::validate   typ, iss (the metadata's issuer), aud, exp/nbf/iat
//!   └─ TokenCache::insert         until exp
//! ```
//! The caller ([`Verifier`](super::Verifier)) applies the size limit first and the
//! revocation check last, on every path.

use std::sync::Arc;

use shared_claims::AccessClaims;

use super::jose_header::{decode_segment, from_json_object, split_compact, JoseHeader};
use super::jwks::{JwksCache, KeySnapshot};
use super::key_set::VerificationKey;
use super::token_cache::{CachedToken, TokenCache};
use super::VerifyError;

pub(crate) struct LocalVerifier {
    pub(crate) jwks: Arc<JwksCache>,
    cache: TokenCache,
}

impl LocalVerifier {
    pub(crate) fn new(jwks: Arc<JwksCache>, cache: TokenCache) -> Self {
        Self { jwks, cache }
    }

    pub(crate) fn is_ready(&self) -> bool {
        self.jwks.snapshot().is_some()
    }

    /// Returns what was verified (claims and `kid`) and whether it came from the cache.
    pub(crate) async fn verify(&self, token: &str, now: i64) -> Result<(CachedToken, bool), VerifyError> {
        let snapshot = self.jwks.snapshot();
        if let Some(hit) = self.cache.get(token, now) {
            let key_published = match (&snapshot, &hit.kid) {
                (Some(snapshot), Some(kid)) => snapshot.keys.contains(kid),
                _ => false,
            };
            if key_published {
                return Ok((hit, true));
            }
        }
        let jws = split_compact(token)?;
        let header = JoseHeader::parse(jws.header)?;
        let signature = decode_segment(jws.signature)?;
        let (snapshot, key) = self.key_for(&header.kid, snapshot).await?;
        if !key.verify(jws.signing_input.as_bytes(), &signature) {
            return Err(VerifyError::Signature);
        }
        let payload = decode_segment(jws.payload)?;
        let claims: AccessClaims = from_json_object(&payload)?;
        snapshot.validator.validate(Some(&header.typ), &claims, now)?;
        let claims = Arc::new(claims);
        let entry = CachedToken { claims: claims.clone(), kid: Some(header.kid.into()), expires_at: claims.exp };
        self.cache.insert(token, entry.clone(), now);
        Ok((entry, false))
    }

    async fn key_for(
        &self,
        kid: &str,
        snapshot: Option<Arc<KeySnapshot>>,
    ) -> Result<(Arc<KeySnapshot>, Arc<VerificationKey>), VerifyError> {
        if let Some(snapshot) = snapshot.as_ref() {
            if let Some(key) = snapshot.keys.get(kid) {
                return Ok((snapshot.clone(), key.clone()));
            }
        }
        let seen = snapshot.as_ref().map_or(0, |s| s.generation);
        self.jwks.key_for_unknown_kid(kid, seen).await
    }
}
