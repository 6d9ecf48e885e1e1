//! Whether a set of access-token claims may be accepted (RFC 9068 §4, RFC 8725 §3).
//! The signature is the caller's business; this checks what the signature vouches for.

use crate::{AccessClaims, ACCESS_TOKEN_TYP};

/// Why claims were refused. The `Display` text is short and safe to send as an
/// `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("token type is not at+jwt")]
    WrongType,
    #[error("token issuer is not trusted")]
    WrongIssuer,
    #[error("token is not meant for this audience")]
    WrongAudience,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
}

/// The checks a resource server applies to every access token it accepts.
#[derive(Debug, Clone)]
pub struct ClaimValidator {
    issuer: String,
    audience: String,
    leeway_secs: i64,
}

impl ClaimValidator {
    /// Default clock-skew allowance, seconds. Small: access tokens are short-lived.
    pub const DEFAULT_LEEWAY_SECS: i64 = 5;

    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self { issuer: issuer.into(), audience: audience.into(), leeway_secs: Self::DEFAULT_LEEWAY_SECS }
    }

    pub fn with_leeway(mut self, leeway_secs: i64) -> Self {
        self.leeway_secs = leeway_secs.max(0);
        self
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Checks the JOSE `typ` header (case-insensitively, RFC 9068 §4 allows the
    /// `application/` prefix) and the claims against the issuer, audience and `now`.
    pub fn validate(&self, typ: Option<&str>, claims: &AccessClaims, now: i64) -> Result<(), ClaimError> {
        if !is_access_token_typ(typ) {
            return Err(ClaimError::WrongType);
        }
        if claims.iss != self.issuer {
            return Err(ClaimError::WrongIssuer);
        }
        if !claims.aud.contains(&self.audience) {
            return Err(ClaimError::WrongAudience);
        }
        self.validate_times(claims, now)
    }

    /// `exp`, `nbf` and `iat` against `now`, with the leeway.
    pub fn validate_times(&self, claims: &AccessClaims, now: i64) -> Result<(), ClaimError> {
        if now >= claims.exp.saturating_add(self.leeway_secs) {
            return Err(ClaimError::Expired);
        }
        let not_before = claims.nbf.unwrap_or(claims.iat).max(claims.iat);
        if not_before > now.saturating_add(self.leeway_secs) {
            return Err(ClaimError::NotYetValid);
        }
        Ok(())
    }
}

/// Whether a JOSE `typ` names an access token (RFC 9068 §4: `at+jwt`, optionally with
/// the `application/` prefix, case-insensitively). Cheap: check it before any RSA work.
pub fn is_access_token_typ(typ: Option<&str>) -> bool {
    let Some(typ) = typ else { return false };
    let typ = strip_prefix_ignore_case(typ, "application/").unwrap_or(typ);
    typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
}

fn strip_prefix_ignore_case<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &value[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Audience, ScopeSet, REFRESH_TOKEN_TYP};

    const NOW: i64 = 1_700_000_100;

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: "https://as.example".into(),
            sub: "alice".into(),
            aud: Audience::Many(vec!["other".into(), "api".into()]),
            exp: NOW + 100,
            iat: NOW - 10,
            nbf: None,
            jti: "j".into(),
            client_id: "c".into(),
            scope: ScopeSet::new(),
            sid: None,
        }
    }

    fn validator() -> ClaimValidator {
        ClaimValidator::new("https://as.example", "api")
    }

    #[test]
    fn accepts_good_claims() {
        assert_eq!(validator().validate(Some("at+jwt"), &claims(), NOW), Ok(()));
        assert_eq!(validator().validate(Some("application/AT+JWT"), &claims(), NOW), Ok(()));
    }

    #[test]
    fn refuses_other_types() {
        let v = validator();
        assert_eq!(v.validate(None, &claims(), NOW), Err(ClaimError::WrongType));
        assert_eq!(v.validate(Some("JWT"), &claims(), NOW), Err(ClaimError::WrongType));
        assert_eq!(v.validate(Some(REFRESH_TOKEN_TYP), &claims(), NOW), Err(ClaimError::WrongType));
    }

    #[test]
    fn refuses_wrong_issuer_and_audience() {
        let mut c = claims();
        c.iss = "https://as.example/".into();
        assert_eq!(validator().validate(Some("at+jwt"), &c, NOW), Err(ClaimError::WrongIssuer));
        let mut c = claims();
        c.aud = Audience::One("other".into());
        assert_eq!(validator().validate(Some("at+jwt"), &c, NOW), Err(ClaimError::WrongAudience));
    }

    #[test]
    fn expiry_honours_the_leeway() {
        let v = validator().with_leeway(5);
        let c = claims();
        assert_eq!(v.validate_times(&c, c.exp + 4), Ok(()));
        assert_eq!(v.validate_times(&c, c.exp + 5), Err(ClaimError::Expired));
        let strict = validator().with_leeway(0);
        assert_eq!(strict.validate_times(&c, c.exp), Err(ClaimError::Expired));
        assert_eq!(strict.validate_times(&c, c.exp - 1), Ok(()));
    }

    #[test]
    fn not_before_and_future_issue_times_are_refused() {
        let v = validator().with_leeway(5);
        let mut c = claims();
        c.nbf = Some(NOW + 6);
        assert_eq!(v.validate_times(&c, NOW), Err(ClaimError::NotYetValid));
        c.nbf = Some(NOW + 5);
        assert_eq!(v.validate_times(&c, NOW), Ok(()));
        let mut c = claims();
        c.iat = NOW + 60;
        assert_eq!(v.validate_times(&c, NOW), Err(ClaimError::NotYetValid));
    }

    #[test]
    fn negative_leeway_is_clamped() {
        let v = validator().with_leeway(-100);
        let c = claims();
        assert_eq!(v.validate_times(&c, c.exp - 1), Ok(()));
    }
}
