//! Token introspection (RFC 7662): whether a token is active, and its claims.
//!
//! Only access tokens are reported active: refresh tokens are for the token endpoint
//! alone. Every other answer, whatever the reason, is exactly `{"active": false}`
//! (§2.2) so the response tells a caller nothing about why.

use serde::Serialize;
use shared_claims::{AccessClaims, Audience, OAuthError, ScopeSet};

use crate::oauth::authority::Authority;
use crate::store::ClientRecord;

/// The scope a client needs to call introspection.
pub(crate) const INTROSPECT_SCOPE: &str = "introspect";

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub(crate) enum Introspection {
    Active(Box<ActiveToken>),
    Inactive { active: bool },
}

/// RFC 7662 §2.2 members for an active access token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ActiveToken {
    active: bool,
    iss: String,
    sub: String,
    #[schema(value_type = crate::oauth::api_schemas::Audience)]
    aud: Audience,
    exp: i64,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    jti: String,
    client_id: String,
    #[serde(skip_serializing_if = "ScopeSet::is_empty")]
    #[schema(value_type = Option<String>)]
    scope: ScopeSet,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    #[schema(value_type = String)]
    token_type: &'static str,
    /// RFC 7662 names the user `username`; for client tokens it is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
}

impl Introspection {
    pub(crate) fn inactive() -> Self {
        Introspection::Inactive { active: false }
    }
}

/// The caller must be a confidential client holding `introspect`.
pub(crate) fn authorize_caller(caller: &ClientRecord) -> Result<(), OAuthError> {
    if caller.secret_sha256.is_some() && caller.scopes.contains(INTROSPECT_SCOPE) {
        Ok(())
    } else {
        Err(OAuthError::new(shared_claims::ErrorCode::AccessDenied, "this client may not introspect tokens"))
    }
}

/// Whether `caller` may learn about a token for these audiences: only a resource
/// server the token is meant for, i.e. one whose served audiences (by default its own
/// `client_id`) meet the token's `aud`. The audiences a client *calls* (those of its
/// own tokens) give it no view of other tokens for them. RFC 7662 §2.2 and §4: a token
/// the caller may not introspect is inactive to it, and nothing more is said.
fn may_see(caller: &ClientRecord, audience: &Audience) -> bool {
    caller.serves_any(audience.iter())
}

pub(crate) async fn introspect(
    authority: &Authority,
    caller: &ClientRecord,
    token: &str,
) -> Result<Introspection, OAuthError> {
    let now = shared_claims::unix_now();
    let Ok(claims) = authority.tokens.verify_access_token(token, now).await else {
        return Ok(Introspection::inactive());
    };
    if !may_see(caller, &claims.aud) || authority.is_revoked(&claims).await? {
        return Ok(Introspection::inactive());
    }
    Ok(Introspection::Active(Box::new(active(claims))))
}

fn active(claims: AccessClaims) -> ActiveToken {
    let username = claims.sid.as_ref().map(|_| claims.sub.clone());
    ActiveToken {
        active: true,
        iss: claims.iss,
        sub: claims.sub,
        aud: claims.aud,
        exp: claims.exp,
        iat: claims.iat,
        nbf: claims.nbf,
        jti: claims.jti,
        client_id: claims.client_id,
        scope: claims.scope,
        sid: claims.sid,
        // RFC 7662 §2.2: the type as in RFC 6749 §5.1, i.e. what the token response said.
        token_type: "Bearer",
        username,
    }
}
